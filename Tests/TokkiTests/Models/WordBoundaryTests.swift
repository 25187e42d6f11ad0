import Testing
@testable import Tokki
import TokkiTestSupport

/// Word-by-word segmentation (with its cache) of SentencePiece models whose pieces may hold a
/// `▁` after other text — Gemma 3's vocabulary has `>▁…` pieces and does not split by
/// whitespace: words may only be cut where no piece can span, and the result must be the
/// whole-line segmentation.
@Suite("Word boundaries")
struct WordBoundaryTests {
    static let alphabet = ["a", "b", ">", "가", "▁", "."]

    /// Random pieces over a small alphabet; some hold `▁` after `>` or `a`, `joinerPieces`
    /// decides whether any do.
    static func model(_ type: SentencePieceModel.ModelType, seed: UInt64, joinerPieces: Bool,
                      dummyPrefix: Bool = false, byteFallback: Bool = false) throws -> SentencePieceTokenizer {
        var rng = SplitMix64(seed: seed)
        var texts = Set(alphabet)
        while texts.count < 60 {
            let length = 2 + Int(rng.next() % 4)
            var t = (0..<length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined()
            // Without joiner pieces, `▁` may only lead a run at the start of a piece.
            if !joinerPieces {
                let body = t.drop { $0 == "▁" }
                guard !body.contains("▁") else { continue }
                t = String(t)
            }
            texts.insert(t)
        }
        if joinerPieces { texts.insert(">▁a"); texts.insert("a▁▁") }
        var pieces = [SentencePieceModel.Piece(piece: "<unk>", score: 0, type: .unknown)]
        for (k, t) in texts.sorted().enumerated() {
            pieces.append(.init(piece: t, score: type == .bpe ? -Float(k) : -Float(rng.next() % 1000) / 100 - 1))
        }
        if byteFallback {
            for b in 0..<256 { pieces.append(.init(piece: String(format: "<0x%02X>", b), score: 0, type: .byte)) }
        }
        var trainer = SentencePieceModel.TrainerSettings()
        trainer.bosID = -1; trainer.eosID = -1
        trainer.splitByWhitespace = false
        trainer.byteFallback = byteFallback
        let normalizer = SentencePieceModel.NormalizerSettings(name: "identity", precompiledCharsmap: [], addDummyPrefix: dummyPrefix,
                                                               removeExtraWhitespaces: false, escapeWhitespaces: true)
        return try SentencePieceTokenizer(model: SentencePieceModel(pieces: pieces, modelType: type, normalizer: normalizer, trainer: trainer))
    }

    @Test func joinersAreTheCharactersBeforeASpaceInsideAPiece() throws {
        let joined = try Self.model(.bpe, seed: 1, joinerPieces: true)
        let expected = Set([">", "a"].map { c in Array(c.utf8).reduce(UInt32(0)) { $0 << 8 | UInt32($1) } })
        #expect(Set(try #require(joined.bpe).joiners).isSuperset(of: expected))
        #expect(joined.bpe?.wordsAreIndependent == true)
        let plain = try Self.model(.bpe, seed: 1, joinerPieces: false)
        #expect(plain.bpe?.joiners == [])
    }

    /// Every space kept (Llama 2, Mistral, Gemma): BPE models take the spaced-words path
    /// (``SentencePieceTokenizer/encodeIDsBySpacedWords(_:into:scratch:)``), with and without
    /// the dummy prefix and byte fallback; characters outside the vocabulary (`é`, `😀`) are
    /// unknown pieces or bytes, and a literal `▁` sends its line to the whole-line path.
    @Test(arguments: [SentencePieceModel.ModelType.bpe, .unigram], [false, true])
    func wordByWordEqualsTheWholeLine(_ type: SentencePieceModel.ModelType, _ joinerPieces: Bool) throws {
        for seed in UInt64(1)...4 {
            let dummyPrefix = seed % 2 == 0, byteFallback = seed >= 3
            let tokenizer = try Self.model(type, seed: seed, joinerPieces: joinerPieces, dummyPrefix: dummyPrefix, byteFallback: byteFallback)
            #expect(tokenizer.splitsSpacedWords == (type == .bpe))
            var rng = SplitMix64(seed: seed &* 77)
            let letters = Self.alphabet + ["é", "😀"]
            for _ in 0..<300 {
                let text = (0..<Int(rng.next() % 40)).map { _ in
                    rng.next() % 4 == 0 ? " " : letters[Int(rng.next() % UInt64(letters.count))]
                }.joined()
                var cached = tokenizer.makeScratch()
                var whole = tokenizer.makeScratch()
                whole.cachesWords = false
                // Twice through the cached path: the second time words come from the cache.
                var ids: [Int32] = [], again: [Int32] = [], reference: [Int32] = []
                let bytes = Array(text.utf8)
                bytes.withUnsafeBufferPointer { b in
                    tokenizer.encodeIDs(b, into: &ids, scratch: &cached)
                    tokenizer.encodeIDs(b, into: &again, scratch: &cached)
                    tokenizer.encodeIDs(b, into: &reference, scratch: &whole)
                }
                #expect(ids == reference, "\(type) seed \(seed) (dummy prefix \(dummyPrefix), byte fallback \(byteFallback)): \(text)")
                #expect(again == reference, "\(type) seed \(seed), cached: \(text)")
            }
        }
    }
}
