extension UnigramModel {
    /// A `tokenizer.json` `{"type": "Unigram", "vocab": [[piece, score], …], …}` model.
    init(json v: JSONValue, path: String?) throws(TokkiError) {
        let vocab = try v.required("vocab")
        let doc = v.document
        var tokens: [(bytes: ArraySlice<UInt8>, id: Int)] = []
        var scores: [Double] = []
        for (k, e) in try vocab.elementIndices().enumerated() {
            let pair = try vocab.value(at: e, path: "\(vocab.path)[\(k)]").elementIndices()
            guard pair.count == 2, doc.nodes[pair[0]].kind == .string, doc.nodes[pair[1]].kind == .number else {
                throw vocab.error("entry \(k) is not [piece, score]")
            }
            tokens.append((ArraySlice(try doc.stringBytes(pair[0])), k))
            scores.append(doc.double(pair[1]))
        }
        let table: TokenTable
        do { table = try TokenTable(tokens: tokens) } catch { throw vocab.error(error.message) }
        try self.init(tokens: table, scores: scores, unknownID: try v.optional("unk_id")?.int(),
                      byteFallback: try v.optional("byte_fallback")?.bool() ?? false, path: path)
    }
}
