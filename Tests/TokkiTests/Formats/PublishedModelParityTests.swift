import Foundation
import Testing
@testable import Tokki
import TokkiTestSupport

/// Real published SentencePiece models (Llama 2, Mistral, Gemma, T5-style unigram…), fetched
/// into the gitignored `.models/` by `scripts/fetch/fetch_published_models.sh`, with expectations
/// from the Python `sentencepiece` package (`scripts/fixtures/make_published_expectations.py`).
enum PublishedModels {
    static let directory = Fixtures.packageRoot.appendingPathComponent(".models")

    static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".expected.json") }
            .map { String($0.dropLast(".expected.json".count)) }
            .filter { FileManager.default.fileExists(atPath: directory.appendingPathComponent("\($0).model").path) }
            .sorted()
    }()

    static var available: Bool {
        if names.isEmpty {
            print("note: published-model parity skipped: .models/ is empty — run scripts/fetch/fetch_published_models.sh")
        }
        return !names.isEmpty
    }
}

@Suite("SentencePiece parity (published models)", .enabled(if: PublishedModels.available,
       "needs .models/ — run scripts/fetch/fetch_published_models.sh"))
struct PublishedModelParityTests {
    @Test(arguments: PublishedModels.names)
    func parity(_ name: String) throws {
        let tokenizer = try SentencePieceTokenizer(contentsOf: PublishedModels.directory.appendingPathComponent("\(name).model"))
        let expected = try JSONDecoder().decode(SPExpected.self,
                                                from: Data(contentsOf: PublishedModels.directory.appendingPathComponent("\(name).expected.json")))
        let inputs = try SentencePieceFixtures.inputs()
        var failures = 0
        for c in expected.cases {
            let text = try #require(inputs[c.name])
            let encoding = tokenizer.encode(text)
            if encoding.ids != c.ids || encoding.offsets.map({ [$0.lowerBound, $0.upperBound] }) != c.spans {
                failures += 1
                #expect(encoding.ids == c.ids, "\(name) / \(c.name): ids")
                #expect(encoding.pieces == c.pieces, "\(name) / \(c.name): pieces")
                #expect(encoding.offsets.map { [$0.lowerBound, $0.upperBound] } == c.spans, "\(name) / \(c.name): offsets")
            }
            #expect(try tokenizer.decode(c.ids) == c.decoded, "\(name) / \(c.name): decoded")
        }
        #expect(failures == 0)
        for d in expected.decode_checks {
            #expect(try tokenizer.decode(d.ids) == d.text, "\(name) / decode \(d.label)")
        }
    }
}
