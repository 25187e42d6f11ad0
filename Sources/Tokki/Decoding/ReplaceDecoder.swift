/// Replaces a literal string (or regex matches) in each token.
public struct ReplaceDecoder: TokenDecoder {
    /// The replacement normalizer doing the work.
    let replace: Replace
    /// Creates the decoder.
    public init(_ pattern: Replace.Pattern, content: String) throws(TokkiError) {
        replace = try Replace(pattern, content: content)
    }
    /// Rewrites each token.
    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { t in (try? replace.normalize(t)) ?? t }
    }
}

extension ReplaceDecoder {
    /// A `tokenizer.json` `{"type": "Replace", "pattern": …, "content": …}` decoder.
    init(json v: JSONValue) throws(TokkiError) {
        try self.init(try TokenizerJSON.pattern(try v.required("pattern")), content: try v.required("content").string())
    }
    /// Writes the decoder as `{"type": "Replace", "pattern": …, "content": …}`.
    func writeJSON(to w: inout JSONWriter) { replace.writeJSON(to: &w) }
}
