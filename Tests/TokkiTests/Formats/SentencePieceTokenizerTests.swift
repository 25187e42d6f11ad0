import Foundation
import Testing
@testable import Tokki
import TokkiTestSupport

struct SPNBest: Decodable {
    struct Entry: Decodable { let name: String; let nbest_size: Int; let ids: [[Int]] }
    let nbest: [Entry]
}

@Suite("SentencePieceTokenizer")
struct SentencePieceTokenizerTests {
    static func load(_ name: String) throws -> SentencePieceTokenizer {
        try SentencePieceTokenizer(contentsOf: Fixtures.url("sentencepiece/\(name).model"))
    }

    @Test(arguments: ["unigram_nfkc", "unigram_identity_bf", "unigram_nfkc_uds"])
    func nbestMatchesTheReference(_ name: String) throws {
        let sp = try Self.load(name)
        let expected = try JSONDecoder().decode(SPNBest.self, from: Fixtures.data("sentencepiece/\(name).expected.json"))
        let inputs = try SentencePieceFixtures.inputs()
        #expect(!expected.nbest.isEmpty)
        for e in expected.nbest {
            let text = try #require(inputs[e.name])
            let ours = sp.nbestEncodeIDs(text, size: e.nbest_size)
            #expect(ours.first == sp.encodeIDs(text), "\(e.name): the best path is the Viterbi path")
            #expect(ours == e.ids, "\(name) / \(e.name)")
        }
    }

    @Test func denormalizerRestoresWhatNFKCExpanded() throws {
        // unigram_denorm's denormalization rules map (주) → ㈜ and ... → … (see the fixture script).
        let plain = try Self.load("unigram_nfkc"), denorm = try Self.load("unigram_denorm")
        #expect(denorm.model.denormalizer != nil && plain.model.denormalizer == nil)
        #expect(try plain.decode(plain.encodeIDs("㈜한국")) == "(주)한국")
        #expect(try denorm.decode(denorm.encodeIDs("㈜한국 (주)대한")) == "㈜한국 ㈜대한")
    }

    @Test(arguments: ["char_identity", "word_identity_keep_ws"])
    func charAndWordModelsHaveOneSegmentation(_ name: String) throws {
        let sp = try Self.load(name)
        let text = "대한민국의 주권은 국민에게 있고, 모든 권력은 국민으로부터 나온다."
        #expect(sp.sampleEncodeIDs(text, alpha: 0.5, seed: 3) == sp.encodeIDs(text))
        #expect(sp.nbestEncodeIDs(text, size: 3) == [sp.encodeIDs(text)])
        #expect(!sp.encodeIDs(text).isEmpty)
    }

    @Test(arguments: ["unigram_nfkc", "bpe_nfkc_bf"])
    func samplingIsSeededAndLossless(_ name: String) throws {
        let sp = try Self.load(name)
        let text = "「민법」 제3조제1항에 따른 대한민국의 주권은 국민에게 있고, 모든 권력은 국민으로부터 나온다."
        let reference = try sp.decode(sp.encodeIDs(text))
        var distinct = Set<[Int]>()
        for seed in UInt64(0)..<40 {
            let a = sp.sampleEncodeIDs(text, alpha: name.hasPrefix("bpe") ? 0.3 : 0.5, nbestSize: -1, seed: seed)
            let b = sp.sampleEncodeIDs(text, alpha: name.hasPrefix("bpe") ? 0.3 : 0.5, nbestSize: -1, seed: seed)
            #expect(a == b, "same seed, same ids")
            #expect(try sp.decode(a) == reference, "a sample decodes to the same text")
            distinct.insert(a)
        }
        #expect(distinct.count > 5, "different seeds give different segmentations")
        if name.hasPrefix("unigram") {
            for seed in UInt64(0)..<10 {
                let s = sp.sampleEncodeIDs(text, alpha: 0.1, nbestSize: 8, seed: seed)
                #expect(sp.nbestEncodeIDs(text, size: 8).contains(s), "n-best sampling picks one of the n best")
            }
            #expect(sp.sampleEncodeIDs(text, alpha: 0.5, nbestSize: 1, seed: 3) == sp.encodeIDs(text))
        } else {
            #expect(sp.sampleEncodeIDs(text, alpha: 0, seed: 9) == sp.encodeIDs(text), "no dropout, plain BPE")
            let all = sp.sampleEncodeIDs("가나다", alpha: 1, seed: 9)
            #expect(all.count == sp.encodeIDs("▁가▁나▁다").count - 2 || all.count >= 3, "full dropout leaves characters")
        }
    }

    @Test func batchEncodingMatchesSequentialWhateverTheThreads() throws {
        let sp = try Self.load("bpe_nfkc_bf")
        let lines = try String(contentsOf: Fixtures.url("text/korean-sample.txt"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let sequential = lines.map { sp.encode($0) }
        for threads in [1, 2, 4] {
            #expect(sp.encodeBatch(lines, threads: threads) == sequential)
            #expect(sp.encodeIDsBatch(lines, threads: threads) == sequential.map(\.ids))
        }
    }

    @Test func characterOffsetsCountUnicodeScalars() throws {
        let sp = try Self.load("unigram_nfkc_bf")
        let text = "😀 대한민국 ①조"
        let e = sp.encode(text)
        let scalars = Array(text.unicodeScalars)
        let bytes = Array(text.utf8)
        for (r, c) in zip(e.offsets, e.characterOffsets) {
            let fromBytes = String(decoding: bytes[r], as: UTF8.self)
            let fromScalars = String(String.UnicodeScalarView(scalars[c]))
            #expect(fromBytes == fromScalars)
        }
        #expect(e.characterOffsets.last?.upperBound == scalars.count)
    }

    @Test func specialTokensAndLookups() throws {
        let sp = try Self.load("unigram_nfkc")
        #expect(sp.unknownID == 0 && sp.bosID == 1 && sp.eosID == 2 && sp.padID == nil)
        #expect(sp.piece(for: 1) == "<s>" && sp.id(for: "<s>") == 1)
        #expect(sp.id(for: "no such piece ✗") == nil)
        #expect(sp.piece(for: sp.vocabularySize) == nil)
        let ids = sp.encodeIDs("대한민국", addBOS: true, addEOS: true)
        #expect(ids.first == 1 && ids.last == 2)
        #expect(try sp.decode(ids) == "대한민국")
        #expect(throws: TokkiError.invalidID(sp.vocabularySize, vocabularySize: sp.vocabularySize)) {
            try sp.decode([5, sp.vocabularySize])
        }
        #expect(throws: TokkiError.invalidID(-1, vocabularySize: sp.vocabularySize)) { try sp.decode([-1]) }
    }

    @Test func writtenModelIsByteIdenticalAndEncodesTheSame() throws {
        let url = Fixtures.url("sentencepiece/bpe_identity_uds.model")
        let original = try Data(contentsOf: url)
        let model = try SentencePieceModel(contentsOf: url)
        #expect(try model.serialized() == original)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tokki-\(UUID().uuidString).model")
        defer { try? FileManager.default.removeItem(at: out) }
        try model.write(to: out)
        let a = try SentencePieceTokenizer(contentsOf: url), b = try SentencePieceTokenizer(contentsOf: out)
        for text in ["제1조 ① 대한민국은", "<sep>「민법」", "abc 123"] { #expect(a.encode(text) == b.encode(text)) }
    }

    @Test(arguments: SentencePieceFixtures.names)
    func modelsBuiltInMemorySerializeLikeTheReference(_ name: String) throws {
        // A model assembled from a decoded message (not from file bytes) must serialize to
        // exactly the bytes the reference trainer wrote.
        let bytes = try Fixtures.data("sentencepiece/\(name).model")
        let proto = try Sentencepiece_ModelProto(serializedBytes: bytes)
        let model = try SentencePieceModel(proto: proto, path: nil)
        #expect(try model.serialized() == bytes)
        let reloaded = try SentencePieceTokenizer(serialized: model.serialized())
        let original = try SentencePieceTokenizer(serialized: bytes)
        #expect(reloaded.encode("제1조 ① 대한민국은 민주공화국이다.") == original.encode("제1조 ① 대한민국은 민주공화국이다."))
    }

    @Test func unknownFieldsSurviveARoundTrip() throws {
        // Append an unknown top-level field (number 300, varint 7) to a real model.
        var bytes = try Data(contentsOf: Fixtures.url("sentencepiece/unigram_identity.model"))
        bytes.append(contentsOf: [0xE0, 0x12, 0x07])
        let model = try SentencePieceModel(serialized: bytes)
        #expect(try model.serialized() == bytes)
    }
}

@Suite("SentencePiece bad input")
struct SentencePieceBadInputTests {
    static func problem(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch let e as TokkiError {
            if case let .invalidModel(_, problem) = e { return problem }
            return "\(e)"
        } catch { return "\(error)" }
    }

    @Test func truncatedAndCorruptFilesAreErrorsNamingTheFile() throws {
        let data = try Data(contentsOf: Fixtures.url("sentencepiece/unigram_nfkc.model"))
        for cut in [0, 1, 7, 100, data.count / 2, data.count - 1] {
            do {
                _ = try SentencePieceTokenizer(model: SentencePieceModel(serialized: data.prefix(cut), path: "cut.model"))
                Issue.record("a model cut to \(cut) bytes loaded")
            } catch {
                #expect(error.description.contains("cut.model"), "\(error)")
            }
        }
        var rng = SplitMix64(seed: 3)
        for _ in 0..<50 {
            var corrupt = data
            for _ in 0..<20 { corrupt[Int(rng.next() % UInt64(corrupt.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            // Must never crash: either an error or a model that still encodes.
            if let m = try? SentencePieceModel(serialized: corrupt), let t = try? SentencePieceTokenizer(model: m) {
                _ = t.encode("대한민국 헌법 ①")
            }
        }
        #expect(throws: TokkiError.self) { try SentencePieceModel(contentsOf: URL(fileURLWithPath: "/nonexistent/x.model")) }
    }

    /// The pieces' UTF-8 is checked in one pass over all of them: the first invalid piece is
    /// still the one named, whether the concatenation is invalid or (a character cut between
    /// two pieces) valid.
    @Test func firstInvalidPieceAgreesWithCheckingEachPiece() {
        var rng = SplitMix64(seed: 11)
        let chars: [[UInt8]] = [[0x61], [0x20], [0xEA, 0xB0, 0x80], [0xED, 0x95, 0x9C], [0xC3, 0xA9], [0xF0, 0x9F, 0x98, 0x80]]
        var invalidSeen = 0, cutSeen = 0
        for _ in 0..<3_000 {
            // Characters back to back, cut into pieces anywhere (inside characters too), with
            // now and then a stray byte.
            var pool: [UInt8] = []
            for _ in 0..<Int(rng.next() % 12) {
                if rng.next() % 40 == 0 { pool.append(UInt8(truncatingIfNeeded: rng.next())) }
                pool += chars[Int(rng.next() % UInt64(chars.count))]
            }
            var starts: [Int32] = [0]
            var at = 0
            while at < pool.count {
                at = min(pool.count, at + Int(rng.next() % 5))
                starts.append(Int32(at))
            }
            if starts.count == 1 { starts.append(0) }
            let expected = (0..<(starts.count - 1)).first { k in
                UTF8Validation.firstInvalidOffset(in: Array(pool[Int(starts[k])..<Int(starts[k + 1])])) != nil
            }
            #expect(SentencePieceModel.firstInvalidPiece(pool: pool, starts: starts) == expected, "\(pool) \(starts)")
            if expected != nil {
                invalidSeen += 1
                if UTF8Validation.firstInvalidOffset(in: pool) == nil { cutSeen += 1 }
            }
        }
        // Both kinds happened: an invalid concatenation, and a valid one cut inside characters.
        #expect(invalidSeen > 100 && cutSeen > 100, "\(invalidSeen) \(cutSeen)")
    }

    @Test func aPieceStartingInsideACharacterIsNamed() throws {
        // A Korean piece of the model whose first byte becomes a continuation byte.
        let data = try Data(contentsOf: Fixtures.url("sentencepiece/unigram_identity.model"))
        let model = try SentencePieceModel(serialized: data)
        let texts: [[UInt8]] = model.pieces.map { Array($0.piece.utf8) }
        let id = try #require(texts.indices.first { k in texts[k].count == 3 && texts[k][0] >= 0xEA && texts[k][0] <= 0xED })
        let text = texts[id]
        var bytes = [UInt8](data)
        // The piece's text in the file: field 1, length 3, then the three bytes.
        func isText(_ i: Int) -> Bool { bytes[i] == 0x0A && bytes[i + 1] == 3 && Array(bytes[(i + 2)..<(i + 5)]) == text }
        let at = try #require((0..<(bytes.count - 5)).first(where: isText))
        bytes[at + 2] = 0x80
        let problem = Self.problem { _ = try SentencePieceModel(serialized: Data(bytes), path: "cut.model") }
        #expect(problem?.contains("piece \(id) is not valid UTF-8") == true, "\(problem ?? "no error")")
    }

    @Test func missingBytePieceAndMissingUnknownAreRejected() throws {
        let url = Fixtures.url("sentencepiece/unigram_identity_bf.model")
        var proto = try Sentencepiece_ModelProto(serializedBytes: Data(contentsOf: url))
        let byteIndex = try #require(proto.pieces.firstIndex { $0.piece == "<0x41>" })
        var noByte = proto
        noByte.pieces.remove(at: byteIndex)
        let p1 = Self.problem { _ = try SentencePieceModel(proto: noByte, path: "nobyte.model") }
        #expect(p1?.contains("<0x41>") == true, "\(p1 ?? "no error")")
        let unkIndex = try #require(proto.pieces.firstIndex { $0.type == .unknown })
        proto.pieces[unkIndex].type = .normal
        let p2 = Self.problem { _ = try SentencePieceModel(proto: proto, path: "nounk.model") }
        #expect(p2?.contains("no unknown piece") == true, "\(p2 ?? "no error")")
    }

    @Test func malformedBytesBecomeReplacementCharacters() throws {
        // The reference's NormalizePrefix emits U+FFFD for a malformed byte directly, without
        // passing it through the charsmap (which maps a literal U+FFFD to a space).
        let sp = try SentencePieceTokenizer(contentsOf: Fixtures.url("sentencepiece/unigram_nfkc_bf.model"))
        let bad: [UInt8] = Array("가".utf8) + [0xFF] + Array("나".utf8)
        var out = SentencePieceNormalizer.Output()
        bad.withUnsafeBufferPointer { sp.normalizer.normalize($0, into: &out) }
        #expect(String(decoding: out.bytes, as: UTF8.self) == "▁가\u{FFFD}나")
        #expect(try sp.normalizer.normalize("가\u{FFFD}나") == "▁가▁나")
        let e = bad.withUnsafeBufferPointer { sp.encode(bytes: $0) }
        #expect(e.pieces.contains("<0xEF>") && e.pieces.contains("<0xBF>") && e.pieces.contains("<0xBD>"))
        #expect(e.offsets.contains(3..<4), "the byte pieces point at the malformed byte")
    }
}

@Suite("SentencePiece BPE word cache")
struct BPEWordCacheTests {
    /// Word-by-word (cached) BPE must give exactly the whole-sentence merge result.
    @Test(arguments: ["bpe_nfkc", "bpe_nfkc_bf", "bpe_identity_uds", "bpe_split_digits", "bpe_ws_suffix"])
    func cachedEqualsWholeSentence(_ name: String) throws {
        let sp = try SentencePieceTokenizer(contentsOf: Fixtures.url("sentencepiece/\(name).model"))
        let bpe = try #require(sp.bpe)
        var texts = Array(try SentencePieceFixtures.inputs().values)
        texts += try String(contentsOf: Fixtures.url("text/korean-sample.txt"), encoding: .utf8).split(separator: "\n").map(String.init)
        var rng = SplitMix64(seed: 11)
        let pool = ["법", "률", " ", "  ", "▁", "제", "1", "조", "a", "b", "ab", "①", "가나", "\t"]
        for _ in 0..<300 { texts.append((0..<Int(rng.next() % 20)).map { _ in pool[Int(rng.next() % UInt64(pool.count))] }.joined()) }
        var cache = WordCache()
        var buffers = SentencePieceBPEModel.Buffers()
        for text in texts + texts {  // twice: the second pass is served from the cache
            let norm = normalizedBytes(sp, text)
            var whole: [TokenSpan] = [], cached: [TokenSpan] = []
            norm.withUnsafeBufferPointer { b in
                bpe.segment(b, into: &whole)
                bpe.segmentCached(b, into: &cached, buffers: &buffers, cache: &cache)
            }
            #expect(cached == whole, "\(name): \(text)")
        }
    }
}

@Suite("SentencePiece unigram word cache")
struct UnigramWordCacheTests {
    /// Word-by-word (cached) Viterbi must give exactly the whole-sentence result, including
    /// on exact ties (",000" splits) deep into long lines where the running score is large.
    @Test(arguments: ["unigram_nfkc", "unigram_nfkc_bf", "unigram_identity", "unigram_nfkc_uds", "unigram_no_dummy_prefix", "unigram_keep_ws"])
    func cachedEqualsWholeSentence(_ name: String) throws {
        let sp = try SentencePieceTokenizer(contentsOf: Fixtures.url("sentencepiece/\(name).model"))
        let unigram = try #require(sp.unigram)
        var texts = Array(try SentencePieceFixtures.inputs().values)
        let sample = try String(contentsOf: Fixtures.url("text/korean-sample.txt"), encoding: .utf8).split(separator: "\n").map(String.init)
        texts += sample
        texts.append(sample.joined(separator: " "))                        // one long line
        texts.append(String(repeating: "1,000,000원 ", count: 400))       // exact ties, large running score
        var rng = SplitMix64(seed: 5)
        let pool = ["1,000", ",000", "0", "00", " ", "제", "1", "조", "법률", "①", "가나", "  ", "대한민국"]
        for _ in 0..<300 { texts.append((0..<Int(rng.next() % 40)).map { _ in pool[Int(rng.next() % UInt64(pool.count))] }.joined()) }
        var cache = WordCache()
        var buffers = SentencePieceUnigramModel.Buffers()
        for text in texts + texts {
            let norm = normalizedBytes(sp, text)
            var whole: [TokenSpan] = [], cached: [TokenSpan] = []
            norm.withUnsafeBufferPointer { b in
                unigram.segment(b, into: &whole)
                var running: Float = 0
                unigram.segmentCached(b, into: &cached, buffers: &buffers, cache: &cache, running: &running)
            }
            #expect(cached == whole, "\(name): \(text.prefix(80))")
        }
        // The ids-only path (the word cache shared across lines) gives the ids of the
        // whole-sentence spans, unknown runs merged and byte fallback applied.
        var scratch = SentencePieceTokenizer.Scratch()
        for text in texts + texts {
            var fast: [Int32] = []
            var t = text
            t.withUTF8 { sp.encodeIDs($0, into: &fast, scratch: &scratch) }
            #expect(fast.map(Int.init) == sp.encode(text).ids, "\(name): \(text.prefix(80))")
        }
    }

    @Test func idsPathMergesUnknownRunsAcrossWords() throws {
        // Without byte fallback, unknown characters in a row become one <unk> — also when the
        // run continues into the next word (a word without a leading ▁: no dummy prefix).
        let sp = try SentencePieceTokenizer(contentsOf: Fixtures.url("sentencepiece/unigram_nfkc.model"))
        var scratch = SentencePieceTokenizer.Scratch()
        for text in ["☃☃ ☃", "x☃☃", "☃☃☃☃ 법률 ☃☃", "𝄞 𝄞𝄞 𝄞"] {
            for _ in 0..<2 {
                var fast: [Int32] = []
                var t = text
                t.withUTF8 { sp.encodeIDs($0, into: &fast, scratch: &scratch) }
                #expect(fast.map(Int.init) == sp.encode(text).ids, "\(text)")
            }
        }
    }
}

/// The SentencePiece-normalized bytes of `text`.
func normalizedBytes(_ sp: SentencePieceTokenizer, _ text: String) -> [UInt8] {
    var s = text
    return s.withUTF8 { b -> [UInt8] in
        var out = SentencePieceNormalizer.Output()
        sp.normalizer.normalize(b, into: &out)
        return out.bytes
    }
}

@Suite("SentencePiece raw-word ids path")
struct RawWordPathTests {
    /// The ids-only path that cuts raw input at spaces (and caches raw words across lines)
    /// must give the ids of normalizing and segmenting each whole line, on inputs built to
    /// break it: characters that normalize to spaces or to nothing, a literal `▁`, rules
    /// whose output starts with a space, malformed bytes, long words, runs of spaces.
    @Test(arguments: ["unigram_nfkc", "unigram_nfkc_bf", "unigram_identity", "unigram_identity_bf", "unigram_nfkc_uds",
                      "unigram_nfkc_cf", "unigram_denorm", "unigram_no_dummy_prefix", "unigram_keep_ws",
                      "bpe_nfkc", "bpe_nfkc_bf", "bpe_identity", "bpe_identity_bf", "bpe_identity_uds", "bpe_split_digits", "bpe_ws_suffix"])
    func rawWordsEqualWholeLine(_ name: String) throws {
        let sp = try SentencePieceTokenizer(contentsOf: Fixtures.url("sentencepiece/\(name).model"))
        let expectedSplit = !["unigram_no_dummy_prefix", "unigram_keep_ws", "bpe_ws_suffix"].contains(name)
        #expect(sp.splitsRawWords == expectedSplit, "\(name)")
        var lines: [[UInt8]] = try SentencePieceFixtures.inputs().values.map { Array($0.utf8) }
        lines += try String(contentsOf: Fixtures.url("text/korean-sample.txt"), encoding: .utf8).split(separator: "\n").map { Array($0.utf8) }
        let pool: [[UInt8]] = ["법률", "제1조", " ", "  ", "\t", "\u{3000}", "▁", "a▁", "▁b", "¨", "\u{200B}", "\u{0001}", "ｱ", "①",
                               "(주)", "...", "1,000", "가나", "ᄀ", "\u{1161}", "👩‍👩‍👧", "abc", String(repeating: "가", count: 40)].map { Array($0.utf8) }
            + [[0xFF], [0xE2, 0x96], [0xC3], [0xED, 0xA0, 0x80]]
        var rng = SplitMix64(seed: 29)
        for _ in 0..<600 {
            var line: [UInt8] = []
            for _ in 0..<Int(rng.next() % 24) { line += pool[Int(rng.next() % UInt64(pool.count))] }
            lines.append(line)
        }
        var fastScratch = SentencePieceTokenizer.Scratch()
        var wholeScratch = SentencePieceTokenizer.Scratch()
        wholeScratch.cachesWords = false   // the reference: the whole line, no cache at all
        for line in lines + lines {  // twice: the second pass is served from the raw-word cache
            var fast: [Int32] = [], whole: [Int32] = []
            line.withUnsafeBufferPointer { b in
                sp.encodeIDs(b, into: &fast, scratch: &fastScratch)
                wholeScratch.normalized.tracksOffsets = false
                sp.run(b, &wholeScratch)
            }
            var prevUnk = false
            sp.appendIDs(wholeScratch.spans, normalized: wholeScratch.normalized.bytes, into: &whole, prevUnk: &prevUnk)
            #expect(fast == whole, "\(name): \(line) \(String(decoding: line, as: UTF8.self).debugDescription)")
        }
    }
}
