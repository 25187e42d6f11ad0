/// Removes up to `start` leading and `stop` trailing occurrences of `content` from each token.
public struct StripDecoder: TokenDecoder {
    /// The character to strip.
    public let content: Unicode.Scalar
    /// How many to strip at the start.
    public let start: Int
    /// How many to strip at the end.
    public let stop: Int
    /// Creates the decoder.
    public init(content: Unicode.Scalar, start: Int, stop: Int) {
        self.content = content
        self.start = start
        self.stop = stop
    }
    /// Strips each token.
    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { t in
            let chars = Array(t.unicodeScalars)
            var a = 0
            while a < start && a < chars.count && chars[a] == content { a += 1 }
            var b = 0
            while b < stop && chars.count - b > a && chars[chars.count - 1 - b] == content { b += 1 }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: chars[a..<(chars.count - b)])
            return String(view)
        }
    }
}

extension StripDecoder {
    /// A `tokenizer.json` `{"type": "Strip", "content": …, "start": …, "stop": …}` decoder.
    init(json v: JSONValue) throws(TokkiError) {
        self.init(content: try TokenizerJSON.scalar(try v.required("content")), start: try v.optional("start")?.int() ?? 0,
                  stop: try v.optional("stop")?.int() ?? 0)
    }
    /// Writes the decoder as `{"type": "Strip", "content": …, "start": …, "stop": …}`.
    func writeJSON(to w: inout JSONWriter) {
        w.object { o in
            o.string("type", "Strip"); o.string("content", String(content))
            o.number("start", Double(start)); o.number("stop", Double(stop))
        }
    }
}
