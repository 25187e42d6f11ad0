extension TokenizerJSON {
    /// A `post_processor` object: its `"type"` picks the variant, which reads its own fields.
    static func readPostProcessor(_ v: JSONValue, tokenID: (String, JSONValue) throws(TokkiError) -> Int) throws(TokkiError) -> any PostProcessor {
        let t = try type(v)
        switch t {
        case "TemplateProcessing": return try TemplateProcessing(json: v)
        case "BertProcessing": return try BertProcessing(json: v)
        case "RobertaProcessing": return try RobertaProcessing(json: v)
        case "ByteLevel": return try ByteLevelPostProcessor(json: v)
        case "Sequence":
            var stages: [any PostProcessor] = []
            for item in try v.required("processors").array() { stages.append(try readPostProcessor(item, tokenID: tokenID)) }
            return PostProcessorSequence(stages)
        default: throw unsupported(v, "post-processor", t)
        }
    }

    /// A `[token, id]` field of a post-processor (`sep`, `cls`), as (id, token).
    static func tokenPair(_ v: JSONValue, _ key: StaticString) throws(TokkiError) -> (id: Int, token: String) {
        let pair = try v.required(key).array()
        guard pair.count == 2 else { throw v.error("\(key) must be [token, id]") }
        return (try pair[1].int(), try pair[0].string())
    }
}
