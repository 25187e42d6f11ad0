import Foundation
import Testing
import Tokki
@testable import TokkiData
import TokkiTestSupport

/// A representative subset of each command's option space run through the `tokki` executable
/// (issue #14): no combination may abort. Each run either exits 0 with valid output, or exits
/// with a usage / data / I/O status and a message, leaving no output behind.
@Suite("Property: commands never abort")
struct CommandPropertyTests {
    static let vocab = BatchCommandTests.vocab
    /// Exit statuses of a refusal (a signal shows up as its number: 4, 6, 11, …).
    static let refusals: Set<Int32> = [1, 64, 65, 66, 73, 74]

    /// A file's text, read with POSIX calls (``readFileBytes(_:)``): Foundation's file reading
    /// leaks its buffer under LeakSanitizer on Linux.
    static func text(_ path: String) throws -> String {
        String(decoding: try readFileBytes(path), as: UTF8.self)
    }

    static func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "tokki-cli-props-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Korean lines of 0–3 characters, blank lines, and a few long statute-like lines.
    static func tinyCorpus(_ dir: String) throws -> String {
        let lines = ["", "가", "나다", "a", " ", "", "민법", "제1조", "①", "가나다", "", "대한민국은 민주공화국이다. 대한민국의 주권은 국민에게 있고, 모든 권력은 국민으로부터 나온다.",
                     "b c", "", "제2조(정의) 이 법에서 사용하는 용어의 뜻은 다음과 같다. 1. \"국민\"이란 대한민국 국적을 가진 사람을 말한다."]
        let path = dir + "/tiny.txt"
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Whether the run either succeeded with `output` present, or refused with a message and no
    /// output; records an issue otherwise. Returns true on success.
    @discardableResult
    static func judge(_ r: TokkiExecutable.Result, output: String?, _ label: String) -> Bool {
        if r.status == 0 {
            if let output { #expect(FileManager.default.fileExists(atPath: output), "\(label): exit 0 without \(output)") }
            return true
        }
        #expect(refusals.contains(r.status), "\(label): exit status \(r.status) (a crash?)\n\(r.stderr.suffix(600))")
        #expect(r.stderr.contains("tokki") || r.stderr.contains("Error"), "\(label): no message: \(r.stderr)")
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Program crashed"), "\(label): \(r.stderr.suffix(600))")
        if let output {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory) {
                let inside = isDirectory.boolValue ? ((try? FileManager.default.contentsOfDirectory(atPath: output)) ?? []) : ["(file)"]
                #expect(inside.isEmpty, "\(label): failed but left \(output): \(inside)")
            }
        }
        return false
    }

    struct BatchCase: CustomTestStringConvertible, Sendable {
        let objective: String
        let options: [String]
        /// Settings outside the domain: refused at every length.
        var refused = false
        var testDescription: String { ([objective] + options).joined(separator: " ") }
    }

    static let batchCases: [BatchCase] = [
        .init(objective: "span", options: []),
        .init(objective: "span", options: ["--noise-density", "0.5", "--mean-span-length", "1"]),
        .init(objective: "span", options: ["--mean-span-length", "64", "--random-roll"]),
        .init(objective: "span", options: ["--sentinels", "end", "--separate-documents"]),
        .init(objective: "span", options: ["--noise-density", "0"], refused: true),
        .init(objective: "span", options: ["--noise-density", "1"], refused: true),
        .init(objective: "span", options: ["--ul2"], refused: true),
        .init(objective: "mlm", options: []),
        .init(objective: "mlm", options: ["--whole-word", "markers", "--selection", "exact"]),
        .init(objective: "mlm", options: ["--whole-word", "offsets", "--span-masking", "--pad-to-multiple-of", "8"]),
        .init(objective: "mlm", options: ["--pad-to-multiple-of", "0"], refused: true),
        .init(objective: "mlm", options: ["--mlm-probability", "1", "--mask-replace-prob", "0", "--random-replace-prob", "1"]),
        .init(objective: "mlm", options: ["--mlm-probability", "2"], refused: true),
        .init(objective: "causal", options: []),
        .init(objective: "causal", options: ["--remainder", "drop", "--add-bos"]),
        .init(objective: "causal", options: ["--remainder", "pad", "--no-eos", "--no-cross-document-labels"]),
    ]

    @Test(arguments: batchCases)
    func batchNeverAborts(_ c: BatchCase) throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = try Self.tinyCorpus(dir)
        let formats = ["safetensors", "jsonl", "npy"]
        var succeeded = 0
        for (k, seqLen) in [1, 2, 3, 4, 5, 6, 9, 17, 64].enumerated() {
            let format = formats[k % 3]
            let batchSize = k % 5 + 1
            let out = dir + "/out\(k)" + (format == "npy" ? "" : "." + format)
            let dtype = k % 2 == 0 ? "int64" : "int32"
            let args = ["batch", "--objective", c.objective, "--model", Self.vocab, "--input", input, "--seq-len", String(seqLen),
                        "--batch-size", String(batchSize), "--threads", String(k % 2 + 1), "--dtype", dtype, "--output", out, "--quiet"] + c.options
            let r = try TokkiExecutable.run(args)
            let label = "\(c) --seq-len \(seqLen) --batch-size \(batchSize) → \(format)"
            guard Self.judge(r, output: out, label) else { continue }
            succeeded += 1
            // The output holds rows of the requested width.
            switch format {
            case "jsonl":
                let lines = try Self.text(out).split(separator: "\n")
                #expect(!lines.isEmpty, "\(label)")
                for line in lines {
                    let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(label)")
                    let ids = try #require(object["input_ids"] as? [Int], "\(label)")
                    #expect(ids.count >= seqLen && (object["attention_mask"] as? [Int])?.count == ids.count, "\(label)")
                }
            case "safetensors":
                let t = try TensorFiles.readSafetensors(out)
                let ids = try #require(t["input_ids"], "\(label)")
                #expect(ids.shape.count == 2 && ids.shape[0] > 0 && ids.shape[1] >= seqLen, "\(label): \(ids.shape)")
                #expect(t["attention_mask"]?.shape == ids.shape && t["labels"] != nil, "\(label)")
            default:
                let t = try TensorFiles.readNpyDirectory(out)
                let ids = try #require(t["input_ids"], "\(label)")
                #expect(ids.shape.count == 2 && ids.shape[0] > 0 && ids.shape[1] >= seqLen, "\(label): \(ids.shape)")
            }
        }
        // Options in range work at some length; out-of-range ones never do.
        #expect(c.refused ? succeeded == 0 : succeeded > 0, "\(c): \(succeeded) runs succeeded")
    }

    @Test func batchOnEmptyAndBlankInputFailsWithoutOutput() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, text) in [("empty", ""), ("blank", "\n\n \n"), ("one", "가\n")] {
            let input = dir + "/\(name).txt"
            try Data(text.utf8).write(to: URL(fileURLWithPath: input))
            for objective in ["mlm", "causal", "span"] {
                for format in ["safetensors", "jsonl", "npy"] {
                    let out = dir + "/\(name)-\(objective)" + (format == "npy" ? "" : "." + format)
                    let r = try TokkiExecutable.run(["batch", "--objective", objective, "--model", Self.vocab, "--input", input,
                                                     "--seq-len", "8", "--output", out, "--quiet"])
                    let ok = Self.judge(r, output: out, "\(objective) on \(name) → \(format)")
                    #expect(ok == (name == "one"), "\(objective) on \(name) → \(format): exit \(r.status)")
                }
            }
        }
    }

    @Test(arguments: [["1/1"], ["1/3"], ["3/3"], ["0/2"], ["4/3"], ["x"], ["2/0"]])
    func prepareNeverAborts(_ shard: [String]) throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = try Self.tinyCorpus(dir)
        try Data().write(to: URL(fileURLWithPath: dir + "/empty.txt"))
        for (k, (source, eos)) in [(input, false), (input, true), (dir + "/empty.txt", true)].enumerated() {
            let prefix = dir + "/p\(k)"
            let r = try TokkiExecutable.run(["prepare", "--input", source, "--model", Self.vocab, "--output-prefix", prefix,
                                             "--shard", shard[0], "--quiet"] + (eos ? ["--append-eos"] : []))
            let label = "prepare --shard \(shard[0]) \(source)"
            if Self.judge(r, output: prefix + ".idx", label) {
                let set = try MegatronDataset(prefix: prefix)
                #expect(set.documentIndex.count == set.count + 1, "\(label)")
                for i in 0..<set.count { #expect(try set.sequence(i).count == Int(set.lengths[i])) }
            } else {
                #expect(!FileManager.default.fileExists(atPath: prefix + ".bin"), "\(label): .bin left")
            }
        }
    }

    @Test(arguments: ["bpe", "unigram", "byte-bpe"])
    func trainNeverAborts(_ modelType: String) throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let corpora = ["empty": "", "one": "가", "repeated": String(repeating: "가", count: 30) + "\n", "spaces": "   \n  \n",
                       "newlines": "\n\n\n", "crlf": "가나\r\n다라\r\n", "tiny": try Self.text(try Self.tinyCorpus(dir))]
        for (name, text) in corpora.sorted(by: { $0.key < $1.key }) {
            let input = dir + "/\(name).txt"
            try Data(text.utf8).write(to: URL(fileURLWithPath: input))
            for size in [1, 5, 40, 300, 100_000] {
                let prefix = dir + "/\(modelType)-\(name)-\(size)"
                let r = try TokkiExecutable.run(["train", "--model-type", modelType, "--vocab-size", String(size), "--input", input,
                                                 "--output", prefix, "--threads", "1", "--quiet"])
                let label = "train \(modelType) --vocab-size \(size) on \(name)"
                let ok = Self.judge(r, output: prefix + ".json", label)
                if !ok {
                    let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix((prefix as NSString).lastPathComponent + ".") }
                    #expect(left.isEmpty, "\(label): left \(left)")
                }
            }
        }
    }

    static let dedupOptions: [[String]] = [
        [],
        ["--near"],
        ["--near", "--threshold", "0"],
        ["--near", "--threshold", "1"],
        ["--near", "--threshold", "1.5"],
        ["--near", "--num-perm", "1"],
        ["--near", "--num-perm", "2"],
        ["--near", "--num-perm", "3", "--ngram", "1"],
        ["--near", "--ngram", "64"],
        ["--near", "--ngram", "1000"],
        ["--near", "--ngram", "0"],
        ["--near", "--shingle", "word", "--ngram", "1"],
        ["--near", "--bands", "9223372036854775807", "--rows", "2"],
        ["--near", "--bands", "4", "--rows", "32"],
        ["--near", "--bands", "0", "--rows", "0"],
        ["--near", "--max-index-documents", "2"],
        ["--near", "--max-index-documents", "1"],
    ]

    @Test(arguments: dedupOptions)
    func dedupNeverAborts(_ options: [String]) throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tiny = try Self.tinyCorpus(dir)
        let duplicated = dir + "/dup.txt"
        try Data((String(repeating: "가나다라 마바사\n대한민국\n가나다라 마바사!\n", count: 3) + "\n").utf8).write(to: URL(fileURLWithPath: duplicated))
        try Data().write(to: URL(fileURLWithPath: dir + "/empty.txt"))
        for (k, input) in [tiny, duplicated, dir + "/empty.txt"].enumerated() {
            let out = dir + "/kept\(k).txt", report = dir + "/report\(k).json"
            let r = try TokkiExecutable.run(["dedup", "--input", input, "--output", out, "--report", report, "--quiet"] + options)
            let label = "dedup \(options.joined(separator: " ")) on \((input as NSString).lastPathComponent)"
            if Self.judge(r, output: out, label) {
                let kept = try Self.text(out).split(separator: "\n", omittingEmptySubsequences: false)
                let all = try Self.text(input).split(separator: "\n", omittingEmptySubsequences: false)
                #expect(kept.count <= all.count, "\(label)")
                #expect(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) is [String: Any], "\(label)")
                // Exact copies go (a window of two documents only sees the previous one).
                if k == 1 && !options.contains("--max-index-documents") {
                    #expect(kept.filter { $0 == "대한민국" }.count == 1, "\(label): \(kept)")
                }
            }
        }
    }

    static let cleanOptions: [[String]] = [
        [],
        ["--min-chars", "0", "--max-words", "0"],
        ["--min-hangul-ratio", "0", "--max-other-script-ratio", "0", "--max-symbol-ratio", "0", "--max-digit-ratio", "0"],
        ["--min-hangul-ratio", "1", "--max-other-script-ratio", "1", "--max-symbol-ratio", "1", "--max-digit-ratio", "1",
         "--max-punctuation-ratio", "1", "--max-boilerplate-fraction", "1"],
        ["--max-punctuation-ratio", "0", "--max-boilerplate-fraction", "0", "--min-mean-word-length", "0", "--max-mean-word-length", "0"],
        ["--max-chars", "0"],
        ["--min-words", "1000000"],
        ["--min-hangul-ratio", "-1"],
        ["--min-hangul-ratio", "nan"],
        ["--off", "length", "--off", "script", "--off", "repetition"],
        ["--off", "nonsense"],
        ["--block-list", "/nonexistent/block.txt"],
    ]

    @Test(arguments: cleanOptions)
    func cleanNeverAborts(_ options: [String]) throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tiny = try Self.tinyCorpus(dir)
        try Data().write(to: URL(fileURLWithPath: dir + "/empty.txt"))
        try Data("\n\n\n".utf8).write(to: URL(fileURLWithPath: dir + "/blank.txt"))
        for (k, input) in [tiny, dir + "/empty.txt", dir + "/blank.txt"].enumerated() {
            let out = dir + "/kept\(k).txt", rejected = dir + "/rejected\(k).jsonl"
            let r = try TokkiExecutable.run(["clean", "--input", input, "--output", out, "--rejected", rejected, "--quiet"] + options)
            let label = "clean \(options.joined(separator: " ")) on \((input as NSString).lastPathComponent)"
            if Self.judge(r, output: out, label) {
                let kept = try Self.text(out).split(separator: "\n")
                let all = try Self.text(input).split(separator: "\n")
                // Kept documents are input documents, unchanged and in order.
                var at = 0
                for line in kept {
                    while at < all.count && all[at] != line { at += 1 }
                    #expect(at < all.count, "\(label): \(line) is not an input line")
                    at += 1
                }
            } else {
                #expect(!FileManager.default.fileExists(atPath: rejected), "\(label): rejected file left")
            }
        }
    }
}
