/// The BPE decoder for models with an end-of-word suffix: the suffix becomes a space
/// (nothing after the last token).
public struct BPESuffixDecoder: TokenDecoder {
    /// The suffix.
    public let suffix: String
    /// Creates the decoder.
    public init(suffix: String = "</w>") { self.suffix = suffix }
    /// Rewrites each token.
    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, t in t.replacingAll(suffix, with: i == tokens.count - 1 ? "" : " ") }
    }
}

extension BPESuffixDecoder {
    /// A `tokenizer.json` `{"type": "BPEDecoder", "suffix": …}` decoder.
    init(json v: JSONValue) throws(TokkiError) {
        self.init(suffix: try v.optional("suffix")?.string() ?? "</w>")
    }
}
