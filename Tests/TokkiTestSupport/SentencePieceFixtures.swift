import Foundation

/// Expected outputs written by `scripts/fixtures/make_sentencepiece_fixtures.py` with the Python
/// `sentencepiece` package; the models were trained by that package's trainer.
package struct SPExpected: Decodable {
    package struct Case: Decodable {
        package let name: String
        package let ids: [Int]
        package let pieces: [String]
        package let normalized: String
        package let decoded: String
        package let spans: [[Int]]
    }
    package struct DecodeCheck: Decodable {
        package let label: String
        package let ids: [Int]
        package let text: String
    }
    package let sentencepiece_version: String
    package let model: String
    package let cases: [Case]
    package let decode_checks: [DecodeCheck]
}

package struct SPInput: Decodable {
    package let name: String
    package let text: String
}

package struct SPManifest: Decodable {
    package struct Model: Decodable { package let vocab_size: Int }
    package let models: [String: Model]
}

package enum SentencePieceFixtures {
    package static let names: [String] = {
        guard let data = try? Fixtures.data("sentencepiece/MANIFEST.json"),
              let manifest = try? JSONDecoder().decode(SPManifest.self, from: data) else { return [] }
        return manifest.models.keys.sorted()
    }()

    package static func inputs() throws -> [String: String] {
        let list = try JSONDecoder().decode([SPInput].self, from: Fixtures.data("sentencepiece/inputs.json"))
        return Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0.text) })
    }
}
