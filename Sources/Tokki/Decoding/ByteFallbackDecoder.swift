/// Reassembles runs of `<0xXX>` tokens into text (malformed runs become one U+FFFD per byte).
public struct ByteFallbackDecoder: TokenDecoder {
    /// Creates the decoder.
    public init() {}

    static func byteValue(_ t: String) -> UInt8? {
        let u = Array(t.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E else { return nil }
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        guard let hi = hex(u[3]), let lo = hex(u[4]) else { return nil }
        return hi << 4 | lo
    }

    /// Rewrites the token list.
    public func decodeChain(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if UTF8Validation.firstInvalidOffset(in: pending) == nil {
                out.append(String(decoding: pending, as: UTF8.self))
            } else {
                out.append(String(repeating: "\u{FFFD}", count: pending.count))
            }
            pending.removeAll()
        }
        for t in tokens {
            if let b = Self.byteValue(t) { pending.append(b) } else { flush(); out.append(t) }
        }
        flush()
        return out
    }
}

extension ByteFallbackDecoder {
    /// Writes the decoder as `{"type": "ByteFallback"}` (it has no fields; read in
    /// TokenizerJSON+Decoder.swift).
    func writeJSON(to w: inout JSONWriter) {
        w.object { o in o.string("type", "ByteFallback") }
    }
}
