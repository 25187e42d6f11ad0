import Foundation

/// Conversion between SentencePiece `.model` files and Hugging Face `tokenizer.json`, for the
/// models both can represent: SentencePiece unigram ↔ HF `Unigram` with `Metaspace`, and
/// SentencePiece BPE ↔ HF `BPE` in the Llama layout (`Prepend`/`Replace` normalizers, byte
/// fallback); the normalization rules travel as the `Precompiled` charsmap.
///
/// Where the two libraries' algorithms differ the ids can differ on some inputs: HF applies
/// the charsmap per grapheme cluster (SentencePiece: longest byte match — NFD Hangul is
/// composed by SentencePiece only), and HF's BPE ranks merges where SentencePiece ranks
/// pieces. README's compatibility notes list the cases.
extension SentencePieceModel {
    /// The model as a `tokenizer.json` (UTF-8 bytes).
    ///
    /// - Throws: ``TokkiError/invalidModel(path:problem:)`` for model types HF cannot
    ///   represent (WORD, CHAR), whitespace-as-suffix models, or a malformed charsmap.
    public func huggingFaceJSON() throws(TokkiError) -> [UInt8] {
        guard modelType == .unigram || modelType == .bpe else {
            throw .invalidModel(path: path, problem: "\(modelType.rawValue) models have no tokenizer.json equivalent")
        }
        guard !treatWhitespaceAsSuffix else {
            throw .invalidModel(path: path, problem: "treat_whitespace_as_suffix has no tokenizer.json equivalent")
        }
        let n = normalizer
        // The stages, each written by its own type. Normalizer: the charsmap, then
        // SentencePiece's whitespace handling.
        var stages: [(inout JSONWriter) -> Void] = []
        if !n.precompiledCharsmap.isEmpty {
            stages.append(PrecompiledNormalizer(try PrecompiledCharsmap(n.precompiledCharsmap, path: path)).writeJSON)
        }
        // SentencePiece's whitespace handling as normalizers (Llama's layout, no
        // pre-tokenizer, so the model sees the whole text as SentencePiece's does):
        // remove_extra_whitespaces drops leading spaces, trailing spaces and `▁`, and
        // collapses runs (spaces only — a Strip normalizer would also remove tabs and
        // newlines); then the dummy prefix and the escaped spaces.
        if n.removeExtraWhitespaces {
            stages.append(try Replace(.regex("\\A +"), content: "").writeJSON)
            stages.append(try Replace(.regex("[ ▁]+\\z"), content: "").writeJSON)
            stages.append(try Replace(.regex(" {2,}"), content: " ").writeJSON)
        }
        if n.addDummyPrefix { stages.append(Prepend("▁").writeJSON) }
        if n.escapeWhitespaces { stages.append(try Replace(.string(" "), content: "▁").writeJSON) }
        let decoders: [(inout JSONWriter) -> Void] = [
            try ReplaceDecoder(.string("▁"), content: " ").writeJSON,
            byteFallback ? ByteFallbackDecoder().writeJSON : nil,
            FuseDecoder().writeJSON,
            StripDecoder(content: " ", start: n.addDummyPrefix ? 1 : 0, stop: 0).writeJSON,
        ].compactMap { $0 }
        let unigram = modelType == .unigram
        var w = JSONWriter()
        w.object { top in
            top.string("version", "1.0")
            top.member("truncation") { $0.null() }
            top.member("padding") { $0.null() }
            top.member("added_tokens") { w in
                w.array(pieces.enumerated().filter { [.control, .unknown, .userDefined].contains($0.element.type) }) { w, item in
                    w.object { o in
                        o.number("id", Double(item.offset))
                        o.string("content", item.element.piece)
                        o.bool("single_word", false); o.bool("lstrip", false); o.bool("rstrip", false)
                        o.bool("normalized", false)
                        o.bool("special", item.element.type != .userDefined)
                    }
                }
            }
            top.member("normalizer") { w in
                switch stages.count {
                case 0: w.null()
                case 1: stages[0](&w)
                default: NormalizerSequence.writeJSON(stages: stages, to: &w)
                }
            }
            top.member("pre_tokenizer") { $0.null() }
            top.member("post_processor") { $0.null() }
            top.member("decoder") { DecoderSequence.writeJSON(stages: decoders, to: &$0) }
            top.member("model") { w in
                if unigram {
                    UnigramModel.writeJSON(unknownID: unknownID, vocabulary: pieces.lazy.map { ($0.piece, Double($0.score)) },
                                           byteFallback: byteFallback, to: &w)
                } else {
                    let options = BPEModel.Options(unknownToken: pieces[unknownID].piece, fuseUnknown: true, byteFallback: byteFallback)
                    BPEModel.writeJSON(options: options, vocabulary: pieces.enumerated().lazy.map { ($0.element.piece, $0.offset) },
                                       merges: bpeMerges().lazy.map { (pieces[$0.0].piece, pieces[$0.1].piece) }, to: &w)
                }
            }
        }
        return w.bytes
    }

    /// Every way of writing a normal (or user-defined) piece as two pieces, ordered as the
    /// SentencePiece BPE encoder prefers them: higher piece score first, then lower ids.
    func bpeMerges() -> [(Int, Int)] {
        // Keyed by bytes: Swift String equality is canonical equivalence (U+F914 == U+6A02).
        // All pieces back to back, looked up in one byte-string table (the first of equal
        // pieces wins).
        var pool: [UInt8] = [], starts: [Int32] = [], lengths: [Int32] = [], values: [Int32] = []
        for (id, p) in pieces.enumerated() where p.type == .normal || p.type == .userDefined {
            starts.append(Int32(pool.count))
            pool.append(contentsOf: p.piece.utf8)
            lengths.append(Int32(pool.count) - starts[starts.count - 1])
            values.append(Int32(id))
        }
        let table: ByteStringTable
        switch ByteStringTable.build(pool: pool, starts: starts, lengths: lengths, values: values) {
        case .success(let t): table = t
        case .failure:
            // Equal pieces (only in hand-made models): the first of each is found.
            var firsts = Set<[UInt8]>()
            let kept = values.indices.filter { k in
                let s = Int(starts[k])
                return firsts.insert(Array(pool[s..<(s + Int(lengths[k]))])).inserted
            }
            guard case .success(let t) = ByteStringTable.build(pool: pool, starts: kept.map { starts[$0] }, lengths: kept.map { lengths[$0] },
                                                                values: kept.map { values[$0] }) else { return [] }
            table = t
        }
        var merges: [(score: Float, target: Int32, left: Int32, right: Int32)] = []
        pool.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return }
            for k in values.indices {
                let s = Int(starts[k]), n = Int(lengths[k])
                let score = pieces[Int(values[k])].score
                var cut = 1
                while cut < n {
                    if base[s + cut] & 0xC0 != 0x80, let l = table.value(base + s, cut), let r = table.value(base + s + cut, n - cut) {
                        merges.append((score, values[k], l, r))
                    }
                    cut += 1
                }
            }
        }
        merges.sort { x, y in
            if x.score != y.score { return x.score > y.score }
            return (x.target, x.left, x.right) < (y.target, y.left, y.right)
        }
        return merges.map { (Int($0.left), Int($0.right)) }
    }
}

extension HuggingFaceTokenizer {
    /// What a conversion to a SentencePiece model could not reproduce exactly (empty when
    /// the conversion is exact or impossible for another reason).
    public var approximations: [String] {
        var out: [String] = []
        if preTokenizer is Metaspace {
            out.append("Metaspace adds no '▁' before text starting with a space or '▁' and keeps repeated spaces; SentencePiece's normalizer cannot do both")
        }
        if let m = model as? BPEModel, m.unknownID != nil, !m.options.fuseUnknown, !m.options.byteFallback {
            out.append("the BPE model does not fuse runs of unknown characters (fuse_unk false); SentencePiece always does")
        }
        return out
    }

    /// The tokenizer as a SentencePiece model, when its pipeline is one SentencePiece can
    /// express: a Unigram model with a `Metaspace` pre-tokenizer, or a BPE model in the Llama
    /// layout (`Prepend("▁")` + `Replace(" ", "▁")`, no pre-tokenizer), optionally after a
    /// `Precompiled` normalizer.
    ///
    /// The conversion is exact — the model gives this tokenizer's ids on every input — or it
    /// is refused. Two habits of a `Metaspace` pipeline have no SentencePiece equivalent:
    /// Metaspace adds no `▁` before text that already starts with a space or `▁` (and keeps
    /// repeated spaces), and a BPE model without `fuse_unk` (and without byte fallback) does
    /// not fuse runs of unknown characters. With `approximate` such tokenizers convert
    /// anyway (the result differs on inputs with those features); ``approximations`` lists
    /// what would differ.
    ///
    /// - Throws: ``TokkiError/invalidModel(path:problem:)`` naming the component that has
    ///   no SentencePiece equivalent, or the habit that makes the conversion inexact.
    public func sentencePieceModel(approximate: Bool = false) throws(TokkiError) -> SentencePieceModel {
        func unsupported(_ what: String) -> TokkiError {
            .invalidModel(path: path, problem: "cannot convert to a SentencePiece model: \(what)")
        }
        // Normalizer stages.
        let stages: [any Normalizer]
        switch normalizer {
        case nil: stages = []
        case let s as NormalizerSequence: stages = s.normalizers
        case let n?: stages = [n]
        }
        var charsmap: [UInt8] = []
        var prepend = false, escape = false, removeExtra = false
        for stage in stages {
            switch stage {
            case let p as PrecompiledNormalizer: charsmap = p.charsmap.blob
            case let p as Prepend where p.prefix == "▁": prepend = true
            case let r as Replace:
                switch (r.pattern, r.content) {
                case (.string(" "), "▁"): escape = true
                case (.regex(" {2,}"), _), (.regex("\\A +"), ""), (.regex("[ ▁]+\\z"), ""), (.regex(" +\\z"), ""): removeExtra = true
                default: throw unsupported("Replace normalizer \(r.pattern) → '\(r.content)'")
                }
            case is Strip: removeExtra = true
            default: throw unsupported("normalizer \(type(of: stage))")
            }
        }
        var proto = Sentencepiece_ModelProto()
        var trainer = Sentencepiece_TrainerSpec()
        var norm = Sentencepiece_NormalizerSpec()
        norm.name = charsmap.isEmpty ? "identity" : "user_defined"
        norm.precompiledCharsmap = Data(charsmap)
        norm.removeExtraWhitespaces = removeExtra
        let special = Set(addedTokens.filter(\.special).map(\.id))
        let user = Set(addedTokens.filter { !$0.special }.map(\.id))
        var pieces: [Sentencepiece_ModelProto.SentencePiece] = []
        func piece(_ text: String, _ score: Float, _ id: Int, unknown: Int?) -> Sentencepiece_ModelProto.SentencePiece {
            var p = Sentencepiece_ModelProto.SentencePiece()
            p.piece = text
            p.score = score
            if id == unknown { p.type = .unknown }
            else if special.contains(id) { p.type = .control }
            else if user.contains(id) { p.type = .userDefined }
            else if ByteFallbackDecoder.byteValue(text) != nil { p.type = .byte }
            else { p.type = .normal }
            return p
        }
        switch model {
        case let m as UnigramModel:
            if let meta = preTokenizer as? Metaspace, meta.replacement == "▁", !prepend, !escape {
                norm.addDummyPrefix = meta.prependScheme != .never
            } else if preTokenizer == nil, escape {
                norm.addDummyPrefix = prepend
            } else {
                throw unsupported("a Unigram tokenizer needs a Metaspace(\"▁\") pre-tokenizer or Llama's Prepend/Replace normalizers")
            }
            trainer.modelType = .unigram
            norm.escapeWhitespaces = true
            for id in 0..<m.tokens.count {
                guard let text = m.tokens.string(of: id) else { throw unsupported("id \(id) has no token") }
                pieces.append(piece(text, Float(m.scores[id]), id, unknown: m.unknownID))
            }
            trainer.byteFallback = m.byteFallback
            if let u = m.unknownID { trainer.unkID = Int32(u) }
        case let m as BPEModel:
            if let meta = preTokenizer as? Metaspace, meta.replacement == "▁", !prepend, !escape, !m.byteLevel {
                prepend = meta.prependScheme != .never
            } else if !(preTokenizer == nil && !m.byteLevel && escape) {
                throw unsupported("a BPE tokenizer needs a Metaspace(\"▁\") pre-tokenizer or the Llama layout (Replace(\" \", \"▁\") normalizer, no pre-tokenizer)")
            }
            guard m.options.continuingSubwordPrefix ?? "" == "", m.options.endOfWordSuffix ?? "" == "" else {
                throw unsupported("BPE with subword prefixes or suffixes")
            }
            trainer.modelType = .bpe
            norm.addDummyPrefix = prepend
            norm.escapeWhitespaces = true
            // SentencePiece ranks pieces by score: a merged piece scores minus its merge rank;
            // other pieces (characters, specials) score below every merge.
            var score = [Float](repeating: -Float(m.mergeList.count + 1), count: m.tokens.count)
            for (rank, pair) in m.mergeList.enumerated() {
                if let merged = m.merges.lookup(pair.0, pair.1)?.merged, score[Int(merged)] < -Float(rank) {
                    score[Int(merged)] = -Float(rank)
                }
            }
            let unknown = m.unknownID.map(Int.init)
            for id in 0..<m.tokens.count {
                guard let text = m.tokens.string(of: id) else { throw unsupported("id \(id) has no token") }
                pieces.append(piece(text, special.contains(id) || id == unknown ? 0 : score[id], id, unknown: unknown))
            }
            trainer.byteFallback = m.options.byteFallback
            if let u = unknown { trainer.unkID = Int32(u) }
        default:
            throw unsupported("model \(type(of: model))")
        }
        // Special pieces by their usual names.
        func idOf(_ text: String) -> Int32 { Int32(pieces.firstIndex { $0.piece.utf8.elementsEqual(text.utf8) } ?? -1) }
        trainer.bosID = idOf("<s>")
        trainer.eosID = idOf("</s>")
        trainer.padID = idOf("<pad>")
        guard pieces.contains(where: { $0.type == .unknown }) else { throw unsupported("SentencePiece needs an unknown token") }
        if !approximate, let first = approximations.first {
            throw unsupported("\(first) (pass approximate to convert anyway; ids then differ on such inputs)")
        }
        proto.pieces = pieces
        proto.trainerSpec = trainer
        proto.normalizerSpec = norm
        return try SentencePieceModel(proto: proto, path: path)
    }
}

/// Writes `tokenizer.json` files for tokenizers Tokki makes.
public enum TokenizerJSONWriter {
    /// A GPT-2-style byte-level BPE: `tokens` are raw bytes by id (the first `specialCount`
    /// are special tokens, written as they are), `merges` pairs of ids in rank order,
    /// `charsmap` an optional `Precompiled` normalizer (empty: none) and `pattern` the
    /// pre-tokenization regex (GPT-2's gives a plain `ByteLevel` pre-tokenizer).
    public static func byteLevelBPE(tokens: [[UInt8]], specialCount: Int, merges: [(Int, Int)], charsmap: [UInt8],
                                    pattern: String) -> [UInt8] {
        let spelled = tokens.enumerated().map { $0.offset < specialCount ? String(decoding: $0.element, as: UTF8.self) : ByteLevelAlphabet.spelling($0.element) }
        // The stages write themselves; the byte-level ones without being made (making
        // ByteLevel and Split compiles their regexes, which this non-throwing writer cannot do).
        var w = JSONWriter()
        w.object { top in
            top.string("version", "1.0")
            top.member("truncation") { $0.null() }
            top.member("padding") { $0.null() }
            top.member("added_tokens") { w in
                w.array(0..<specialCount) { w, id in
                    w.object { o in
                        o.number("id", Double(id)); o.string("content", spelled[id])
                        o.bool("single_word", false); o.bool("lstrip", false); o.bool("rstrip", false)
                        o.bool("normalized", false); o.bool("special", true)
                    }
                }
            }
            top.member("normalizer") { w in
                guard !charsmap.isEmpty else { w.null(); return }
                PrecompiledNormalizer.writeJSON(charsmap: charsmap, to: &w)
            }
            top.member("pre_tokenizer") { w in
                if pattern == PretokenizationPattern.gpt2 {
                    ByteLevel.writeJSON(addPrefixSpace: false, useRegex: true, trimOffsets: true, to: &w)
                    return
                }
                PreTokenizationSequence.writeJSON(stages: [
                    { RegexSplit.writeSplitJSON(pattern: .regex(pattern), behavior: .isolated, invert: false, to: &$0) },
                    { ByteLevel.writeJSON(addPrefixSpace: false, useRegex: false, trimOffsets: true, to: &$0) },
                ], to: &w)
            }
            top.member("post_processor") { ByteLevelPostProcessor(trimOffsets: true, addPrefixSpace: false).writeJSON(to: &$0) }
            top.member("decoder") { ByteLevelDecoder().writeJSON(to: &$0) }
            top.member("model") { w in
                BPEModel.writeJSON(options: BPEModel.Options(), vocabulary: spelled.enumerated().lazy.map { ($0.element, $0.offset) },
                                   merges: merges.lazy.map { (spelled[$0.0], spelled[$0.1]) }, to: &w)
            }
        }
        return w.bytes
    }
}
