import Foundation
import Testing
@testable import Tokki

/// Expected ids from the `tiktoken` package (`scripts/make_tiktoken_fixtures.py`).
struct TiktokenExpected: Decodable {
    struct Case: Decodable { let name: String; let ids: [Int]; let decoded: String }
    let tiktoken_version: String
    let pattern: String
    let cases: [Case]
}

@Suite("tiktoken parity")
struct TiktokenTests {
    static func check(_ enc: TiktokenTokenizer, _ expected: TiktokenExpected) throws {
        let inputs = try SentencePieceFixtures.inputs()
        var checked = 0
        for c in expected.cases {
            let text = try #require(inputs[c.name])
            let ids = try enc.encodeOrdinary(text)
            if ids != c.ids { Issue.record("\(c.name): got \(ids.prefix(20)) want \(c.ids.prefix(20))") }
            #expect(try enc.decode(c.ids) == c.decoded, "\(c.name): decoded")
            checked += 1
        }
        #expect(checked == expected.cases.count && checked > 50)
    }

    @Test func trainedKoreanRanksMatchTiktoken() throws {
        let expected = try JSONDecoder().decode(TiktokenExpected.self, from: Fixtures.data("tiktoken/korean-sample.expected.json"))
        let enc = try TiktokenTokenizer(contentsOf: Fixtures.url("tiktoken/korean-sample.tiktoken"), pattern: expected.pattern)
        #expect(enc.ranks.count == 600)
        try Self.check(enc, expected)
    }

    static let llama3 = Fixtures.packageRoot.appendingPathComponent(".models/llama3.tiktoken")
    static var llama3Available: Bool {
        let ok = FileManager.default.fileExists(atPath: llama3.path + ".expected.json")
        if !ok { print("note: Llama 3 tiktoken parity skipped: run scripts/fetch-published-models.sh and scripts/make_tiktoken_fixtures.py") }
        return ok
    }

    @Test(.enabled(if: TiktokenTests.llama3Available, "needs .models/llama3.tiktoken and its expectations"))
    func llama3MatchesTiktoken() throws {
        let expected = try JSONDecoder().decode(TiktokenExpected.self, from: Data(contentsOf: URL(fileURLWithPath: Self.llama3.path + ".expected.json")))
        let enc = try TiktokenTokenizer(contentsOf: Self.llama3)   // pattern chosen from the file name
        #expect(enc.ranks.count == 128_000)
        try Self.check(enc, expected)
    }

    @Test func badRankFilesAreClearErrors() {
        func problem(_ text: String) -> String? {
            do { _ = try TiktokenRanks(bytes: Array(text.utf8), path: "bad.tiktoken"); return nil } catch {
                if case let .invalidModel(path, problem) = error { #expect(path == "bad.tiktoken"); return problem }
                return "\(error)"
            }
        }
        #expect(problem("QQ== 0\n!!! 1\n")?.contains("line 2") == true)
        #expect(problem("QQ== x\n")?.contains("invalid rank") == true)
        #expect(problem("QQ== 999999999\n")?.contains("below 16,777,216") == true)   // no 4 GB table for one line
        #expect(problem("")?.contains("empty") == true)
        #expect(problem("QQ== 0\nQg== 0\n")?.contains("twice") == true)
        #expect(problem("QQ== 0\n")?.contains("no rank") == true)   // not all 256 bytes
        #expect(throws: TokkiError.self) {
            try TiktokenTokenizer(contentsOf: Fixtures.url("tiktoken/korean-sample.tiktoken"))  // no pattern in the name
        }
    }

    /// Found by the `tiktoken_tekken` fuzz target: 256 byte tokens and one token at rank
    /// 11,111,139 built rank-indexed tables of 11 million entries (over 10 s under ASan).
    @Test func sparseRanksAreRejectedWithTheirLine() throws {
        let bytes = (0..<256).map { "\(Data([UInt8($0)]).base64EncodedString()) \($0)\n" }.joined()
        do {
            _ = try TiktokenRanks(bytes: Array((bytes + "QUI= 11111139\n").utf8), path: "sparse.tiktoken")
            Issue.record("a rank file that is mostly gaps loaded")
        } catch {
            guard case let .invalidModel(path, problem) = error else { Issue.record("\(error)"); return }
            #expect(path == "sparse.tiktoken")
            #expect(problem.hasPrefix("line 257: rank 11111139"))
        }
        // A few gaps, as in p50k_base, are fine.
        let gappy = try TiktokenRanks(bytes: Array((bytes + "QUI= 300\n").utf8))
        #expect(gappy.count == 301)
    }
}

/// Parity on published rank files (OpenAI's r50k/p50k/cl100k/o200k, Whisper, Qwen, Llama 4)
/// fetched by `scripts/fetch-published-tokenizers.sh`; skipped with a note when absent.
@Suite struct PublishedTiktokenParityTests {
    @Test(arguments: ["r50k_base.tiktoken", "p50k_base.tiktoken", "cl100k_base.tiktoken", "o200k_base.tiktoken",
                      "whisper_multilingual.tiktoken", "qwen.tiktoken", "llama4.tiktoken"])
    func publishedRanksMatchTiktoken(file: String) throws {
        let url = Fixtures.packageRoot.appendingPathComponent(".models/\(file)")
        let expectedURL = URL(fileURLWithPath: url.path + ".expected.json")
        guard FileManager.default.fileExists(atPath: expectedURL.path) else {
            print("skipped: \(file) not fetched (run scripts/fetch-published-tokenizers.sh)")
            return
        }
        let doc = try JSONDocument(bytes: [UInt8](Data(contentsOf: expectedURL)), path: expectedURL.path)
        let pattern = try doc.root.required("pattern_str").string()
        let enc = try TiktokenTokenizer(contentsOf: url, pattern: pattern)
        let inputs = try SentencePieceFixtures.inputs()
        var failures: [String] = []
        let cases = try doc.root.required("cases").array()
        for c in cases {
            let name = try c.required("name").string()
            guard let text = try c.optional("text")?.string() ?? inputs[name] else { continue }
            let ids = try c.required("ids").array().map { try $0.int() }
            let mine = try enc.encodeOrdinary(text)
            if mine != ids { failures.append("\(name): \(mine.prefix(12)) != \(ids.prefix(12))") }
            if try !enc.decode(ids).utf8.elementsEqual(try c.required("decoded").string().utf8) { failures.append("\(name): decoded") }
        }
        #expect(cases.count > 100)
        #expect(failures.isEmpty, Comment(rawValue: "\(failures.count) differ:\n" + failures.prefix(5).joined(separator: "\n")))
    }
}

/// Parity with `mistral_common`'s Tekkenizer on the Tekken files it ships.
@Suite struct TekkenParityTests {
    @Test(arguments: ["mistral_tekken_240718.json", "mistral_tekken_240911.json"])
    func tekkenMatchesMistralCommon(file: String) throws {
        let url = Fixtures.packageRoot.appendingPathComponent(".models/\(file)")
        let expectedURL = URL(fileURLWithPath: url.path + ".expected.json")
        guard FileManager.default.fileExists(atPath: expectedURL.path) else {
            print("skipped: \(file) not fetched (run scripts/fetch-published-tokenizers.sh)")
            return
        }
        let tekken = try TekkenTokenizer(contentsOf: url)
        let doc = try JSONDocument(bytes: [UInt8](Data(contentsOf: expectedURL)), path: expectedURL.path)
        #expect(tekken.vocabularySize == (try doc.root.required("default_vocab_size").int()))
        #expect(tekken.bosID == (try doc.root.required("bos_id").int()))
        let inputs = try SentencePieceFixtures.inputs()
        var failures: [String] = []
        let cases = try doc.root.required("cases").array()
        for c in cases {
            let name = try c.required("name").string()
            guard let text = try c.optional("text")?.string() ?? inputs[name] else { continue }
            let ids = try c.required("ids").array().map { try $0.int() }
            let mine = try tekken.encode(text)
            if mine != ids { failures.append("\(name): \(mine.prefix(12)) != \(ids.prefix(12))") }
            if try !tekken.decode(ids).utf8.elementsEqual(try c.required("decoded").string().utf8) { failures.append("\(name): decoded") }
        }
        #expect(cases.count > 100)
        #expect(failures.isEmpty, Comment(rawValue: "\(failures.count) differ:\n" + failures.prefix(5).joined(separator: "\n")))
    }

    @Test func malformedTekkenIsAClearError() {
        #expect(throws: TokkiError.self) { try TekkenTokenizer(json: Array(#"{"config": {"pattern": "\\s+"}}"#.utf8)) }
        do {
            _ = try TekkenTokenizer(json: Array(#"{"config": {"pattern": "a", "default_vocab_size": 300, "default_num_special_tokens": 30}, "vocab": []}"#.utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("default_vocab_size 300"))
        }
    }
}
