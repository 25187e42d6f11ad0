extension TokenizerJSON {
    /// A `model` object: its `"type"` (or, without one, its fields) picks the variant, which
    /// reads its own fields.
    /// `compiled`: the tables of a BPE model from a cache image (the document's `vocab` and
    /// `merges` are then empty).
    static func readModel(_ v: JSONValue, byteLevel: Bool, path: String?, bulk: BulkFields? = nil,
                          compiled: BPEModel.Compiled? = nil) throws(TokkiError) -> any PieceModel {
        var t = try v.optional("type")?.string()
        if t == nil {
            if v["merges"] != nil { t = "BPE" } else if v.optional("vocab")?.kind == .array { t = "Unigram" } else if v["max_input_chars_per_word"] != nil { t = "WordPiece" } else { t = "WordLevel" }
        }
        if let compiled {
            guard t == "BPE" else { throw v.error("a cache image of a BPE model for a model of type \(t!)") }
            return try BPEModel(json: v, byteLevel: byteLevel, path: path, compiled: compiled)
        }
        switch t! {
        case "BPE": return try BPEModel(json: v, byteLevel: byteLevel, path: path, bulk: bulk)
        case "Unigram": return try UnigramModel(json: v, path: path)
        case "WordPiece": return try WordPieceModel(json: v, path: path, bulk: bulk)
        case "WordLevel": return try WordLevelModel(json: v, path: path, bulk: bulk)
        case let other:
            throw unsupported(v, "model", other)
        }
    }
}
