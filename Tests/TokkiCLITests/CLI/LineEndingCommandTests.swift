import Foundation
import Testing
import TokkiTestSupport

/// Every line-oriented command treats `\r\n` as a line end: a CRLF corpus gives the same output
/// bytes as the same corpus with LF line ends; `clean` and `dedup` write kept records back with
/// their original bytes; a line over `--max-line-bytes` stops with exit 65 naming the input.
@Suite("CRLF corpora and long lines")
struct LineEndingCommandTests {
    static let vocab = Fixtures.packageRoot.appendingPathComponent("Vocab/tokki-ko-bpe-16k.model").path

    /// A directory with `lf.txt` and `crlf.txt`: the same Korean lines (with blank lines and a
    /// duplicate) with LF and with CRLF line ends; the last line has no line end. The test removes it.
    static func corpora() throws -> String {
        let dir = NSTemporaryDirectory() + "tokki-crlf-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try removingScratchOnError(dir) {
            let inputs = try SentencePieceFixtures.inputs()
            var lines: [String] = []
            for k in 0..<150 {
                lines.append("제\(k + 1)조(목적) 이 법은 " + (inputs["legal_article"] ?? "") + " 제\(k)항에 따른다.")
                lines.append(inputs["prose"] ?? "")
                if k % 9 == 0 { lines.append("") }
            }
            // Varied statute text, so that trainers can make a few hundred pieces.
            let sample = String(decoding: try Fixtures.data("text/korean-sample.txt"), as: UTF8.self)
            lines += sample.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.hasSuffix("\r") }
            lines.append("Hello, 세계 — 끝")
            try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: dir + "/lf.txt"))
            try Data(lines.joined(separator: "\r\n").utf8).write(to: URL(fileURLWithPath: dir + "/crlf.txt"))
        }
        return dir
    }

    static func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    /// Runs `arguments` (with `FILE` replaced by the corpus and `OUT` by an output path) on the
    /// LF corpus and then on the CRLF corpus, under the same path (trainers record the input's
    /// path in the model), and returns stdout and the output files of each run.
    static func both(_ dir: String, _ arguments: [String], outputs: [String] = []) throws -> [[UInt8]] {
        var results: [[UInt8]] = []
        let file = "\(dir)/corpus.txt", out = "\(dir)/out"
        let args = arguments.map { $0.replacingOccurrences(of: "FILE", with: file).replacingOccurrences(of: "OUT", with: out) }
        for name in ["lf", "crlf"] {
            try Data(try bytes("\(dir)/\(name).txt")).write(to: URL(fileURLWithPath: file))
            let r = try TokkiExecutable.run(args)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            var all = [UInt8](r.stdout)
            for suffix in outputs {
                all += try bytes(out + suffix)
                try FileManager.default.removeItem(atPath: out + suffix)
            }
            #expect(!all.isEmpty, "\(args) wrote nothing")
            results.append(all)
        }
        return results
    }

    @Test(arguments: [
        ["encode", "--model", vocab, "--input", "FILE"],
        ["encode", "--model", vocab, "--input", "FILE", "--output-format", "jsonl", "--threads", "2"],
        ["encode", "--model", Fixtures.url("sentencepiece/unigram_nfkc_bf.model").path, "--input", "FILE", "--output-format", "pieces"],
        ["encode", "--model", Fixtures.url("tiktoken/korean-sample.tiktoken").path, "--pattern", "cl100k", "--input", "FILE"],
        ["stats", "--model", vocab, "--input", "FILE"],
        ["stats", "--input", "FILE"],
        ["normalize", "--input", "FILE"],
    ])
    func streamingCommandsIgnoreTheCR(_ arguments: [String]) throws {
        let dir = try Self.corpora()
        defer { removeScratch(dir) }
        let r = try Self.both(dir, arguments)
        #expect(r[0] == r[1])
        // One output line per input line.
        if arguments[0] != "stats" {
            // (normalize leaves the last line without a line end, as the input has none)
            let lines = (try Self.bytes(dir + "/lf.txt")).filter { $0 == 0x0A }.count + (arguments[0] == "normalize" ? 0 : 1)
            #expect(r[0].filter { $0 == 0x0A }.count == lines)
        }
    }

    @Test(arguments: [
        (["batch", "--objective", "causal", "--model", vocab, "--input", "FILE", "--seq-len", "64", "--output", "OUT.jsonl", "--quiet"], [".jsonl"]),
        (["batch", "--objective", "span", "--model", vocab, "--input", "FILE", "--seq-len", "64", "--seed", "1", "--output", "OUT.safetensors", "--quiet"], [".safetensors"]),
        (["batch", "--objective", "mlm", "--model", vocab, "--input", "FILE", "--seq-len", "32", "--seed", "1", "--output", "OUT.jsonl", "--quiet"], [".jsonl"]),
        (["prepare", "--model", vocab, "--input", "FILE", "--output-prefix", "OUT", "--append-eos", "--quiet"], [".bin", ".idx"]),
        (["train", "--model-type", "bpe", "--vocab-size", "500", "--input", "FILE", "--output", "OUT", "--quiet"], [".model", ".vocab"]),
        (["train", "--model-type", "unigram", "--vocab-size", "500", "--input", "FILE", "--output", "OUT", "--quiet"], [".model", ".vocab"]),
        (["train", "--model-type", "byte-bpe", "--vocab-size", "500", "--input", "FILE", "--output", "OUT", "--quiet"], [".json"]),
    ])
    func fileWritingCommandsGiveIdenticalBytes(_ arguments: [String], _ outputs: [String]) throws {
        let dir = try Self.corpora()
        defer { removeScratch(dir) }
        let r = try Self.both(dir, arguments, outputs: outputs)
        #expect(r[0] == r[1])
    }

    @Test(arguments: [["clean"], ["dedup"]])
    func keptRecordsKeepTheirOriginalBytes(_ command: [String]) throws {
        let dir = try Self.corpora()
        defer { removeScratch(dir) }
        for name in ["lf", "crlf"] {
            let input = try Self.bytes("\(dir)/\(name).txt")
            let r = try TokkiExecutable.run(command + ["--input", "\(dir)/\(name).txt", "--report", "\(dir)/\(name).report.json", "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
            // Every kept line is a line of the input, byte for byte (CR included), in order.
            var lines = input.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
            let kept = [UInt8](r.stdout).split(separator: 0x0A, omittingEmptySubsequences: true).map(Array.init)
            #expect(!kept.isEmpty)
            for line in kept {
                guard let at = lines.firstIndex(of: line) else { Issue.record("\(name): kept line not in the input"); break }
                lines.removeFirst(at + 1)
            }
            if name == "crlf" { #expect(kept.dropLast().allSatisfy { $0.last == 0x0D }) }
        }
        // Both line-end styles keep and remove the same records.
        let lf = String(decoding: try Self.bytes("\(dir)/lf.report.json"), as: UTF8.self)
        let crlf = String(decoding: try Self.bytes("\(dir)/crlf.report.json"), as: UTF8.self)
        #expect(lf.contains("\"kept\":"))
        #expect(lf == crlf.replacingOccurrences(of: "crlf.txt", with: "lf.txt"))
    }

    @Test(arguments: [
        ["normalize"], ["encode", "--model", vocab], ["stats"], ["decode", "--model", vocab],
        ["batch", "--objective", "causal", "--seq-len", "16", "--output", "OUT.jsonl", "--quiet"],
        ["prepare", "--output-prefix", "OUT", "--quiet"],
        ["train", "--model-type", "bpe", "--vocab-size", "300", "--output", "OUT", "--quiet"],
        ["clean", "--quiet"], ["dedup", "--quiet"], ["instruct", "--quiet"], ["instruct", "--shots", "2", "--output", "OUT.jsonl", "--quiet"],
    ])
    func aLineOverTheLimitStopsWithExit65(_ command: [String]) throws {
        let dir = try Self.corpora()
        defer { removeScratch(dir) }
        let out = dir + "/out"
        let args = command.map { $0.replacingOccurrences(of: "OUT", with: out) }
        // 3 short lines, then one of 70,000 bytes: over a 64K limit.
        let long = Data((String(repeating: "1 ", count: 3) + "\n").utf8) + Data((String(repeating: "12 ", count: 3) + "\n").utf8)
            + Data(String(repeating: "7", count: 70_000).utf8) + Data("\n1\n".utf8)
        let path = dir + "/long.txt"
        try long.write(to: URL(fileURLWithPath: path))
        for input in [["--input", path], []] {
            let r = try TokkiExecutable.run(args + input + ["--max-line-bytes", "64K"], stdin: input.isEmpty ? long : Data())
            #expect(r.status == 65, "\(args + input): \(r.stderr)")
            #expect(r.stderr.contains("\(input.isEmpty ? "<stdin>" : path): line 3 (at byte offset 17) is longer than the limit of 65536 bytes"), "\(r.stderr)")
            #expect(r.stderr.contains("--max-line-bytes"))
            for suffix in ["", ".jsonl", ".bin", ".idx", ".model"] { #expect(!FileManager.default.fileExists(atPath: out + suffix)) }
        }
        // Raising the limit reads the line.
        if command[0] == "normalize" || command[0] == "stats" {
            let r = try TokkiExecutable.run(args + ["--input", path, "--max-line-bytes", "1M"])
            #expect(r.status == 0, "\(r.stderr)")
        }
    }
}
