extension TokenizerJSON {
    /// A `pre_tokenizer` object: its `"type"` picks the variant, which reads its own fields.
    /// Sets `byteLevel` when the pipeline has a `ByteLevel` stage.
    static func readPreTokenizer(_ v: JSONValue, byteLevel: inout Bool) throws(TokkiError) -> any PreTokenizationStage {
        let t = try type(v)
        switch t {
        case "ByteLevel":
            byteLevel = true
            return try ByteLevel(json: v)
        case "Split": return SplittingStage(try RegexSplit(splitJSON: v))
        case "Metaspace": return try Metaspace(json: v)
        case "Whitespace": return SplittingStage(try RegexSplit.whitespace())
        case "WhitespaceSplit": return SplittingStage(try RegexSplit.whitespaceSplit())
        case "Punctuation": return SplittingStage(try RegexSplit(punctuationJSON: v))
        case "Digits": return SplittingStage(try RegexSplit(digitsJSON: v))
        case "BertPreTokenizer":
            return PreTokenizationSequence([
                SplittingStage(try RegexSplit.whitespaceSplit()),
                SplittingStage(try RegexSplit(pattern: RegexSplit.bertPunctuation, behavior: .isolated)),
            ])
        case "UnicodeScripts": return SplittingStage(UnicodeScripts())
        case "CharDelimiterSplit": return SplittingStage(try RegexSplit(charDelimiterJSON: v))
        case "Sequence":
            var stages: [any PreTokenizationStage] = []
            for item in try v.required("pretokenizers").array() { stages.append(try readPreTokenizer(item, byteLevel: &byteLevel)) }
            return PreTokenizationSequence(stages)
        default: throw unsupported(v, "pre-tokenizer", t)
        }
    }
}
