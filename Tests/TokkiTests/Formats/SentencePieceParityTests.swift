import Foundation
import Testing
@testable import Tokki

/// Expected outputs written by `scripts/fixtures/make_sentencepiece_fixtures.py` with the Python
/// `sentencepiece` package; the models were trained by that package's trainer.
struct SPExpected: Decodable {
    struct Case: Decodable {
        let name: String
        let ids: [Int]
        let pieces: [String]
        let normalized: String
        let decoded: String
        let spans: [[Int]]
    }
    struct DecodeCheck: Decodable {
        let label: String
        let ids: [Int]
        let text: String
    }
    let sentencepiece_version: String
    let model: String
    let cases: [Case]
    let decode_checks: [DecodeCheck]
}

struct SPInput: Decodable {
    let name: String
    let text: String
}

struct SPManifest: Decodable {
    struct Model: Decodable { let vocab_size: Int }
    let models: [String: Model]
}

enum SentencePieceFixtures {
    static let names: [String] = {
        guard let data = try? Fixtures.data("sentencepiece/MANIFEST.json"),
              let manifest = try? JSONDecoder().decode(SPManifest.self, from: data) else { return [] }
        return manifest.models.keys.sorted()
    }()

    static func inputs() throws -> [String: String] {
        let list = try JSONDecoder().decode([SPInput].self, from: Fixtures.data("sentencepiece/inputs.json"))
        return Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0.text) })
    }
}

@Suite("SentencePiece parity (trained fixtures)")
struct SentencePieceParityTests {
    @Test func fixturesArePresent() {
        #expect(SentencePieceFixtures.names.count == 20, "MANIFEST.json lists the fixture models")
    }

    @Test(arguments: SentencePieceFixtures.names)
    func parity(_ name: String) throws {
        let tokenizer = try SentencePieceTokenizer(contentsOf: Fixtures.url("sentencepiece/\(name).model"))
        let expected = try JSONDecoder().decode(SPExpected.self, from: Fixtures.data("sentencepiece/\(name).expected.json"))
        let inputs = try SentencePieceFixtures.inputs()
        var checked = 0
        for c in expected.cases {
            let text = try #require(inputs[c.name])
            let encoding = tokenizer.encode(text)
            #expect(encoding.ids == c.ids, "\(name) / \(c.name): ids")
            #expect(encoding.pieces == c.pieces, "\(name) / \(c.name): pieces")
            #expect(encoding.offsets.map { [$0.lowerBound, $0.upperBound] } == c.spans, "\(name) / \(c.name): offsets")
            #expect(tokenizer.encodeIDs(text) == c.ids, "\(name) / \(c.name): fast path ids")
            let normalized = try tokenizer.normalizer.normalize(text)
            #expect(normalized == c.normalized, "\(name) / \(c.name): normalized")
            #expect(try tokenizer.decode(c.ids) == c.decoded, "\(name) / \(c.name): decoded")
            checked += 1
        }
        #expect(checked == expected.cases.count && checked > 50)
        for d in expected.decode_checks {
            #expect(try tokenizer.decode(d.ids) == d.text, "\(name) / decode \(d.label)")
        }
    }
}
