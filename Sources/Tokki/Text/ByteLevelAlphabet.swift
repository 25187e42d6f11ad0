/// GPT-2's byte-to-character map: bytes 0x21–0x7E, 0xA1–0xAC and 0xAE–0xFF stand for
/// themselves; the other 68 bytes map, in ascending order, to U+0100, U+0101, … (space → `Ġ`
/// U+0120, LF → `Ċ` U+010A). See <doc:Compatibility#Byte-level-BPE>.
package enum ByteLevelAlphabet {
    /// The code point standing for each byte.
    static let scalarForByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 0x100
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// The byte a code point stands for, or -1 (index by scalar value below 0x144).
    static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (b, s) in scalarForByte.enumerated() { table[Int(s)] = Int16(b) }
        return table
    }()

    /// The UTF-8 of each byte's character.
    static let utf8ForByte: [[UInt8]] = scalarForByte.map { s in
        var out: [UInt8] = []
        appendUTF8(s, to: &out)
        return out
    }

    /// Decodes a byte-level token string to the raw bytes it stands for, or nil when it
    /// holds a character outside the alphabet.
    package static func rawBytes<C: Collection>(_ utf8: C) -> [UInt8]? where C.Element == UInt8 {
        let bytes = Array(utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        let ok: Bool = bytes.withUnsafeBufferPointer { b in
            guard let p = b.baseAddress else { return true }
            while i < b.count {
                let (s, len) = decodeScalar(p, i, b.count)
                guard s < 0x144, byteForScalar[Int(s)] >= 0 else { return false }
                out.append(UInt8(byteForScalar[Int(s)]))
                i += len
            }
            return true
        }
        return ok ? out : nil
    }

    /// Encodes raw bytes as a byte-level token string.
    static func encode<C: Collection>(_ raw: C) -> [UInt8] where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count * 2)
        for b in raw { out.append(contentsOf: utf8ForByte[Int(b)]) }
        return out
    }

    /// GPT-2's spelling of raw bytes as a token string (`" hello"` → `"Ġhello"`).
    package static func spelling<C: Collection>(_ raw: C) -> String where C.Element == UInt8 {
        String(decoding: encode(raw), as: UTF8.self)
    }
}
