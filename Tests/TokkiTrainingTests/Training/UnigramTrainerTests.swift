import Foundation
import Testing
import Tokki
@testable import TokkiTraining
import TokkiTestSupport

@Suite("Unigram trainer")
struct UnigramTrainerTests {
    static let corpus = CorpusOptions(inputs: [Fixtures.url("text/korean-sample.txt").path])

    static func train(vocab: Int = 500, threads: Int = 2) throws -> SentencePieceModel {
        var c = TrainerConfiguration()
        c.vocabularySize = vocab
        c.threads = threads
        return try UnigramTrainer(c).train(corpus).model
    }

    @Test func modelLoadsRoundTripsAndIsDeterministic() throws {
        let model = try Self.train()
        #expect(model.modelType == .unigram && model.pieces.count == 500)
        #expect(try Self.train(threads: 1).serialized() == model.serialized())
        // Scores are log probabilities, best first; every character of the text is a piece.
        let normal = model.pieces.filter { $0.type == .normal }
        #expect(normal.allSatisfy { $0.score < 0 })
        #expect(normal.map(\.score) == normal.map(\.score).sorted(by: >))
        let sp = try SentencePieceTokenizer(model: model)
        for text in ["대한민국은 민주공화국이다.", "「민법」 제3조제1항 ① 수고ㄳ"] {
            #expect(try sp.decode(sp.encodeIDs(text)) == (try KoreanNormalizer().normalize(text)))
        }
        #expect(!sp.encodeIDs("대한민국").contains(model.unknownID))
        // Frequent words of the statutes are few pieces.
        #expect(sp.encode("▁대한민국").pieces.count <= 3)
    }

    /// Every character that character coverage requires is a piece, also one that EM left
    /// with a low score because it only occurs inside longer pieces (they were cut with the
    /// lowest scores), and every normal piece is in the best segmentation of some word.
    @Test func requiredCharactersStayAndEveryPieceIsUsed() throws {
        var c = TrainerConfiguration()
        c.vocabularySize = 550
        c.characterCoverage = 1
        let model = try UnigramTrainer(c).train(Self.corpus).model
        let text = try KoreanNormalizer().normalize(String(contentsOf: Fixtures.url("text/korean-sample.txt"), encoding: .utf8))
        let pieces = Set(model.pieces.map(\.piece))
        // Format characters (U+200D in the emoji) never reach the trainer's words.
        let characters = Set(text.unicodeScalars.filter { $0.value > 0x20 && $0.properties.generalCategory != .format }.map { String($0) })
        #expect(characters.subtracting(pieces).isEmpty)
        // Used pieces: the pieces of every word of the text.
        let sp = try SentencePieceTokenizer(model: model)
        var used = Set<String>()
        for word in text.split(whereSeparator: \.isWhitespace) { used.formUnion(sp.encode(String(word)).pieces) }
        let unused = model.pieces.filter { $0.type == .normal && $0.piece.unicodeScalars.count > 1 && !used.contains($0.piece) }
        #expect(unused.count < model.pieces.count / 50, "\(unused.count) pieces never used: \(unused.prefix(10).map(\.piece))")
    }

    @Test func digammaAndErrors() throws {
        // ψ(1) = −γ, ψ(x + 1) = ψ(x) + 1/x.
        #expect(abs(UnigramTrainer.digamma(1) + 0.5772156649015329) < 1e-9)
        #expect(abs(UnigramTrainer.digamma(3.7) - UnigramTrainer.digamma(2.7) - 1 / 2.7) < 1e-9)
        #expect(throws: TrainingError.self) { try Self.train(vocab: 50_000) }
        #expect(throws: TrainingError.self) { try Self.train(vocab: 5) }
    }
}
