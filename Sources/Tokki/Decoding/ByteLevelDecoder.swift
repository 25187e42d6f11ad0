/// Maps GPT-2 byte-level characters back to bytes and decodes the whole text as UTF-8
/// (malformed sequences become U+FFFD).
public struct ByteLevelDecoder: TokenDecoder {
    /// Creates the decoder.
    public init() {}
    /// Joins the tokens' bytes into one string.
    public func decodeChain(_ tokens: [String]) -> [String] {
        var bytes: [UInt8] = []
        for t in tokens {
            if let raw = ByteLevelAlphabet.rawBytes(t.utf8) { bytes.append(contentsOf: raw) } else { bytes.append(contentsOf: t.utf8) }
        }
        return [String(decoding: bytes, as: UTF8.self)]
    }
}

extension ByteLevelDecoder {
    /// Writes the decoder as `{"type": "ByteLevel", …}` with the fields `tokenizers`' shared
    /// ByteLevel component requires but the decoder does not use (written as Tokki's
    /// byte-level tokenizers have them: no prefix space, offsets trimmed, regex on).
    func writeJSON(to w: inout JSONWriter) {
        ByteLevel.writeJSON(addPrefixSpace: false, useRegex: true, trimOffsets: true, to: &w)
    }
}
