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
    /// Writes the model as `{"type": "Unigram", "unk_id": …, "vocab": [[piece, score], …],
    /// "byte_fallback": …}`.
    func writeJSON(to w: inout JSONWriter) {
        Self.writeJSON(unknownID: unknownID, vocabulary: scores.indices.lazy.map { (tokens.string(of: $0) ?? "", scores[$0]) },
                       byteFallback: byteFallback, to: &w)
    }

    /// Writes a `Unigram` model from its pieces and scores by id, without making the model
    /// (the writers that hold only the pieces: SentencePiece conversion).
    static func writeJSON(unknownID: Int?, vocabulary: some Sequence<(String, Double)>, byteFallback: Bool, to w: inout JSONWriter) {
        w.object { o in
            o.string("type", "Unigram")
            o.number("unk_id", unknownID.map(Double.init))
            o.member("vocab") { w in
                w.array(vocabulary) { w, p in
                    w.raw("["); w.string(p.0); w.raw(","); w.number(p.1); w.raw("]")
                }
            }
            o.bool("byte_fallback", byteFallback)
        }
    }
}
