extension WordPieceModel {
    /// A `tokenizer.json` `{"type": "WordPiece", "vocab": …, …}` model (`bulk`: what
    /// ``TokenizerJSONBulkReader`` read of it).
    init(json v: JSONValue, path: String?, bulk: TokenizerJSON.BulkFields?) throws(TokkiError) {
        try self.init(tokens: try TokenizerJSON.vocabularyObject(try v.required("vocab"), path: path, bulk: bulk),
                      unknownToken: try v.optional("unk_token")?.string() ?? "[UNK]",
                      continuingSubwordPrefix: try v.optional("continuing_subword_prefix")?.string() ?? "##",
                      maxInputCharactersPerWord: try v.optional("max_input_chars_per_word")?.int() ?? 100, path: path)
    }
}

extension WordLevelModel {
    /// A `tokenizer.json` `{"type": "WordLevel", "vocab": …, "unk_token": …}` model (`bulk`:
    /// what ``TokenizerJSONBulkReader`` read of it).
    init(json v: JSONValue, path: String?, bulk: TokenizerJSON.BulkFields?) throws(TokkiError) {
        try self.init(tokens: try TokenizerJSON.vocabularyObject(try v.required("vocab"), path: path, bulk: bulk),
                      unknownToken: try v.optional("unk_token")?.string(), path: path)
    }
}
