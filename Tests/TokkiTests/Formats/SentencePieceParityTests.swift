import Foundation
import Testing
@testable import Tokki
import TokkiTestSupport


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
