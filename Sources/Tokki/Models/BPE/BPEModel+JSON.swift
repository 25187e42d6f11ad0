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
        let options = try Self.options(json: v)
        try self.init(tokens: tokens, merges: merges, mergedIDs: mergedIDs, options: options, byteLevel: byteLevel, path: path)
    }
    /// The options of a `tokenizer.json` BPE object.
    static func options(json v: JSONValue) throws(TokkiError) -> Options {
        Options(
            dropout: try v.optional("dropout")?.double(), unknownToken: try v.optional("unk_token")?.string(),
            continuingSubwordPrefix: try v.optional("continuing_subword_prefix")?.string(),
            endOfWordSuffix: try v.optional("end_of_word_suffix")?.string(),
            fuseUnknown: try v.optional("fuse_unk")?.bool() ?? false, byteFallback: try v.optional("byte_fallback")?.bool() ?? false,
            ignoreMerges: try v.optional("ignore_merges")?.bool() ?? false)
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

// MARK: - Compiled images (ModelCache)

extension BPEModel {
    /// What a cache image keeps of a `tokenizer.json` BPE model: its built token table, its
    /// merges as id pairs, its pair table (with the id each merge makes), and (byte-level
    /// models with `ignore_merges`) its raw-byte table.
    struct Compiled {
        let tokens: TokenTable
        let merges: [(Int32, Int32)]
        let pairs: PairTable
        let rawTokens: TokenTable?
    }

    /// Writes the built parts of the model to a cache image.
    func writeCompiled(to w: inout ImageWriter) {
        tokens.write(to: &w)
        w.section { w in
            w.array(mergeList)
            merges.write(to: &w)
        }
        w.int(rawTokens == nil ? 0 : 1)
        rawTokens?.write(to: &w)
    }

    /// The parts written by ``writeCompiled(to:)``, each merge's ids checked to name tokens.
    static func readCompiled(_ r: inout ImageReader) throws(ImageReader.Malformed) -> Compiled {
        let tokens = try TokenTable(image: &r)
        let at = r.offset
        var part = try r.section()
        let merges = try part.array((Int32, Int32).self)
        let pairs = try PairTable(image: &part)
        try part.expectEnd()
        let mergedIDs = pairs.mergedIDs
        let hasRaw = try r.int()
        let raw = hasRaw == 1 ? try TokenTable(image: &r) : nil
        guard mergedIDs.count == merges.count, hasRaw == 0 || hasRaw == 1,
              merges.allSatisfy({ tokens.contains(Int($0.0)) && tokens.contains(Int($0.1)) }),
              mergedIDs.allSatisfy({ tokens.contains(Int($0)) }) else {
            throw ImageReader.Malformed(offset: at, problem: "merges name ids that are not tokens")
        }
        return Compiled(tokens: tokens, merges: merges, pairs: pairs, rawTokens: raw)
    }

    /// The model of a `tokenizer.json` BPE object whose vocabulary and merges are `compiled`
    /// (its other fields are read from `v`).
    init(json v: JSONValue, byteLevel: Bool, path: String?, compiled: Compiled) throws(TokkiError) {
        try self.init(tokens: compiled.tokens, merges: compiled.merges, mergedIDs: compiled.pairs.mergedIDs,
                      options: try Self.options(json: v), byteLevel: byteLevel, path: path, rawTokens: compiled.rawTokens,
                      pairs: compiled.pairs)
    }
}
