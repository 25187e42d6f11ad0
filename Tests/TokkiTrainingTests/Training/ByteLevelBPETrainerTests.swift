import Foundation
import Testing
import Tokki
@testable import TokkiTraining
import TokkiTestSupport

@Suite("byte-level BPE trainer")
struct ByteLevelBPETrainerTests {
    static let corpus = CorpusOptions(inputs: [Fixtures.url("text/korean-sample.txt").path])

    static func train(_ configure: (inout ByteLevelBPETrainer.Configuration) -> Void = { _ in }) throws -> ByteLevelBPETrainer.Result {
        var c = ByteLevelBPETrainer.Configuration()
        c.vocabularySize = 600
        c.specialTokens = ["<|endoftext|>", "<pad>"]
        configure(&c)
        return try ByteLevelBPETrainer(c).train(corpus)
    }

    @Test func tokenizerLoadsAndRoundTrips() throws {
        let r = try Self.train { $0.threads = 1 }
        #expect(r.tokens.count == 600)
        #expect(try Self.train { $0.threads = 3 }.json == r.json)
        let tok = try HuggingFaceTokenizer(json: r.json)
        #expect(tok.id(for: "<|endoftext|>") == 0 && tok.id(for: "<pad>") == 1)
        #expect(tok.vocabularySize == 600)
        for text in ["대한민국은 민주공화국이다.", "「민법」 제3조제1항 ① 수고ㄳ", "🦄 unseen ✓"] {
            let ids = try tok.encode(text, addSpecialTokens: false).ids
            #expect(try tok.decode(ids) == (try KoreanNormalizer().normalize(text)))
        }
        // Frequent statute words become few tokens.
        #expect(try tok.encode("대한민국", addSpecialTokens: false).ids.count <= 4)
        #expect(r.vocabularyText().split(separator: "\n").count == 600)
    }

    @Test func optionsAndErrors() throws {
        let rare = try Self.train { $0.vocabularySize = 5000; $0.minFrequency = 50 }
        #expect(rare.tokens.count < 5000)
        let llama = try Self.train { $0.pattern = "llama3" }
        #expect(String(decoding: llama.json, as: UTF8.self).contains("\"Split\""))
        #expect(throws: TrainingError.vocabularyTooSmall(requested: 100, minimum: 258)) { try Self.train { $0.vocabularySize = 100 } }
        #expect(throws: TrainingError.self) { try Self.train { $0.specialTokens = ["a", "a"] } }
    }
}
