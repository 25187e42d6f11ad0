extension TokenizerJSON {
    /// A `model` object: its `"type"` (or, without one, its fields) picks the variant, which
    /// reads its own fields.
    static func readModel(_ v: JSONValue, byteLevel: Bool, path: String?, bulk: BulkFields? = nil) throws(TokkiError) -> any PieceModel {
        var t = try v.optional("type")?.string()
        if t == nil {
            if v["merges"] != nil { t = "BPE" } else if v.optional("vocab")?.kind == .array { t = "Unigram" } else if v["max_input_chars_per_word"] != nil { t = "WordPiece" } else { t = "WordLevel" }
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
