import CSupport

/// UTF-8 helpers that work on raw bytes (no `String`, no Foundation).
package enum UTF8Validation {
    /// Returns the byte offset of the first ill-formed sequence in `bytes`, or `nil` when
    /// the buffer is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
    package static func firstInvalidOffset(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        // The branch-free automaton says whether there is an error; only then does the
        // scalar scan below find where.
        isWellFormed(bytes) ? nil : firstInvalidOffsetScanning(bytes)
    }

    /// Whether `bytes` is well-formed UTF-8 (SIMD where the processor has it, else
    /// ``isWellFormedByAutomaton(_:)``).
    @inline(__always)
    package static func isWellFormed(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let n = bytes.count
        // Sixteen bytes per step with SIMD where the processor has it (a few table look-ups
        // per block, whatever the script: Korean text is mostly three-byte sequences); short
        // texts, and other processors, take the automaton.
        if n >= 32 {
            let simd = tk_utf8_valid(base, n)
            if simd >= 0 { return simd == 1 }
        }
        return isWellFormedByAutomaton(bytes)
    }

    /// ``isWellFormed(_:)`` by a shift-based automaton (each byte's row of the
    /// table holds, for every state, the next state as a shift amount), so the loop has no
    /// data-dependent branch; ASCII runs are skipped 16 bytes at a time.
    /// (Tests compare it with the SIMD path.)
    package static func isWellFormedByAutomaton(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let n = bytes.count
        var state = DFA.accept
        var i = 0
        return DFA.rows.withUnsafeBufferPointer { rows in
            while i < n {
                if state == DFA.accept {
                    while i + 16 <= n {
                        let a = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                        let b = UnsafeRawPointer(base + i + 8).loadUnaligned(as: UInt64.self)
                        if (a | b) & 0x8080_8080_8080_8080 != 0 { break }
                        i += 16
                    }
                }
                // Up to 64 bytes through the automaton, then (from the accepting state) the
                // ASCII check again.
                let stop = min(n, i + 64)
                while i < stop {
                    state = (rows[Int(base[i])] &>> state) & 63
                    i += 1
                }
                if state == DFA.error { return false }
            }
            return state == DFA.accept
        }
    }

    /// The automaton of ``isWellFormed(_:)``. States are shift amounts (multiples of 6); the
    /// error state is 0, so that every row's low six bits (zero) keep it.
    private enum DFA {
        static let error: UInt64 = 0, accept: UInt64 = 6
        /// Expecting 1, 2 or 3 continuation bytes; after E0 (A0–BF next), ED (80–9F next),
        /// F0 (90–BF next), F4 (80–8F next).
        static let tail1: UInt64 = 12, tail2: UInt64 = 18, tail3: UInt64 = 24
        static let afterE0: UInt64 = 30, afterED: UInt64 = 36, afterF0: UInt64 = 42, afterF4: UInt64 = 48

        static let rows: [UInt64] = (0..<256).map { b in
            var row: UInt64 = 0
            func go(_ from: UInt64, _ to: UInt64) { row |= to << from }
            switch b {
            case 0x00...0x7F: go(accept, accept)
            case 0x80...0xBF:
                go(tail1, accept); go(tail2, tail1); go(tail3, tail2)
                if b >= 0xA0 { go(afterE0, tail1) } else { go(afterED, tail1) }
                if b >= 0x90 { go(afterF0, tail2) } else { go(afterF4, tail2) }
            case 0xC2...0xDF: go(accept, tail1)
            case 0xE0: go(accept, afterE0)
            case 0xED: go(accept, afterED)
            case 0xE1...0xEF: go(accept, tail2)
            case 0xF0: go(accept, afterF0)
            case 0xF1...0xF3: go(accept, tail3)
            case 0xF4: go(accept, afterF4)
            default: break   // C0, C1, F5–FF: the error state from everywhere
            }
            return row
        }
    }

    /// Whether a Hangul syllable (U+AC00...U+D7A3) starts at byte `i` of `p[0..<n]`: a lead
    /// byte and two continuation bytes whose 24 bits lie between those of U+AC00 and U+D7A3
    /// (well-formed UTF-8 orders as the code points do, and every such sequence is one).
    @inline(__always)
    package static func isHangulSyllable(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Bool {
        guard i + 2 < n else { return false }
        let v = UInt32(p[i]) << 16 | UInt32(p[i + 1]) << 8 | UInt32(p[i + 2])
        return v & 0xC0C0 == 0x8080 && v &- 0xEA_B080 <= 0xED_9EA3 - 0xEA_B080
    }

    /// The byte offset of the first ill-formed sequence, one character at a time.
    static func firstInvalidOffsetScanning(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let n = bytes.count
        guard let base = bytes.baseAddress else { return nil }
        var i = 0
        while i < n {
            // ASCII fast path: 8 bytes at a time.
            while i + 8 <= n {
                let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                if word & 0x8080_8080_8080_8080 != 0 { break }
                i += 8
            }
            if i >= n { break }
            let b0 = base[i]
            if b0 < 0x80 { i += 1; continue }
            if b0 < 0xC2 { return i }
            if b0 < 0xE0 {
                guard i + 1 < n, base[i + 1] & 0xC0 == 0x80 else { return i }
                i += 2; continue
            }
            if b0 < 0xF0 {
                guard i + 2 < n else { return i }
                let b1 = base[i + 1]
                let lo: UInt8 = b0 == 0xE0 ? 0xA0 : 0x80
                let hi: UInt8 = b0 == 0xED ? 0x9F : 0xBF
                guard b1 >= lo, b1 <= hi, base[i + 2] & 0xC0 == 0x80 else { return i }
                i += 3; continue
            }
            if b0 < 0xF5 {
                guard i + 3 < n else { return i }
                let b1 = base[i + 1]
                let lo: UInt8 = b0 == 0xF0 ? 0x90 : 0x80
                let hi: UInt8 = b0 == 0xF4 ? 0x8F : 0xBF
                guard b1 >= lo, b1 <= hi, base[i + 2] & 0xC0 == 0x80, base[i + 3] & 0xC0 == 0x80
                else { return i }
                i += 4; continue
            }
            return i
        }
        return nil
    }

    /// The number of scalars in well-formed UTF-8 `p[0..<n]`: its bytes that are not
    /// continuation bytes (10xxxxxx), counted eight at a time.
    @inline(__always)
    package static func scalarCount(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var count = 0, i = 0
        while i + 8 <= n {
            let x = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
            // A byte starts a scalar when its top bit is clear or its second bit is set.
            count += (((~x) >> 7 | x >> 6) & 0x0101_0101_0101_0101).nonzeroBitCount
            i += 8
        }
        while i < n {
            let b = p[i]
            count &+= Int(truncatingIfNeeded: ((~b) >> 7 | b >> 6) & 1)
            i += 1
        }
        return count
    }

    /// Returns the byte offset of the first ill-formed sequence in `bytes`, or `nil`.
    package static func firstInvalidOffset(in bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { firstInvalidOffset(in: $0) }
    }

    /// Replaces every ill-formed sequence with U+FFFD (one per maximal subpart, as the
    /// Unicode standard recommends and as Swift's `String(decoding:as:)` does).
    package static func repaired(_ bytes: [UInt8]) -> [UInt8] {
        if firstInvalidOffset(in: bytes) == nil { return bytes }
        return Array(String(decoding: bytes, as: UTF8.self).utf8)
    }
}

extension String {
    /// A string of `bytes` that the caller has already found to be well-formed UTF-8 (asserted
    /// in debug builds), made without validating them a second time: `String(decoding:as:)`
    /// checks every byte again, which was 4.5% of an SFT run (the message texts of each JSON
    /// record). Ill-formed bytes here would break `String`'s invariants, so every caller must
    /// have validated them (a JSON document's strings are: the document was validated, and
    /// unescaping refuses unpaired surrogates).
    @inline(__always)
    package init(validatedUTF8 bytes: UnsafeBufferPointer<UInt8>) {
        assert(UTF8Validation.firstInvalidOffset(in: bytes) == nil, "String(validatedUTF8:) of ill-formed UTF-8")
        #if canImport(Darwin)
        if #available(macOS 26.0, iOS 26.0, watchOS 26.0, tvOS 26.0, visionOS 26.0, *) {
            self = String(copying: unsafe UTF8Span(unchecked: bytes.span))
        } else {
            self = String(decoding: bytes, as: UTF8.self)
        }
        #else
        self = String(copying: unsafe UTF8Span(unchecked: bytes.span))
        #endif
    }

    /// ``init(validatedUTF8:)-(UnsafeBufferPointer<UInt8>)`` of an array.
    @inline(__always)
    package init(validatedUTF8 bytes: [UInt8]) {
        self = bytes.withUnsafeBufferPointer { String(validatedUTF8: $0) }
    }
}

/// Decodes the scalar starting at `i` in well-formed UTF-8; returns it and its length.
/// Ill-formed bytes decode as themselves with length 1 (never traps).
@inline(__always)
func decodeScalar(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> (UInt32, Int) {
    let b0 = UInt32(p[i])
    if b0 < 0x80 { return (b0, 1) }
    if b0 < 0xE0, i + 1 < n {
        return (((b0 & 0x1F) << 6) | (UInt32(p[i + 1]) & 0x3F), 2)
    }
    if b0 < 0xF0, i + 2 < n {
        return (((b0 & 0x0F) << 12) | ((UInt32(p[i + 1]) & 0x3F) << 6) | (UInt32(p[i + 2]) & 0x3F), 3)
    }
    if i + 3 < n {
        return (((b0 & 0x07) << 18) | ((UInt32(p[i + 1]) & 0x3F) << 12)
                | ((UInt32(p[i + 2]) & 0x3F) << 6) | (UInt32(p[i + 3]) & 0x3F), 4)
    }
    return (b0, 1)
}

/// Appends the UTF-8 encoding of `scalar` to `out`.
@inline(__always)
func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
    if scalar < 0x80 {
        out.append(UInt8(scalar))
    } else if scalar < 0x800 {
        out.append(UInt8(0xC0 | (scalar >> 6)))
        out.append(UInt8(0x80 | (scalar & 0x3F)))
    } else if scalar < 0x10000 {
        out.append(UInt8(0xE0 | (scalar >> 12)))
        out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (scalar & 0x3F)))
    } else {
        out.append(UInt8(0xF0 | (scalar >> 18)))
        out.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
        out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (scalar & 0x3F)))
    }
}
