/// Hugging Face's `BertProcessing`: `[CLS] A [SEP]` and `[CLS] A [SEP] B [SEP]`, type ids
/// 0 for the first part and 1 for the second; overflowing parts get the same tokens.
public struct BertProcessing: PostProcessor {
    /// The separator (id, token).
    public let sep: (id: Int, token: String)
    /// The classification token (id, token).
    public let cls: (id: Int, token: String)

    /// Creates the post-processor.
    public init(sep: (id: Int, token: String), cls: (id: Int, token: String)) {
        self.sep = sep
        self.cls = cls
    }

    /// 2 for a sequence, 3 for a pair.
    public func addedTokenCount(pair: Bool) -> Int { pair ? 3 : 2 }

    /// Adds the special tokens.
    public func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        guard addSpecialTokens else { return encodings }
        return encodings.enumerated().map { i, e in
            let build: (Encoding) -> Encoding = { x in
                i == 0 ? x.surrounded(by: [cls], [sep], type: 0) : x.surrounded(by: [], [sep], type: 1)
            }
            var out = build(e)
            out.overflowing = e.overflowing.map(build)
            return out
        }
    }
}

extension BertProcessing {
    /// A `tokenizer.json` `{"type": "BertProcessing", "sep": [token, id], "cls": [token, id]}`.
    init(json v: JSONValue) throws(TokkiError) {
        let sep = try TokenizerJSON.tokenPair(v, "sep"), cls = try TokenizerJSON.tokenPair(v, "cls")
        self.init(sep: sep, cls: cls)
    }
}
