extension BPEModel {
    /// A `tokenizer.json` `{"type": "BPE", "vocab": …, "merges": …, …}` model (`bulk`: what
    /// ``TokenizerJSONBulkReader`` read of it).
    init(json v: JSONValue, byteLevel: Bool, path: String?, bulk: TokenizerJSON.BulkFields?) throws(TokkiError) {
        let tokens = try TokenizerJSON.vocabularyObject(try v.required("vocab"), path: path, bulk: bulk)
        let mergesValue = try v.required("merges")
        var merges: [(Int32, Int32)]
        var mergedIDs: [Int32]? = nil
        if let read = bulk?.reader.merges[mergesValue.index] {
            // A malformed prefix is reported with the other options below.
            let prefix = Array(((try? v.optional("continuing_subword_prefix")?.string()) ?? "").utf8)
            (merges, mergedIDs) = try TokenizerJSON.resolveMerges(read, tokens: tokens, prefix: prefix, path: path)
        } else {
            merges = try TokenizerJSON.mergePairs(mergesValue, tokens: tokens, path: path)
        }
        let options = BPEModel.Options(
            dropout: try v.optional("dropout")?.double(), unknownToken: try v.optional("unk_token")?.string(),
            continuingSubwordPrefix: try v.optional("continuing_subword_prefix")?.string(),
            endOfWordSuffix: try v.optional("end_of_word_suffix")?.string(),
            fuseUnknown: try v.optional("fuse_unk")?.bool() ?? false, byteFallback: try v.optional("byte_fallback")?.bool() ?? false,
            ignoreMerges: try v.optional("ignore_merges")?.bool() ?? false)
        try self.init(tokens: tokens, merges: merges, mergedIDs: mergedIDs, options: options, byteLevel: byteLevel, path: path)
    }
}
