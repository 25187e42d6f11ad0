/// Base64 of the standard alphabet with padding (RFC 4648 §4): tiktoken rank files, Tekken
/// `token_bytes`, `tokenizer.json` `Precompiled` charsmaps and the shipped training charsmaps.
package enum Base64 {
    /// The bytes `s` encodes, or nil when it is not padded base64 of the standard alphabet
    /// (RFC 4648 §4; a text of only `=` decodes to nothing, as Python's `b64decode` reads it).
    package static func decode(_ s: ArraySlice<UInt8>) -> [UInt8]? {
        func value(_ c: UInt8) -> UInt32? {
            switch c {
            case 0x41...0x5A: return UInt32(c - 0x41)
            case 0x61...0x7A: return UInt32(c - 0x61 + 26)
            case 0x30...0x39: return UInt32(c - 0x30 + 52)
            case 0x2B: return 62
            case 0x2F: return 63
            default: return nil
            }
        }
        var body = Array(s)
        // Python's b64decode reads "=" as the empty token (Whisper's multilingual file has one).
        if !body.isEmpty && body.allSatisfy({ $0 == 0x3D }) { return [] }
        guard !body.isEmpty, body.count % 4 == 0 else { return nil }
        var padding = 0
        while body.last == 0x3D && padding < 2 { body.removeLast(); padding += 1 }
        var out: [UInt8] = []
        out.reserveCapacity(body.count * 3 / 4)
        var acc: UInt32 = 0, bits = 0
        for c in body {
            guard let v = value(c) else { return nil }
            acc = (acc << 6) | v; bits += 6
            if bits >= 8 { bits -= 8; out.append(UInt8((acc >> UInt32(bits)) & 0xFF)) }
        }
        return out
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
