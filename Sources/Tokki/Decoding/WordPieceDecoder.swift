/// BERT's WordPiece decoder: `##` pieces are glued to the previous one, others get a space;
/// optional clean-up of spaces before punctuation and in English contractions.
public struct WordPieceDecoder: TokenDecoder {
    /// The continuing-subword prefix.
    public let prefix: String
    /// Apply the clean-up rules.
    public let cleanup: Bool
    /// Creates the decoder.
    public init(prefix: String = "##", cleanup: Bool = true) {
        self.prefix = prefix
        self.cleanup = cleanup
    }
    /// Rewrites each token.
    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, t in
            var s = t
            if i != 0 {
                // Compared as bytes: "#" + an emoji modifier is one Character.
                if s.utf8.starts(with: prefix.utf8) {
                    s = String(decoding: s.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
                } else {
                    s = " " + s
                }
            }
            return cleanup ? Self.cleanUp(s) : s
        }
    }

    /// `tokenizers`' `cleanup`: removes spaces before punctuation and in contractions.
    static func cleanUp(_ s: String) -> String {
        var s = s
        for (a, b) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
                       (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            s = s.replacingAll(a, with: b)
        }
        return s
    }
}

extension WordPieceDecoder {
    /// A `tokenizer.json` `{"type": "WordPiece", "prefix": …, "cleanup": …}` decoder.
    init(json v: JSONValue) throws(TokkiError) {
        self.init(prefix: try v.optional("prefix")?.string() ?? "##", cleanup: try v.optional("cleanup")?.bool() ?? true)
    }
}
