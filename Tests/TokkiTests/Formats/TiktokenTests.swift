import Foundation
import Testing
@testable import Tokki
import TokkiTestSupport


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
        if !ok { print("note: Llama 3 tiktoken parity skipped: run scripts/fetch/fetch_published_models.sh and scripts/fixtures/make_tiktoken_fixtures.py") }
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
        #expect(problem("QQ== 0\r\n\r\nQg==\r\n")?.hasPrefix("line 3: expected 'base64 rank'") == true)
        #expect(problem("QQ== 0\nQg== \n")?.hasPrefix("line 2: missing rank") == true)
        #expect(problem("QQ== 0\nQg=A 1\n")?.hasPrefix("line 2: invalid base64 token") == true)
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
        // A few gaps, as in p50k_base, are fine, and so are many in a small table.
        let gappy = try TiktokenRanks(bytes: Array((bytes + "QUI= 300\n").utf8))
        #expect(gappy.count == 301)
        let small = try TiktokenRanks(bytes: Array((bytes + "QUI= 1048575\n").utf8))
        #expect(small.count == 1_048_576)
        #expect(throws: TokkiError.self) { try TiktokenRanks(bytes: Array((bytes + "QUI= 1048576\n").utf8)) }
    }
}

/// Parity on published rank files (OpenAI's r50k/p50k/cl100k/o200k, Whisper, Qwen, Llama 4)
/// fetched by `scripts/fetch/fetch_published_tokenizers.sh`; skipped when they were not fetched.
@Suite(.enabled(if: Published.tokenizersFetched, "needs scripts/fetch/fetch_published_tokenizers.sh"))
struct PublishedTiktokenParityTests {
    @Test(arguments: ["r50k_base.tiktoken", "p50k_base.tiktoken", "cl100k_base.tiktoken", "o200k_base.tiktoken",
                      "whisper_multilingual.tiktoken", "qwen.tiktoken", "llama4.tiktoken"])
    func publishedRanksMatchTiktoken(file: String) throws {
        let url = Fixtures.packageRoot.appendingPathComponent(".models/\(file)")
        let expectedURL = URL(fileURLWithPath: url.path + ".expected.json")
        try #require(FileManager.default.fileExists(atPath: expectedURL.path), "\(file) has no reference output")
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
    @Test(.enabled(if: Published.tokenizersFetched, "needs scripts/fetch/fetch_published_tokenizers.sh"),
          arguments: ["mistral_tekken_240718.json", "mistral_tekken_240911.json"])
    func tekkenMatchesMistralCommon(file: String) throws {
        let url = Fixtures.packageRoot.appendingPathComponent(".models/\(file)")
        let expectedURL = URL(fileURLWithPath: url.path + ".expected.json")
        try #require(FileManager.default.fileExists(atPath: expectedURL.path), "\(file) has no reference output")
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

/// The special tokens and patterns of tiktoken's named encodings, recorded from the `tiktoken`
/// package by `scripts/fixtures/make_tiktoken_encodings.py`, and their use on published rank files.
@Suite struct TiktokenEncodingTests {
    static func fixture() throws -> [String: [String: Any]] {
        let doc = try #require(try Fixtures.json("tiktoken/encodings.json") as? [String: Any])
        return try #require(doc["encodings"] as? [String: [String: Any]])
    }

    @Test func namedEncodingsAreTiktokens() throws {
        let encodings = try Self.fixture()
        for (name, encoding) in [("gpt2", TiktokenEncoding.r50k), ("r50k_base", .r50k), ("p50k_base", .p50k),
                                 ("cl100k_base", .cl100k), ("o200k_base", .o200k)] {
            let spec = try #require(encodings[name])
            let special = try #require(spec["special_tokens"] as? [String: Any]).mapValues { $0 as? Int ?? -1 }
            #expect(encoding.specialTokens == special, "\(name)")
            if let n = spec["explicit_n_vocab"] as? Int { #expect(max(encoding.rankCount, (special.values.max() ?? 0) + 1) == n, "\(name)") }
            if name != "gpt2" {
                #expect(PretokenizationPattern.named(encoding.patternName) == spec["pat_str"] as? String, "\(name)")
            }
        }
    }

    @Test func recognitionNeedsAMatchingNameOrSize() {
        #expect(TiktokenEncoding.recognize(fileName: "cl100k_base.tiktoken", rankCount: 100_256) == .cl100k)
        #expect(TiktokenEncoding.recognize(fileName: "9b5ad71b2ce5302211f9c61530b329a4922fc6a4", rankCount: 100_256) == .cl100k)
        #expect(TiktokenEncoding.recognize(fileName: "gpt2.tiktoken", rankCount: 50_256) == .r50k)
        #expect(TiktokenEncoding.recognize(fileName: "cl100k_base.tiktoken", rankCount: 1000) == nil)   // a truncated file
        #expect(TiktokenEncoding.recognize(fileName: "llama3.tiktoken", rankCount: 199_998) == nil)
        #expect(TiktokenEncoding.recognize(fileName: "mine.tiktoken", rankCount: 600) == nil)
    }

    @Test func extraSpecialTokensAreChecked() throws {
        let enc = try TiktokenTokenizer(contentsOf: Fixtures.url("tiktoken/korean-sample.tiktoken"), pattern: "cl100k")
        #expect(enc.specialTokens.isEmpty && enc.vocabularySize == 600)
        let more = try enc.withSpecialTokens(["<|eot|>": 600, "<|pad|>": 605])
        #expect(more.vocabularySize == 606)
        #expect(try more.decode([600, 65]) == "<|eot|>" + (try enc.decode([65])))
        #expect(throws: TokkiError.self) { try enc.withSpecialTokens(["<|eot|>": 5]) }   // a rank
        #expect(throws: TokkiError.self) { try enc.withSpecialTokens(["a": 700, "b": 700]) }
    }

    @Test(.enabled(if: Published.tokenizersFetched, "needs scripts/fetch/fetch_published_tokenizers.sh"),
          arguments: [("r50k_base.tiktoken", "r50k_base"), ("p50k_base.tiktoken", "p50k_base"),
                      ("cl100k_base.tiktoken", "cl100k_base"), ("o200k_base.tiktoken", "o200k_base"),
                      ("whisper_multilingual.tiktoken", nil), ("qwen.tiktoken", nil), ("llama4.tiktoken", nil)] as [(String, String?)])
    func publishedRankFilesGetTiktokensSpecialTokens(_ file: String, _ name: String?) throws {
        let enc = try TiktokenTokenizer(contentsOf: URL(fileURLWithPath: Published.path(file)), pattern: "cl100k")
        guard let name else {
            #expect(enc.specialTokens.isEmpty)
            return
        }
        let spec = try #require(try Self.fixture()[name])
        let special = try #require(spec["special_tokens"] as? [String: Any]).mapValues { $0 as? Int ?? -1 }
        #expect(enc.specialTokens == special)
        #expect(enc.vocabularySize == (spec["explicit_n_vocab"] as? Int ?? (special.values.max() ?? 0) + 1))
        // The same file under a hash name (as litellm stores them) is recognised by its size,
        // pattern included.
        let copy = NSTemporaryDirectory() + "tokki-\(UUID().uuidString)"
        defer { removeScratch(copy) }
        try FileManager.default.copyItem(atPath: Published.path(file), toPath: copy)
        let renamed = try TiktokenTokenizer(contentsOf: URL(fileURLWithPath: copy))
        #expect(renamed.specialTokens == special)
        #expect(try renamed.encodeOrdinary("Hello 세계") == (try TiktokenTokenizer(contentsOf: URL(fileURLWithPath: Published.path(file))).encodeOrdinary("Hello 세계")))
    }
}

/// Offsets of tiktoken and Tekken tokens against tiktoken's `decode_single_token_bytes` and
/// `decode_with_offsets` (`scripts/fixtures/make_tiktoken_offsets.py`), in the library and in
/// `tokki encode --output-format jsonl`.
@Suite struct TiktokenOffsetTests {
    struct Case: Decodable { let name: String; let ids: [Int]; let starts: [Int]; let token_bytes: [String] }
    struct File: Decodable { let cases: [Case] }

    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = s.utf8.makeIterator()
        func nibble(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : c - 0x61 + 10 }
        while let a = it.next(), let b = it.next() { out.append(nibble(a) << 4 | nibble(b)) }
        return out
    }

    @Test func offsetsMatchTiktoken() throws {
        let file = try JSONDecoder().decode(File.self, from: Fixtures.data("tiktoken/korean-sample.offsets.json"))
        let enc = try TiktokenTokenizer(contentsOf: Fixtures.url("tiktoken/korean-sample.tiktoken"), pattern: "cl100k")
        let inputs = try SentencePieceFixtures.inputs()
        #expect(file.cases.count > 100)
        var multiByteSplits = 0
        for c in file.cases {
            let text = try #require(inputs[c.name])
            let e = try enc.encodeWithOffsets(text)
            #expect(e.ids == c.ids, "\(c.name)")
            try #require(e.offsets.count == c.ids.count && e.characterOffsets.count == c.ids.count)
            let bytes = Array(text.utf8)
            for k in 0..<c.ids.count {
                #expect(Array(bytes[e.offsets[k]]) == Self.hex(c.token_bytes[k]), "\(c.name) token \(k): bytes")
                #expect(e.characterOffsets[k].lowerBound == c.starts[k], "\(c.name) token \(k): start")
                if c.token_bytes[k].count > 2, Self.hex(c.token_bytes[k]).first.map({ $0 & 0xC0 == 0x80 }) == true { multiByteSplits += 1 }
            }
            // Scalar ranges cover the text, each ending where the next token's scalar begins or later.
            #expect(e.characterOffsets.last?.upperBound ?? 0 == text.unicodeScalars.count, "\(c.name)")
        }
        #expect(multiByteSplits > 0, "no token starts inside a character: the start rule is untested")
    }

    @Test func commandLineJSONLCarriesOffsets() throws {
        let text = "「민법」 제3조 Hello 🎉"
        let r = try TokkiExecutable.run(["encode", "--model", Fixtures.url("tiktoken/korean-sample.tiktoken").path, "--pattern", "cl100k",
                                         "--output-format", "jsonl", "--text", text])
        #expect(r.status == 0, "\(r.stderr)")
        let line = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        let enc = try TiktokenTokenizer(contentsOf: Fixtures.url("tiktoken/korean-sample.tiktoken"), pattern: "cl100k")
        let e = try enc.encodeWithOffsets(text)
        #expect(line["ids"] as? [Int] == e.ids)
        #expect((line["offsets"] as? [[Int]])?.map { $0[0]..<$0[1] } == e.offsets)
        #expect((line["char_offsets"] as? [[Int]])?.map { $0[0]..<$0[1] } == e.characterOffsets)
        #expect(e.offsets.last?.upperBound == text.utf8.count)
    }

    @Test(.enabled(if: Published.tokenizersFetched, "needs scripts/fetch/fetch_published_tokenizers.sh"))
    func tekkenOffsetsFollowItsIDs() throws {
        let tekken = try TekkenTokenizer(contentsOf: URL(fileURLWithPath: Published.path("mistral_tekken_240911.json")))
        for text in ["「민법」 제3조 ① Hello 🎉", "", "ㅋㅋㅋ 수고ㄳ"] {
            let e = try tekken.encodeWithOffsets(text, addBOS: true, addEOS: true)
            #expect(e.ids == (try tekken.encode(text, addBOS: true, addEOS: true)))
            #expect(e.offsets.first == 0..<0 && e.offsets.last == text.utf8.count..<text.utf8.count)
            // The ordinary tokens' bytes laid end to end are the text.
            var joined: [UInt8] = []
            for r in e.offsets.dropFirst().dropLast() { joined += Array(text.utf8)[r] }
            #expect(joined == Array(text.utf8))
            let r = try TokkiExecutable.run(["encode", "--model", Published.path("mistral_tekken_240911.json"), "--output-format", "jsonl",
                                             "--add-special-tokens", "--text", text])
            let line = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
            #expect((line["offsets"] as? [[Int]])?.map { $0[0]..<$0[1] } == e.offsets)
        }
    }
}
