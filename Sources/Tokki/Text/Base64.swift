/// Base64 of the standard alphabet with padding (RFC 4648 §4): tiktoken rank files, Tekken
/// `token_bytes`, `tokenizer.json` `Precompiled` charsmaps and the shipped training charsmaps.
package enum Base64 {
    /// The bytes `s` encodes, or nil when it is not padded base64 of the standard alphabet
    /// (RFC 4648 §4; a text of only `=` decodes to nothing, as Python's `b64decode` reads it).
    package static func decode(_ s: ArraySlice<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(s.count * 3 / 4)
        let ok = s.withUnsafeBufferPointer { b in
            withUnsafePointer(to: UInt8(0)) { zero in decode(b.baseAddress ?? zero, b.count, appendingTo: &out) }
        }
        return ok ? out : nil
    }

    /// The value of each base64 character, 0xFF for any other byte.
    static let values: [UInt8] = (0..<256).map { c in
        switch c {
        case 0x41...0x5A: UInt8(c - 0x41)
        case 0x61...0x7A: UInt8(c - 0x61 + 26)
        case 0x30...0x39: UInt8(c - 0x30 + 52)
        case 0x2B: 62
        case 0x2F: 63
        default: 0xFF
        }
    }

    /// Decodes the base64 text `p[0..<n]` onto the end of `out`, as ``decode(_:)`` reads it,
    /// without an array per text (rank files hold hundreds of thousands). Returns false, with
    /// `out` unchanged, when the text is not padded base64 of the standard alphabet.
    package static func decode(_ p: UnsafePointer<UInt8>, _ n: Int, appendingTo out: inout [UInt8]) -> Bool {
        let room = max(1, maxDecodedCount(n))
        let written: Int? = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: room) { buffer in
            guard let base = buffer.baseAddress, let k = decode(p, n, into: base, capacity: buffer.count) else { return nil }
            out.append(contentsOf: UnsafeBufferPointer(start: base, count: k))
            return k
        }
        return written != nil
    }

    /// The most bytes a base64 text of `n` characters decodes to.
    @inline(__always)
    package static func maxDecodedCount(_ n: Int) -> Int { n / 4 * 3 }

    /// Decodes the base64 text `p[0..<n]` into `out` (room for `capacity` bytes, at least
    /// ``maxDecodedCount(_:)`` of `n`), as ``decode(_:)`` reads it: the number of bytes
    /// written, or nil when the text is not padded base64 of the standard alphabet (then
    /// `out` may hold some bytes).
    @inline(__always)
    package static func decode(_ p: UnsafePointer<UInt8>, _ n: Int, into out: UnsafeMutablePointer<UInt8>, capacity: Int) -> Int? {
        // Python's b64decode reads a text of only `=` as nothing (Whisper's multilingual file has one).
        if n > 0 && p[0] == 0x3D {
            var k = 1
            while k < n && p[k] == 0x3D { k += 1 }
            if k == n { return 0 }
        }
        guard n > 0, n % 4 == 0, capacity >= maxDecodedCount(n) else { return nil }
        var m = n
        while m > n - 2 && p[m - 1] == 0x3D { m -= 1 }  // up to two `=` of padding; any other fails below
        return values.withUnsafeBufferPointer { v -> Int? in
            var i = 0, o = 0
            while i + 4 <= m {
                let a = v[Int(p[i])], b = v[Int(p[i + 1])], c = v[Int(p[i + 2])], d = v[Int(p[i + 3])]
                guard (a | b | c | d) & 0x80 == 0 else { return nil }
                let x = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                // Three bytes per four characters: o + 3 <= 3 * (i / 4 + 1) <= capacity.
                assert(o + 3 <= capacity)
                out[o] = UInt8(truncatingIfNeeded: x >> 16); out[o + 1] = UInt8(truncatingIfNeeded: x >> 8)
                out[o + 2] = UInt8(truncatingIfNeeded: x)
                i += 4; o += 3
            }
            let rest = m - i  // 0, 2 or 3: `m` is `n` (a multiple of 4) less at most 2
            if rest >= 2 {
                let a = v[Int(p[i])], b = v[Int(p[i + 1])], c = rest == 3 ? v[Int(p[i + 2])] : 0
                guard (a | b | c) & 0x80 == 0 else { return nil }
                let x = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6
                assert(o + rest - 1 <= capacity)
                out[o] = UInt8(truncatingIfNeeded: x >> 16); o += 1
                if rest == 3 { out[o] = UInt8(truncatingIfNeeded: x >> 8); o += 1 }
            }
            return o
        }
    }

    /// `bytes` as padded base64 of the standard alphabet.
    package static func encode(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [table[Int(v >> 18)], table[Int(v >> 12 & 63)], table[Int(v >> 6 & 63)], table[Int(v & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let v = UInt32(bytes[i]) << 16
            out += [table[Int(v >> 18)], table[Int(v >> 12 & 63)], 0x3D, 0x3D]
        } else if rest == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [table[Int(v >> 18)], table[Int(v >> 12 & 63)], table[Int(v >> 6 & 63)], 0x3D]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
