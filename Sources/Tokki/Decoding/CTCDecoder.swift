/// The CTC decoder: consecutive duplicates collapsed, the pad token removed, the word
/// delimiter turned into a space.
public struct CTCDecoder: TokenDecoder {
    /// The blank token.
    public let padToken: String
    /// The word delimiter token.
    public let wordDelimiterToken: String
    /// Apply the WordPiece clean-up rules.
    public let cleanup: Bool
    /// Creates the decoder.
    public init(padToken: String = "<pad>", wordDelimiterToken: String = "|", cleanup: Bool = true) {
        self.padToken = padToken
        self.wordDelimiterToken = wordDelimiterToken
        self.cleanup = cleanup
    }
    /// Rewrites the token list.
    public func decodeChain(_ tokens: [String]) -> [String] {
        var deduplicated: [String] = []
        for t in tokens where deduplicated.last != t { deduplicated.append(t) }
        return deduplicated.compactMap { t in
            var s = t.replacingAll(padToken, with: "")
            if cleanup { s = WordPieceDecoder.cleanUp(s).replacingAll(wordDelimiterToken, with: " ") }
            return s.isEmpty ? nil : s
        }
    }
}

extension CTCDecoder {
    /// A `tokenizer.json` `{"type": "CTC", "pad_token": …, "word_delimiter_token": …, "cleanup": …}`
    /// decoder.
    init(json v: JSONValue) throws(TokkiError) {
        self.init(padToken: try v.optional("pad_token")?.string() ?? "<pad>",
                  wordDelimiterToken: try v.optional("word_delimiter_token")?.string() ?? "|",
                  cleanup: try v.optional("cleanup")?.bool() ?? true)
    }
}
