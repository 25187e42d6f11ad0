/// UTF-8 helpers that work on raw bytes (no `String`, no Foundation).
package enum UTF8Validation {
    /// Returns the byte offset of the first ill-formed sequence in `bytes`, or `nil` when
    /// the buffer is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
    package static func firstInvalidOffset(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
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
