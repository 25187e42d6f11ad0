import Foundation
import Testing
@testable import Tokki

/// Splicing tokens into a `tokenizer.json`: both merge formats, pretty-printed and compact
/// files, a missing or empty `added_tokens`, and every other byte kept.
@Suite("tokenizer.json editing")
struct TokenizerJSONEditingTests {
    static func file(merges: String, added: String?, pretty: Bool) -> String {
        let sep = pretty ? "\n    " : ""
        return "{" + (added.map { "\"added_tokens\": \($0)," } ?? "") + sep
            + "\"normalizer\": null, \"pre_tokenizer\": null, \"post_processor\": null, \"decoder\": null," + sep
            + "\"model\": {\"type\": \"BPE\", \"unk_token\": \"u\", \"vocab\": {" + sep + "\"u\": 0, \"a\": 1, \"b\": 2, \"ab\": 3" + sep + "}," + sep
            + "\"merges\": " + merges + sep + "}, \"x_unknown_field\": [1, 2]}"
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var merges: (String, String), added: String?, pretty: Bool
        var testDescription: String { "\(merges.1), added \(added ?? "none"), \(pretty ? "pretty" : "compact")" }
    }

    static let cases: [Case] = [("[\"a b\"]", "strings"), ("[[\"a\", \"b\"]]", "pairs"), ("[]", "empty")].flatMap { m in
        [nil, "[]", "[{\"id\": 0, \"content\": \"u\", \"special\": true}]"].flatMap { a in [false, true].map { Case(merges: m, added: a, pretty: $0) } }
    }

    @Test(arguments: cases)
    func splices(_ c: Case) throws {
        let (merges, added, pretty) = (c.merges, c.added, c.pretty)
        let base = Array(Self.file(merges: merges.0, added: added, pretty: pretty).utf8)
        let out = try TokenizerJSONEditing.appending(to: base, path: nil, vocabulary: [(Array("abab".utf8), 4), (Array("ba".utf8), 5)],
                                                     merges: [(Array("ab".utf8), Array("ab".utf8)), (Array("b".utf8), Array("a".utf8))],
                                                     addedTokens: [(content: "<r0>", id: 6)])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out)) as? [String: Any])
        let model = try #require(json["model"] as? [String: Any])
        #expect((model["vocab"] as? [String: Int]) == ["u": 0, "a": 1, "b": 2, "ab": 3, "abab": 4, "ba": 5])
        let mergeList = try #require(model["merges"] as? [Any])
        let texts = mergeList.map { m in (m as? String) ?? ((m as? [String]) ?? []).joined(separator: " ") }
        #expect(texts == (merges.1 == "empty" ? [] : ["a b"]) + ["ab ab", "b a"])
        if merges.1 == "strings" { #expect(mergeList.allSatisfy { $0 is String }) }
        if merges.1 == "pairs" { #expect(mergeList.allSatisfy { $0 is [String] }) }
        let addedTokens = try #require(json["added_tokens"] as? [[String: Any]])
        #expect(addedTokens.last?["content"] as? String == "<r0>" && addedTokens.last?["id"] as? Int == 6)
        #expect((json["x_unknown_field"] as? [Int]) == [1, 2])
        // The tokenizer loads and uses the new merges.
        let tok = try HuggingFaceTokenizer(json: out)
        #expect(tok.id(for: "abab") == 4 && tok.id(for: "<r0>") == 6)
        if merges.1 != "empty" { #expect(try tok.encode("abab", addSpecialTokens: false).ids == [4]) }
    }

    @Test func refusesFilesWithoutAModel() {
        #expect(throws: TokkiError.self) {
            try TokenizerJSONEditing.appending(to: Array("{\"model\": {}}".utf8), path: "t.json", vocabulary: [(Array("x".utf8), 1)], merges: [], addedTokens: [])
        }
        #expect(throws: TokkiError.self) {
            try TokenizerJSONEditing.appending(to: Array("[1".utf8), path: "t.json", vocabulary: [], merges: [], addedTokens: [])
        }
    }
}
