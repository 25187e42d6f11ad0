import Testing
@testable import Tokki
import TokkiTestSupport

/// Every pipeline stage that writes its own `tokenizer.json` object reads back, through the
/// stage dispatchers of `TokenizerJSON`, as a stage that behaves the same and writes the same
/// bytes again.
@Suite struct StageJSONRoundTripTests {
    static let texts = ["", " ", "Hello  world ", "  leading and trailing  ", "한국어 텍스트▁입니다", "ｆｕｌｌ－ｗｉｄｔｈ　１２３",
                        "tab\tand\nnewline", "e\u{301} cafe\u{301}", "x▁▁y", "<0x41><0xEA><0xB0><0x80>", "123 4567 89"]

    /// The object `write` writes, parsed.
    static func written(_ write: (inout JSONWriter) -> Void) throws -> (bytes: [UInt8], value: JSONValue) {
        var w = JSONWriter()
        write(&w)
        let doc = try JSONDocument(bytes: w.bytes, path: nil)
        return (w.bytes, doc.root)
    }

    /// Writes `stage`, reads it back with `TokenizerJSON.readNormalizer`, and checks that the
    /// stage read writes the same bytes and normalizes the test texts the same way.
    func normalizerRoundTrip<N: Normalizer>(_ stage: N, _ write: (N, inout JSONWriter) -> Void) throws {
        let (bytes, value) = try Self.written { write(stage, &$0) }
        let back = try #require(try TokenizerJSON.readNormalizer(value) as? N)
        #expect(try Self.written { write(back, &$0) }.bytes == bytes)
        for t in Self.texts {
            let a = try stage.normalizedText(t), b = try back.normalizedText(t)
            #expect(a == b, "\(String(decoding: bytes, as: UTF8.self)) on '\(t)'")
        }
    }

    @Test func normalizers() throws {
        try normalizerRoundTrip(Prepend("▁")) { $0.writeJSON(to: &$1) }
        try normalizerRoundTrip(Strip(left: true, right: false)) { $0.writeJSON(to: &$1) }
        try normalizerRoundTrip(Strip()) { $0.writeJSON(to: &$1) }
        try normalizerRoundTrip(try Replace(.string(" "), content: "▁")) { $0.writeJSON(to: &$1) }
        try normalizerRoundTrip(try Replace(.string("\"quoted\\\""), content: "\t")) { $0.writeJSON(to: &$1) }
        for regex in ["\\A +", "[ ▁]+\\z", " {2,}", "\\p{N}+"] {
            try normalizerRoundTrip(try Replace(.regex(regex), content: " ")) { $0.writeJSON(to: &$1) }
        }
    }

    @Test func precompiledNormalizer() throws {
        let sp = try SentencePieceModel(contentsOf: Fixtures.url("sentencepiece/unigram_nfkc.model"))
        let blob = sp.normalizer.precompiledCharsmap
        let stage = PrecompiledNormalizer(try PrecompiledCharsmap(blob))
        #expect(stage.charsmap.blob == blob)
        try normalizerRoundTrip(stage) { $0.writeJSON(to: &$1) }
        // The writer from bytes writes what the stage writes.
        #expect(try Self.written { PrecompiledNormalizer.writeJSON(charsmap: blob, to: &$0) }.bytes
                == Self.written { stage.writeJSON(to: &$0) }.bytes)
    }

    @Test func normalizerSequence() throws {
        let stages: [any Normalizer] = [Prepend("▁"), try Replace(.regex(" {2,}"), content: " "), try Replace(.string(" "), content: "▁")]
        let (_, value) = try Self.written { w in
            NormalizerSequence.writeJSON(stages: [
                (stages[0] as! Prepend).writeJSON, (stages[1] as! Replace).writeJSON, (stages[2] as! Replace).writeJSON,
            ], to: &w)
        }
        let back = try #require(try TokenizerJSON.readNormalizer(value) as? NormalizerSequence)
        #expect(back.normalizers.count == 3)
        let sequence = NormalizerSequence(stages)
        for t in Self.texts { #expect(try sequence.normalize(t) == back.normalize(t)) }
    }

    /// Writes `stage`, reads it back with `TokenizerJSON.readPreTokenizer`, and checks that the
    /// stage read writes the same bytes and splits the test texts the same way.
    func preTokenizerRoundTrip<P: PreTokenizationStage>(_ stage: P, byteLevel: Bool, _ write: (P, inout JSONWriter) -> Void) throws {
        let (bytes, value) = try Self.written { write(stage, &$0) }
        var sawByteLevel = false
        let back = try #require(try TokenizerJSON.readPreTokenizer(value, byteLevel: &sawByteLevel) as? P)
        #expect(sawByteLevel == byteLevel)
        #expect(try Self.written { write(back, &$0) }.bytes == bytes)
        for t in Self.texts { #expect(try Self.split(stage, t) == Self.split(back, t), "\(String(decoding: bytes, as: UTF8.self)) on '\(t)'") }
    }

    static func split(_ stage: any PreTokenizationStage, _ t: String) throws -> [String] {
        var text = PreTokenizedText(bytes: Array(t.utf8))
        try stage.apply(&text)
        return text.pieces.map { String(decoding: text.bytes[$0], as: UTF8.self) }
    }

    @Test func preTokenizers() throws {
        for (prefix, regex) in [(false, true), (true, true), (false, false), (true, false)] {
            try preTokenizerRoundTrip(try ByteLevel(addPrefixSpace: prefix, useRegex: regex, trimOffsets: !prefix), byteLevel: true) { $0.writeJSON(to: &$1) }
        }
        for scheme in [Metaspace.PrependScheme.always, .first, .never] {
            for split in [true, false] {
                try preTokenizerRoundTrip(Metaspace(replacement: "▁", prependScheme: scheme, split: split), byteLevel: false) { $0.writeJSON(to: &$1) }
            }
        }
        // The static ByteLevel writer writes what the stage writes.
        let stage = try ByteLevel(addPrefixSpace: false, useRegex: false, trimOffsets: true)
        #expect(try Self.written { ByteLevel.writeJSON(addPrefixSpace: false, useRegex: false, trimOffsets: true, to: &$0) }.bytes
                == Self.written { stage.writeJSON(to: &$0) }.bytes)
    }

    @Test(arguments: [SplitBehavior.removed, .isolated, .mergedWithPrevious, .mergedWithNext, .contiguous])
    func splitPreTokenizer(behavior: SplitBehavior) throws {
        for (pattern, invert) in [(Replace.Pattern.regex(PretokenizationPattern.gpt2), false), (.regex("\\s+"), true),
                                  (.string(" "), false), (.string("\\E."), false)] {
            let (bytes, value) = try Self.written { RegexSplit.writeSplitJSON(pattern: pattern, behavior: behavior, invert: invert, to: &$0) }
            var byteLevel = false
            let back = try TokenizerJSON.readPreTokenizer(value, byteLevel: &byteLevel)
            let expected: RegexSplit
            switch pattern {
            case .regex(let r): expected = try RegexSplit(pattern: r, behavior: behavior, invert: invert, dialect: .oniguruma)
            case .string(let s): expected = try RegexSplit(pattern: "\\Q" + s.replacingAll("\\E", with: "\\E\\\\E\\Q") + "\\E", behavior: behavior,
                                                           invert: invert, dialect: .oniguruma)
            }
            for t in Self.texts + ["a\\E.b"] {
                #expect(try Self.split(SplittingStage(expected), t) == Self.split(back, t), "\(String(decoding: bytes, as: UTF8.self)) on '\(t)'")
            }
        }
    }

    @Test func preTokenizerSequence() throws {
        let (_, value) = try Self.written { w in
            PreTokenizationSequence.writeJSON(stages: [
                { RegexSplit.writeSplitJSON(pattern: .regex(PretokenizationPattern.gpt2), behavior: .isolated, invert: false, to: &$0) },
                { ByteLevel.writeJSON(addPrefixSpace: false, useRegex: false, trimOffsets: true, to: &$0) },
            ], to: &w)
        }
        var byteLevel = false
        let back = try #require(try TokenizerJSON.readPreTokenizer(value, byteLevel: &byteLevel) as? PreTokenizationSequence)
        #expect(byteLevel)
        #expect(back.stages.count == 2)
        let gpt2 = try ByteLevel(addPrefixSpace: false, useRegex: true, trimOffsets: true)
        for t in Self.texts { #expect(try Self.split(gpt2, t) == Self.split(back, t)) }
    }

    /// Writes `stage`, reads it back with `TokenizerJSON.readDecoder`, and checks that the
    /// stage read writes the same bytes and decodes the token lists the same way.
    func decoderRoundTrip<D: TokenDecoder>(_ stage: D, _ write: (D, inout JSONWriter) -> Void) throws {
        let (bytes, value) = try Self.written { write(stage, &$0) }
        let back = try #require(try TokenizerJSON.readDecoder(value) as? D)
        #expect(try Self.written { write(back, &$0) }.bytes == bytes)
        for tokens in Self.tokenLists { #expect(stage.decodeChain(tokens) == back.decodeChain(tokens), "\(String(decoding: bytes, as: UTF8.self)) on \(tokens)") }
    }

    static let tokenLists: [[String]] = [[], ["▁Hello", "▁world"], ["  a ", " b  ", "c"], ["<0xEA>", "<0xB0>", "<0x80>", "▁x", "<0xFF>"],
                                         ["ĠHello", "Ġwor", "ld", "Ċ"], ["▁▁", "▁"]]

    @Test func decoders() throws {
        try decoderRoundTrip(try ReplaceDecoder(.string("▁"), content: " ")) { $0.writeJSON(to: &$1) }
        try decoderRoundTrip(try ReplaceDecoder(.regex("▁+"), content: "_")) { $0.writeJSON(to: &$1) }
        try decoderRoundTrip(ByteFallbackDecoder()) { $0.writeJSON(to: &$1) }
        try decoderRoundTrip(FuseDecoder()) { $0.writeJSON(to: &$1) }
        try decoderRoundTrip(ByteLevelDecoder()) { $0.writeJSON(to: &$1) }
        for (start, stop) in [(0, 0), (1, 0), (2, 1)] {
            try decoderRoundTrip(StripDecoder(content: " ", start: start, stop: stop)) { $0.writeJSON(to: &$1) }
        }
    }

    @Test func decoderSequence() throws {
        let stages: [any TokenDecoder] = [try ReplaceDecoder(.string("▁"), content: " "), ByteFallbackDecoder(), FuseDecoder(),
                                          StripDecoder(content: " ", start: 1, stop: 0)]
        let (_, value) = try Self.written { w in
            DecoderSequence.writeJSON(stages: [
                (stages[0] as! ReplaceDecoder).writeJSON, (stages[1] as! ByteFallbackDecoder).writeJSON,
                (stages[2] as! FuseDecoder).writeJSON, (stages[3] as! StripDecoder).writeJSON,
            ], to: &w)
        }
        let back = try #require(try TokenizerJSON.readDecoder(value) as? DecoderSequence)
        #expect(back.decoders.count == 4)
        let sequence = DecoderSequence(stages)
        for tokens in Self.tokenLists { #expect(sequence.decodeChain(tokens) == back.decodeChain(tokens)) }
    }

    @Test func byteLevelPostProcessor() throws {
        for (trim, prefix) in [(true, false), (false, true), (true, true)] {
            let stage = ByteLevelPostProcessor(trimOffsets: trim, addPrefixSpace: prefix)
            let (bytes, value) = try Self.written { stage.writeJSON(to: &$0) }
            let back = try #require(try TokenizerJSON.readPostProcessor(value, tokenID: { _, _ in 0 }) as? ByteLevelPostProcessor)
            #expect(back.trimOffsets == trim && back.addPrefixSpace == prefix)
            #expect(try Self.written { back.writeJSON(to: &$0) }.bytes == bytes)
        }
    }

    /// A tokenizer around `model` (Metaspace pre-tokenizer unless byte-level).
    static func ids(_ model: any HuggingFaceModel, byteLevel: Bool, _ t: String) throws -> [Int] {
        let pre: any PreTokenizationStage = byteLevel ? try ByteLevel(addPrefixSpace: false) : Metaspace()
        return try HuggingFaceTokenizer(preTokenizer: pre, model: model).encode(t, addSpecialTokens: false).ids
    }

    @Test(arguments: ["unigram_nfkc", "unigram_identity_bf"])
    func unigramModel(name: String) throws {
        let sp = try SentencePieceModel(contentsOf: Fixtures.url("sentencepiece/\(name).model"))
        let model = try UnigramModel(vocabulary: sp.pieces.map { ($0.piece, Double($0.score)) }, unknownID: sp.unknownID,
                                     byteFallback: sp.byteFallback)
        let (bytes, value) = try Self.written { model.writeJSON(to: &$0) }
        // The writer from pieces (the conversion's) writes what the model writes.
        #expect(try Self.written { UnigramModel.writeJSON(unknownID: sp.unknownID, vocabulary: sp.pieces.lazy.map { ($0.piece, Double($0.score)) },
                                                          byteFallback: sp.byteFallback, to: &$0) }.bytes == bytes)
        let back = try #require(try TokenizerJSON.readModel(value, byteLevel: false, path: nil) as? UnigramModel)
        #expect(try Self.written { back.writeJSON(to: &$0) }.bytes == bytes)
        for t in Self.texts { #expect(try Self.ids(model, byteLevel: false, t) == Self.ids(back, byteLevel: false, t)) }
    }

    @Test(arguments: ["bpe_nfkc", "bpe_identity_bf"])
    func bpeModel(name: String) throws {
        let sp = try SentencePieceModel(contentsOf: Fixtures.url("sentencepiece/\(name).model"))
        let options = BPEModel.Options(unknownToken: sp.pieces[sp.unknownID].piece, fuseUnknown: true, byteFallback: sp.byteFallback)
        let merges = sp.bpeMerges().map { (sp.pieces[$0.0].piece, sp.pieces[$0.1].piece) }
        let model = try BPEModel(vocabulary: Dictionary(sp.pieces.enumerated().map { ($0.element.piece, $0.offset) }, uniquingKeysWith: min),
                                 merges: merges, options: options)
        let (bytes, value) = try Self.written { model.writeJSON(to: &$0) }
        // The writer from token strings (the conversion's) writes what the model writes.
        #expect(try Self.written { BPEModel.writeJSON(options: options, vocabulary: sp.pieces.enumerated().lazy.map { ($0.element.piece, $0.offset) },
                                                      merges: merges, to: &$0) }.bytes == bytes)
        let back = try #require(try TokenizerJSON.readModel(value, byteLevel: false, path: nil) as? BPEModel)
        #expect(back.options == options)
        #expect(try Self.written { back.writeJSON(to: &$0) }.bytes == bytes)
        for t in Self.texts { #expect(try Self.ids(model, byteLevel: false, t) == Self.ids(back, byteLevel: false, t)) }
    }

    @Test func byteLevelBPEModel() throws {
        let tokens = ["Ġ", "a", "b", "c", "Ġa", "ab", "Ġab", "abc"]
        let merges = [("Ġ", "a"), ("a", "b"), ("Ġa", "b"), ("ab", "c")]
        let options = BPEModel.Options(dropout: 0.25, continuingSubwordPrefix: "", endOfWordSuffix: "", ignoreMerges: true)
        let model = try BPEModel(vocabulary: Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($0.element, $0.offset) }), merges: merges,
                                 options: options, byteLevel: true)
        let (bytes, value) = try Self.written { model.writeJSON(to: &$0) }
        let back = try #require(try TokenizerJSON.readModel(value, byteLevel: true, path: nil) as? BPEModel)
        #expect(back.options == options && back.byteLevel)
        #expect(try Self.written { back.writeJSON(to: &$0) }.bytes == bytes)
        for t in ["abc ab a", " abcabc", "cab"] { #expect(try Self.ids(model, byteLevel: true, t) == Self.ids(back, byteLevel: true, t)) }
    }
}
