/// Hugging Face's `RobertaProcessing`: `<s> A </s>` and `<s> A </s></s> B </s>`, with the
/// byte-level offset trimming.
public struct RobertaProcessing: PostProcessor {
    /// The separator (id, token).
    public let sep: (id: Int, token: String)
    /// The classification token (id, token).
    public let cls: (id: Int, token: String)
    /// Trim spaces from offsets.
    public let trimOffsets: Bool
    /// Whether the pre-tokenizer adds a prefix space.
    public let addPrefixSpace: Bool

    /// Creates the post-processor.
    public init(sep: (id: Int, token: String), cls: (id: Int, token: String), trimOffsets: Bool = true, addPrefixSpace: Bool = true) {
        self.sep = sep
        self.cls = cls
        self.trimOffsets = trimOffsets
        self.addPrefixSpace = addPrefixSpace
    }

    /// 2 for a sequence, 4 for a pair.
    public func addedTokenCount(pair: Bool) -> Int { pair ? 4 : 2 }

    /// Trims offsets, sets every type id to 0, adds the special tokens (to the overflowing
    /// parts too).
    public func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        var list = trimOffsets ? encodings.map { ByteLevelPostProcessor.trimAll($0, addPrefixSpace: addPrefixSpace) } : encodings
        list = list.map { var e = $0.withTypeID(0); e.overflowing = $0.overflowing; return e }
        guard addSpecialTokens else { return list }
        return list.enumerated().map { i, e in
            let before = i == 0 ? [cls] : [sep]
            var out = e.surrounded(by: before, [sep], type: 0, middleType: 0)
            out.overflowing = e.overflowing.map { $0.surrounded(by: before, [sep], type: 0, middleType: 0) }
            return out
        }
    }
}

extension RobertaProcessing {
    /// A `tokenizer.json` `{"type": "RobertaProcessing", "sep": …, "cls": …, "trim_offsets": …,
    /// "add_prefix_space": …}`.
    init(json v: JSONValue) throws(TokkiError) {
        self.init(sep: try TokenizerJSON.tokenPair(v, "sep"), cls: try TokenizerJSON.tokenPair(v, "cls"),
                  trimOffsets: try v.optional("trim_offsets")?.bool() ?? true,
                  addPrefixSpace: try v.optional("add_prefix_space")?.bool() ?? true)
    }
}
