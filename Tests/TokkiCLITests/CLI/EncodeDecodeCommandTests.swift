import Foundation
import Testing
import Tokki
import TokkiTestSupport

@Suite("tokki encode / decode / inspect")
struct EncodeDecodeCommandTests {
    static let model = Fixtures.url("sentencepiece/unigram_nfkc_bf.model").path

    /// Reference ids for the fixture inputs, from the Python sentencepiece package.
    static func expected() throws -> [String: [Int]] {
        let e = try JSONDecoder().decode(SPExpected.self, from: Fixtures.data("sentencepiece/unigram_nfkc_bf.expected.json"))
        return Dictionary(uniqueKeysWithValues: e.cases.map { ($0.name, $0.ids) })
    }

    @Test func encodeLinesMatchTheReferenceWithAnyThreadCount() throws {
        let inputs = try SentencePieceFixtures.inputs()
        let expected = try Self.expected()
        let names = ["legal_article", "legal_citation", "prose", "english", "emoji_zwj", "compat_jamo", "long_no_spaces"]
        let stdin = names.map { inputs[$0]! }.joined(separator: "\n") + "\n"
        let want = names.map { expected[$0]!.map(String.init).joined(separator: " ") }.joined(separator: "\n") + "\n"
        for threads in ["1", "2"] {
            let r = try TokkiExecutable.run(["encode", "--model", Self.model, "--threads", threads], stdin: Data(stdin.utf8))
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.text == want)
        }
        let one = try TokkiExecutable.run(["encode", "--model", Self.model, "--text", inputs["legal_article"]!])
        #expect(one.text == expected["legal_article"]!.map(String.init).joined(separator: " ") + "\n")
    }

    /// Encoding is pipelined in batches (read ahead while the workers encode): with lines
    /// spread over several batches, every thread count gives the same output, and a failure in
    /// a later batch (invalid UTF-8, or a line over the limit) keeps the output of every line
    /// before it, names the line, and exits 65.
    @Test(arguments: ["1", "2", "3"])
    func pipelinedBatchesStopAtTheFailingLine(_ threads: String) throws {
        let inputs = try SentencePieceFixtures.inputs()
        let expected = try Self.expected()
        let names = ["legal_article", "prose", "english", "compat_jamo"]
        let count = 9_000  // several batches (of 2048 lines)
        let lines = (0..<count).map { inputs[names[$0 % names.count]]! }
        let want = (0..<count).map { expected[names[$0 % names.count]]!.map(String.init).joined(separator: " ") }
        let good = Data((lines.joined(separator: "\n") + "\n").utf8)
        let whole = try TokkiExecutable.run(["encode", "--model", Self.model, "--threads", threads], stdin: good)
        #expect(whole.status == 0, "\(whole.stderr)")
        #expect(whole.text == want.joined(separator: "\n") + "\n")

        let badLine = 8_500
        var bad = Data((lines[0..<(badLine - 1)].joined(separator: "\n") + "\n").utf8)
        bad += Data([0x41, 0xFF, 0x0A]) + Data((lines[badLine...].joined(separator: "\n") + "\n").utf8)
        let r = try TokkiExecutable.run(["encode", "--model", Self.model, "--threads", threads], stdin: bad)
        #expect(r.status == 65)
        #expect(r.stderr.contains("<stdin>: line \(badLine): invalid UTF-8"), "\(r.stderr)")
        #expect(r.text == want[0..<(badLine - 1)].joined(separator: "\n") + "\n")

        var long = Data((lines[0..<(badLine - 1)].joined(separator: "\n") + "\n").utf8)
        long += Data(String(repeating: "가", count: 30_000).utf8) + Data("\n".utf8)
        let l = try TokkiExecutable.run(["encode", "--model", Self.model, "--threads", threads, "--max-line-bytes", "64K"], stdin: long)
        #expect(l.status == 65)
        #expect(l.stderr.contains("line \(badLine)"), "\(l.stderr)")
        #expect(l.text == want[0..<(badLine - 1)].joined(separator: "\n") + "\n")
    }

    /// `tokki stats` over many lines (several batches, any thread count) gives the counts
    /// made from the reference ids: tokens, characters, eojeols, unknown and byte-fallback
    /// tokens, distinct ids. A malformed line is an error, or with --invalid replace a line
    /// holding U+FFFD.
    @Test func statsCountWhatTheReferenceIDsSay() throws {
        let inputs = try SentencePieceFixtures.inputs()
        let expected = try Self.expected()
        let model = try SentencePieceTokenizer(contentsOf: URL(fileURLWithPath: Self.model)).model
        let names = ["legal_article", "legal_citation", "prose", "english", "emoji_zwj", "compat_jamo"]
        let order = (0..<5000).map { names[($0 * 5 + $0 / 3) % names.count] }
        var tokens = 0, chars = 0, eojeols = 0, unknowns = 0, bytes = 0
        var used = Set<Int>()
        for name in order {
            let ids = expected[name]!
            tokens += ids.count
            chars += inputs[name]!.unicodeScalars.count
            eojeols += inputs[name]!.split(whereSeparator: { $0 == " " || $0 == "\t" }).count
            unknowns += ids.filter { $0 == model.unknownID }.count
            bytes += ids.filter { model.pieces[$0].type == .byte }.count
            used.formUnion(ids)
        }
        #expect(bytes > 0 && chars > eojeols)
        let stdin = Data((order.map { inputs[$0]! }.joined(separator: "\n") + "\n").utf8)
        for threads in ["1", "3"] {
            let r = try TokkiExecutable.run(["stats", "--model", Self.model, "--threads", threads], stdin: stdin)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.text.contains("lines: 5000, characters: \(chars), eojeols: \(eojeols), tokens: \(tokens)\n"), "\(r.text)")
            #expect(r.text.contains("unknown tokens: \(unknowns) (") && r.text.contains("byte-fallback tokens: \(bytes) ("), "\(r.text)")
            #expect(r.text.contains("vocabulary used: \(used.count) of \(model.pieces.count) ("), "\(r.text)")
        }
        let bad = Data([0x61, 0x0A, 0x62, 0xFF, 0x0A])
        let stop = try TokkiExecutable.run(["stats", "--model", Self.model], stdin: bad)
        #expect(stop.status == 65 && stop.stderr.contains("line 2"))
        let replaced = try TokkiExecutable.run(["stats", "--model", Self.model, "--invalid", "replace"], stdin: bad)
        #expect(replaced.status == 0 && replaced.text.contains("lines: 2, characters: 3,"), "\(replaced.text)")
    }

    @Test func specialTokensPiecesAndJSONL() throws {
        let bos = try TokkiExecutable.run(["encode", "--model", Self.model, "--text", "대한민국", "--add-special-tokens"])
        let plain = try TokkiExecutable.run(["encode", "--model", Self.model, "--text", "대한민국"])
        #expect(bos.text == "1 " + plain.text.dropLast() + " 2\n")
        // Pieces and byte offsets as the reference gives them (sentencepiece's pieces and
        // immutable-proto spans, recorded in the fixture), for every fixture text.
        let expected = try JSONDecoder().decode(SPExpected.self, from: Fixtures.data("sentencepiece/unigram_nfkc_bf.expected.json"))
        let inputs = try SentencePieceFixtures.inputs()
        let cases = expected.cases.filter { c in inputs[c.name].map { !$0.contains("\n") && !$0.contains("\r") } ?? false }
        #expect(cases.count > 80)
        let stdin = cases.map { inputs[$0.name]! }.joined(separator: "\n") + "\n"
        let pieces = try TokkiExecutable.run(["encode", "--model", Self.model, "--output-format", "pieces", "--invalid", "replace"], stdin: Data(stdin.utf8))
        #expect(pieces.status == 0, "\(pieces.stderr)")
        #expect(pieces.text == cases.map { $0.pieces.joined(separator: " ") + "\n" }.joined())
        let jsonl = try TokkiExecutable.run(["encode", "--model", Self.model, "--output-format", "jsonl", "--invalid", "replace"], stdin: Data(stdin.utf8))
        struct Row: Decodable { let ids: [Int]; let pieces: [String]; let offsets: [[Int]]; let char_offsets: [[Int]] }
        let rows = try jsonl.text.split(separator: "\n").map { try JSONDecoder().decode(Row.self, from: Data($0.utf8)) }
        try #require(rows.count == cases.count)
        for (row, c) in zip(rows, cases) {
            #expect(row.ids == c.ids && row.pieces == c.pieces, "\(c.name)")
            #expect(row.offsets == c.spans, "\(c.name): offsets")
            // Scalar offsets are the byte offsets counted in scalars of the input.
            let bytes = Array(inputs[c.name]!.utf8)
            let scalars = row.offsets.map { o in [o[0], o[1]].map { String(decoding: bytes[..<$0], as: UTF8.self).unicodeScalars.count } }
            #expect(row.char_offsets == scalars, "\(c.name): char_offsets")
        }
    }

    @Test func decodeRoundTripsAndRejectsBadIDs() throws {
        let inputs = try SentencePieceFixtures.inputs()
        let e = try JSONDecoder().decode(SPExpected.self, from: Fixtures.data("sentencepiece/unigram_nfkc_bf.expected.json"))
        let cases = e.cases.filter { ["legal_article", "prose", "english"].contains($0.name) }
        let stdin = cases.map { $0.ids.map(String.init).joined(separator: " ") }.joined(separator: "\n") + "\n"
        let r = try TokkiExecutable.run(["decode", "--model", Self.model], stdin: Data(stdin.utf8))
        #expect(r.status == 0)
        #expect(r.text == cases.map(\.decoded).joined(separator: "\n") + "\n")
        _ = inputs
        let bad = try TokkiExecutable.run(["decode", "--model", Self.model], stdin: Data("5 6\n7 999999\n".utf8))
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("999999") && bad.stderr.contains("line 2"))
        let junk = try TokkiExecutable.run(["decode", "--model", Self.model], stdin: Data("5 x\n".utf8))
        #expect(junk.status == 65)
    }

    @Test func inspectAndModelErrors() throws {
        let r = try TokkiExecutable.run(["inspect", Self.model])
        #expect(r.status == 0)
        #expect(r.text.contains("model type: unigram"))
        #expect(r.text.contains("vocabulary size: 2000"))
        #expect(r.text.contains("byte fallback: true"))
        #expect(r.text.contains("name: nmt_nfkc"))
        let missing = try TokkiExecutable.run(["encode", "--model", "/nonexistent/m.model", "--text", "x"])
        #expect(missing.status == 66)
        let corrupt = FileManager.default.temporaryDirectory.appendingPathComponent("tokki-corrupt-\(UUID().uuidString).model")
        defer { try? FileManager.default.removeItem(at: corrupt) }
        try Data(try Fixtures.data("sentencepiece/unigram_nfkc.model").prefix(500)).write(to: corrupt)
        let c = try TokkiExecutable.run(["inspect", corrupt.path])
        #expect(c.status == 65)
        #expect(c.stderr.contains(corrupt.path))
        let invalid = try TokkiExecutable.run(["encode", "--model", Self.model], stdin: Data([0x61, 0x0A, 0xFF, 0x0A]))
        #expect(invalid.status == 65 && invalid.stderr.contains("line 2"))
    }
}

@Suite("tokki encode / decode with tiktoken files")
struct TiktokenCommandTests {
    @Test func encodeAndDecodeMatchTiktoken() throws {
        let model = Fixtures.url("tiktoken/korean-sample.tiktoken").path
        let expected = try JSONDecoder().decode(TiktokenExpected.self, from: Fixtures.data("tiktoken/korean-sample.expected.json"))
        let inputs = try SentencePieceFixtures.inputs()
        let names = ["legal_article", "legal_citation", "prose", "english", "digits"]
        let byName = Dictionary(uniqueKeysWithValues: expected.cases.map { ($0.name, $0.ids) })
        let stdin = names.map { inputs[$0]! }.joined(separator: "\n") + "\n"
        let want = names.map { byName[$0]!.map(String.init).joined(separator: " ") }.joined(separator: "\n") + "\n"
        let r = try TokkiExecutable.run(["encode", "--model", model, "--pattern", "cl100k"], stdin: Data(stdin.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.text == want)
        let d = try TokkiExecutable.run(["decode", "--model", model], stdin: Data(want.utf8))
        #expect(d.text == stdin)
        let noPattern = try TokkiExecutable.run(["encode", "--model", model, "--text", "x"])
        #expect(noPattern.status == 64 && noPattern.stderr.contains("pattern"))
        let special = try TokkiExecutable.run(["encode", "--model", model, "--pattern", "cl100k", "--text", "x", "--add-bos"])
        #expect(special.status == 64)
        let inspect = try TokkiExecutable.run(["inspect", model])
        #expect(inspect.status == 0 && inspect.text.contains("vocabulary size: 600") && inspect.text.contains("tiktoken"))
    }
}

@Suite("tokki encode / decode with tokenizer.json files")
struct TokenizerJSONCommandTests {
    @Test func encodeAndDecodeMatchTokenizers() throws {
        let model = Fixtures.url("hf/wordpiece_bert.json").path
        let expected = try Fixtures.json("hf/wordpiece_bert.expected.json") as! [String: Any]
        let cases = Dictionary(uniqueKeysWithValues: (expected["cases"] as! [[String: Any]]).map { ($0["name"] as! String, $0) })
        let inputs = try SentencePieceFixtures.inputs()
        let names = ["legal_article", "legal_citation", "prose", "english"]
        let stdin = names.map { inputs[$0]! }.joined(separator: "\n") + "\n"
        for (flag, key) in [(nil, "ids"), ("--add-special-tokens", "ids_special")] as [(String?, String)] {
            let want = names.map { (cases[$0]![key] as! [Int]).map(String.init).joined(separator: " ") }.joined(separator: "\n") + "\n"
            for threads in ["1", "2"] {
                let r = try TokkiExecutable.run(["encode", "--model", model, "--threads", threads] + (flag.map { [$0] } ?? []), stdin: Data(stdin.utf8))
                #expect(r.status == 0, "\(r.stderr)")
                #expect(r.text == want)
            }
        }
        let ids = names.map { (cases[$0]!["ids_special"] as! [Int]).map(String.init).joined(separator: " ") }.joined(separator: "\n") + "\n"
        let d = try TokkiExecutable.run(["decode", "--model", model], stdin: Data(ids.utf8))
        #expect(d.text == names.map { cases[$0]!["decoded"] as! String }.joined(separator: "\n") + "\n")
        let jsonl = try TokkiExecutable.run(["encode", "--model", model, "--output-format", "jsonl", "--add-special-tokens", "--text", inputs["english"]!])
        struct Row: Decodable { let ids: [Int]; let char_offsets: [[Int]]; let type_ids: [Int]; let special_tokens_mask: [Int] }
        let row = try JSONDecoder().decode(Row.self, from: Data(jsonl.text.utf8))
        #expect(row.char_offsets == cases["english"]!["offsets_special"] as! [[Int]])
        #expect(row.special_tokens_mask == cases["english"]!["special_tokens_mask"] as! [Int])
        let inspect = try TokkiExecutable.run(["inspect", model])
        #expect(inspect.status == 0 && inspect.text.contains("WordPiece") && inspect.text.contains("[CLS]=2"))
    }

    /// Over several batches (4096 lines each) and any thread count, every line of a tiktoken
    /// and a tokenizer.json model gets the reference ids, in order; a malformed line stops
    /// the run with exit 65 after every earlier line was written.
    @Test func manyLinesOnAnyThreadCountKeepTheReferenceIDs() throws {
        let inputs = try SentencePieceFixtures.inputs()
        let tiktoken = try JSONDecoder().decode(TiktokenExpected.self, from: Fixtures.data("tiktoken/korean-sample.expected.json"))
        let tiktokenIDs = Dictionary(uniqueKeysWithValues: tiktoken.cases.map { ($0.name, $0.ids) })
        let bert = try Fixtures.json("hf/wordpiece_bert.expected.json") as! [String: Any]
        let bertIDs = Dictionary(uniqueKeysWithValues: (bert["cases"] as! [[String: Any]]).map { ($0["name"] as! String, $0["ids"] as! [Int]) })
        let names = ["legal_article", "legal_citation", "prose", "english"]
        let order = (0..<9000).map { names[($0 * 7 + $0 / 5) % names.count] }
        let stdin = order.map { inputs[$0]! }.joined(separator: "\n") + "\n"
        for (model, extra, ids) in [(Fixtures.url("tiktoken/korean-sample.tiktoken").path, ["--pattern", "cl100k"], tiktokenIDs),
                                    (Fixtures.url("hf/wordpiece_bert.json").path, [], bertIDs)] {
            let want = order.map { ids[$0]!.map(String.init).joined(separator: " ") }.joined(separator: "\n") + "\n"
            for threads in ["1", "3"] {
                let r = try TokkiExecutable.run(["encode", "--model", model, "--threads", threads] + extra, stdin: Data(stdin.utf8))
                #expect(r.status == 0, "\(r.stderr)")
                #expect(r.text == want, "\(model) --threads \(threads)")
            }
            var bad = Data(order.prefix(5000).map { inputs[$0]! }.joined(separator: "\n").utf8)
            bad.append(contentsOf: [0x0A, 0x61, 0xFF, 0x0A, 0x62, 0x0A])
            let r = try TokkiExecutable.run(["encode", "--model", model, "--threads", "2"] + extra, stdin: bad)
            #expect(r.status == 65 && r.stderr.contains("line 5001"), "\(r.stderr)")
            #expect(r.text == order.prefix(5000).map { ids[$0]!.map(String.init).joined(separator: " ") }.joined(separator: "\n") + "\n")
        }
    }

    /// One worker encoding 150,000 lines keeps working (each worker's encoder is called in
    /// place: held in a generic container, it was re-wrapped on every line until the stack
    /// overflowed), for every model kind, in encode and stats.
    @Test func oneWorkerEncodesVeryManyLines() throws {
        let stdin = Data(String(repeating: "제1조 법\n", count: 150_000).utf8)
        for (model, extra) in [(EncodeDecodeCommandTests.model, []), (Fixtures.url("tiktoken/korean-sample.tiktoken").path, ["--pattern", "cl100k"]),
                               (Fixtures.url("hf/wordpiece_bert.json").path, [])] {
            let r = try TokkiExecutable.run(["encode", "--model", model, "--threads", "1"] + extra, stdin: stdin)
            #expect(r.status == 0, "\(model): \(r.stderr.prefix(300))")
            let lines = r.text.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 150_001 && Set(lines.dropLast()).count == 1, "\(model)")
            // Every line holds the ids of the text, as the library gives them.
            let want: [Int]
            switch model {
            case EncodeDecodeCommandTests.model:
                want = try SentencePieceTokenizer(contentsOf: URL(fileURLWithPath: model)).encodeIDs("제1조 법")
            case let m where m.hasSuffix(".tiktoken"):
                want = try TiktokenTokenizer(contentsOf: URL(fileURLWithPath: m), pattern: "cl100k").encodeOrdinary("제1조 법")
            default:
                want = try HuggingFaceTokenizer(contentsOf: URL(fileURLWithPath: model)).encode("제1조 법", addSpecialTokens: false).ids
            }
            #expect(!want.isEmpty && lines.first == Substring(want.map(String.init).joined(separator: " ")), "\(model)")
            let stats = try TokkiExecutable.run(["stats", "--model", model, "--threads", "1"] + extra, stdin: stdin)
            #expect(stats.status == 0 && stats.text.contains("lines: 150000,"), "\(model): \(stats.stderr.prefix(300))")
        }
    }

    @Test func malformedTokenizerJSONIsAClearError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokki-json-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(String, String)] = [
            (#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a c"]}}"#, "$.model.merges[0]"),
            (#"{"model": {"type": "Foo"}}"#, "unsupported model type 'Foo'"),
            (#"{"model": {"type": "WordLevel", "vocab": {}}, "normalizer": {"type": "Fancy"}}"#, "$.normalizer: unsupported normalizer type 'Fancy'"),
            ("{\"model\": {\"type\": \"BPE\",\n \"vocab\": {\"a\": 0,}}}", "line 2"),
            (#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 0}, "merges": []}}"#, "id 0"),
            (#"{"model": {"type": "WordLevel", "vocab": {"a": 1000000000}}}"#, "not an integer in 0..<16777216"),
            (#"{"model": {"type": "WordLevel", "vocab": {"a": 0}}, "pre_tokenizer": {"type": "Metaspace", "replacement": ""}}"#, "one character"),
            (#"{"model": {"type": "WordLevel", "vocab": {"a": 0}}, "padding": {"strategy": {"Fixed": 99999999999}}}"#, "padding length"),
        ]
        for (k, (json, message)) in cases.enumerated() {
            let file = dir.appendingPathComponent("t\(k).json")
            try Data(json.utf8).write(to: file)
            let r = try TokkiExecutable.run(["encode", "--model", file.path, "--text", "a"])
            #expect(r.status == 65, "\(json)")
            #expect(r.stderr.contains(message) && r.stderr.contains(file.path), "\(r.stderr)")
        }
    }

    /// `convert`: .model → tokenizer.json → .model keeps the ids; a Metaspace tokenizer.json
    /// is refused (exit 65, reason on stderr) unless --approximate, which warns.
    @Test func convertIsExactOrRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokki-convert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("t.json").path, back = dir.appendingPathComponent("t.model").path
        #expect(try TokkiExecutable.run(["convert", EncodeDecodeCommandTests.model, json]).status == 0)
        let r = try TokkiExecutable.run(["convert", json, back])
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
        let text = "「민법」 제3조제1항  Tokki 😀"
        let a = try TokkiExecutable.run(["encode", "--model", EncodeDecodeCommandTests.model, "--text", text])
        let b = try TokkiExecutable.run(["encode", "--model", back, "--text", text])
        #expect(a.status == 0 && a.text == b.text)
        let metaspace = Fixtures.url("hf/metaspace_bpe.json").path
        let refused = try TokkiExecutable.run(["convert", metaspace, back + "2.model"])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("Metaspace adds no"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: back + "2.model"))
        let approx = try TokkiExecutable.run(["convert", "--approximate", metaspace, back + "2.model"])
        #expect(approx.status == 0)
        #expect(approx.stderr.contains("warning") && approx.stderr.contains("fuse_unk"), "\(approx.stderr)")
    }
}

/// A tokenizer.json that stores padding and truncation: `tokki encode` applies them, and
/// `--no-padding` / `--no-truncation` turn them off.
@Suite("tokki encode: stored padding and truncation")
struct StoredPaddingCommandTests {
    @Test func storedSettingsApplyUnlessTurnedOff() throws {
        let plainPath = Fixtures.url("hf/bytelevel_bpe.json").path
        var json = String(decoding: try Fixtures.data("hf/bytelevel_bpe.json"), as: UTF8.self)
        #expect(json.contains("\"truncation\":null") && json.contains("\"padding\":null"))
        json = json.replacingOccurrences(of: "\"truncation\":null", with: #""truncation":{"direction":"Right","max_length":6,"strategy":"LongestFirst","stride":0}"#)
        json = json.replacingOccurrences(of: "\"padding\":null", with: #""padding":{"strategy":{"Fixed":9},"direction":"Right","pad_to_multiple_of":null,"pad_id":0,"pad_type_id":0,"pad_token":"<pad>"}"#)
        let path = NSTemporaryDirectory() + "tokki-padded-\(UUID().uuidString).json"
        defer { removeScratch(path) }
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        let input = Data("대한민국은 민주공화국이다. 대한민국의 주권은 국민에게 있다.\n가\n".utf8)
        func ids(_ args: [String]) throws -> [[Int]] {
            let r = try TokkiExecutable.run(["encode", "--input", "-", "--threads", "1"] + args, stdin: input)
            #expect(r.status == 0, "\(r.stderr)")
            return r.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { $0.split(separator: " ").compactMap { Int($0) } }
        }
        let plain = try ids(["--model", plainPath])
        try #require(plain.count == 2 && plain[0].count > 6 && plain[1].count < 6)
        // Stored: cut to 6, then padded to 9 with id 0.
        let stored = try ids(["--model", path])
        #expect(stored == [Array(plain[0].prefix(6)) + [0, 0, 0], plain[1] + [Int](repeating: 0, count: 9 - plain[1].count)])
        #expect(try ids(["--model", path, "--no-truncation"]) == [plain[0] + [Int](repeating: 0, count: max(0, 9 - plain[0].count)), stored[1]])
        #expect(try ids(["--model", path, "--no-padding"]) == [Array(plain[0].prefix(6)), plain[1]])
        #expect(try ids(["--model", path, "--no-padding", "--no-truncation"]) == plain)
    }
}
