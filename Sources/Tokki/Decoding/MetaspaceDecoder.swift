/// Turns the replacement character back into spaces and drops the space the pre-tokenizer
/// prepended to the first token.
public struct MetaspaceDecoder: TokenDecoder {
    /// The character standing for a space.
    public let replacement: Unicode.Scalar
    /// Whether a space was prepended (then the first token's leading space is dropped).
    public let prependScheme: Metaspace.PrependScheme
    /// Creates the decoder.
    public init(replacement: Unicode.Scalar = "▁", prependScheme: Metaspace.PrependScheme = .always) {
        self.replacement = replacement
        self.prependScheme = prependScheme
    }
    /// Rewrites each token.
    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, t in
            var chars = String.UnicodeScalarView()
            for c in t.unicodeScalars { chars.append(c == replacement ? " " : c) }
            if i == 0 && prependScheme != .never && chars.first == " " { chars.removeFirst() }
            return String(chars)
        }
    }
}

extension MetaspaceDecoder {
    /// A `tokenizer.json` `{"type": "Metaspace", "replacement": …, "prepend_scheme": …}` decoder.
    init(json v: JSONValue) throws(TokkiError) {
        let scheme = try Metaspace.prependScheme(json: v)
        self.init(replacement: try v.optional("replacement").map { (r) throws(TokkiError) in try TokenizerJSON.scalar(r) } ?? "▁",
                  prependScheme: scheme)
    }
}
