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
    /// Writes the model as `{"type": "BPE", …, "vocab": {token: id, …}, "merges": [[left,
    /// right], …]}`: tokens by id (a byte-level model's as their byte-level spelling, as read),
    /// merges in rank order. For models read from `tokenizer.json` or made from token strings;
    /// a model made from tiktoken ranks has raw-byte tokens and no merge list to write.
    func writeJSON(to w: inout JSONWriter) {
        let ids = (0..<tokens.count).lazy.filter { tokens.contains($0) }
        Self.writeJSON(options: options, vocabulary: ids.map { (tokens.string(of: $0) ?? "", $0) },
                       merges: mergeList.lazy.map { (tokens.string(of: Int($0.0)) ?? "", tokens.string(of: Int($0.1)) ?? "") },
                       to: &w)
    }

    /// Writes a `BPE` model from its options, its vocabulary as (token, id) in the order
    /// written, and its merges as token pairs in rank order, without making the model (the
    /// writers that hold only the token strings: SentencePiece conversion, training).
    static func writeJSON(options: Options, vocabulary: some Sequence<(String, Int)>, merges: some Sequence<(String, String)>,
                          to w: inout JSONWriter) {
        w.object { o in
            o.string("type", "BPE")
            o.number("dropout", options.dropout)
            o.string("unk_token", options.unknownToken)
            o.string("continuing_subword_prefix", options.continuingSubwordPrefix)
            o.string("end_of_word_suffix", options.endOfWordSuffix)
            o.bool("fuse_unk", options.fuseUnknown)
            o.bool("byte_fallback", options.byteFallback)
            o.bool("ignore_merges", options.ignoreMerges)
            o.member("vocab") { w in
                w.object { v in
                    for (token, id) in vocabulary { v.number(token, Double(id)) }
                }
            }
            o.member("merges") { w in
                w.array(merges) { w, m in
                    w.raw("["); w.string(m.0); w.raw(","); w.string(m.1); w.raw("]")
                }
            }
        }
    }
}
