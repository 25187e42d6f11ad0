import Foundation
import Testing
@testable import Tokki
@testable import TokkiData
import TokkiTestSupport

/// Special tokens of tiktoken files in `prepare`, `batch` and `decode`: tiktoken's own for its
/// named encodings, `--special-token TEXT=ID` for others, and `--eos-token id:N`.
@Suite("tiktoken special tokens on the command line")
struct SpecialTokenCommandTests {
    static let ranks = Fixtures.url("tiktoken/korean-sample.tiktoken").path

    /// A scratch folder with `in.txt`; the test removes it.
    static func corpus() throws -> (dir: String, input: String, lines: [String]) {
        let dir = NSTemporaryDirectory() + "tokki-special-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let lines = ["제1조(목적) 이 법은 국민의 권리를 정한다.", "Hello, 세계", "제2조 ① 이 법에서 사용하는 용어의 뜻은 다음과 같다."]
        try removingScratchOnError(dir) { try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: dir + "/in.txt")) }
        return (dir, dir + "/in.txt", lines)
    }

    @Test func aRankFileWithoutSpecialTokensNeedsOneNamed() throws {
        let (dir, input, lines) = try Self.corpus()
        defer { removeScratch(dir) }
        let base = ["prepare", "--model", Self.ranks, "--pattern", "cl100k", "--input", input, "--append-eos", "--quiet"]
        let none = try TokkiExecutable.run(base + ["--output-prefix", dir + "/none"])
        #expect(none.status == 64)
        #expect(none.stderr.contains("--special-token TEXT=ID") && none.stderr.contains("id:N"), "\(none.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/none.bin"))

        let enc = try TiktokenTokenizer(contentsOf: URL(fileURLWithPath: Self.ranks), pattern: "cl100k")
        // A new special token after the ranks, used as EOS.
        let added = try TokkiExecutable.run(base + ["--special-token", "<|eot|>=600", "--eos-token", "<|eot|>", "--output-prefix", dir + "/added"])
        #expect(added.status == 0, "\(added.stderr)")
        let ds = try MegatronDataset(prefix: dir + "/added")
        #expect(ds.count == lines.count)
        for (k, line) in lines.enumerated() {
            #expect(try ds.sequence(k) == (try enc.encodeOrdinary(line)).map(Int32.init) + [600])
        }
        // An id as EOS.
        let byID = try TokkiExecutable.run(base + ["--eos-token", "id:7", "--output-prefix", dir + "/byid"])
        #expect(byID.status == 0, "\(byID.stderr)")
        #expect(try MegatronDataset(prefix: dir + "/byid").sequence(1) == (try enc.encodeOrdinary(lines[1])).map(Int32.init) + [7])
        // Bad values are usage errors before anything is written.
        for bad in [["--eos-token", "id:600"], ["--eos-token", "id:x"], ["--special-token", "<|x|>=5", "--eos-token", "<|x|>"],
                    ["--special-token", "nothing"], ["--special-token", "<|a|>=601", "--special-token", "<|b|>=601", "--eos-token", "<|a|>"]] {
            let r = try TokkiExecutable.run(base + bad + ["--output-prefix", dir + "/bad"])
            #expect(r.status == 64, "\(bad): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/bad.bin"))
        }
        // Other formats define their own special tokens.
        let sp = try TokkiExecutable.run(["prepare", "--input", input, "--special-token", "<x>=5", "--output-prefix", dir + "/sp", "--quiet"])
        #expect(sp.status == 64 && sp.stderr.contains("tiktoken"))
        // decode knows the added token.
        let decoded = try TokkiExecutable.run(["decode", "--model", Self.ranks, "--special-token", "<|eot|>=600"], stdin: Data("600\n".utf8))
        #expect(decoded.status == 0 && decoded.text == "<|eot|>\n", "\(decoded.stderr)")
        // … and leaves it out when asked; both flags at once are a usage error.
        let skipped = try TokkiExecutable.run(["decode", "--model", Self.ranks, "--special-token", "<|eot|>=600", "--skip-special-tokens"],
                                              stdin: Data("600\n".utf8))
        #expect(skipped.status == 0 && skipped.text == "\n", "\(skipped.stderr)")
        let both = try TokkiExecutable.run(["decode", "--model", Self.ranks, "--keep-special-tokens", "--skip-special-tokens"], stdin: Data("1\n".utf8))
        #expect(both.status == 64)
    }

    /// Whole-word masking from offsets works for a rank file too: its tokens' byte offsets
    /// group touching tokens into words (so a word's tokens are masked together).
    @Test func wholeWordOffsetsWithARankFile() throws {
        let (dir, input, _) = try Self.corpus()
        defer { removeScratch(dir) }
        let r = try TokkiExecutable.run(["batch", "--objective", "mlm", "--model", Self.ranks, "--pattern", "cl100k",
                                         "--special-token", "<|mask|>=600", "--special-token", "<|pad|>=601",
                                         "--whole-word", "offsets", "--seq-len", "32", "--batch-size", "2", "--seed", "1",
                                         "--input", input, "--output", dir + "/mlm.jsonl", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try String(contentsOfFile: dir + "/mlm.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(!rows.isEmpty && rows.allSatisfy { $0.contains("\"input_ids\"") })
    }

    @Test(.enabled(if: Published.tokenizersFetched, "needs scripts/fetch/fetch_published_tokenizers.sh"),
          arguments: [("o200k_base.tiktoken", 199_999), ("cl100k_base.tiktoken", 100_257), ("r50k_base.tiktoken", 50256)])
    func namedEncodingsAppendTiktokensEndOfText(_ file: String, _ eos: Int32) throws {
        let (dir, input, lines) = try Self.corpus()
        defer { removeScratch(dir) }
        for extra in [[], ["--eos-token", "<|endoftext|>"], ["--eos-token", "id:\(eos)"]] {
            let r = try TokkiExecutable.run(["prepare", "--model", Published.path(file), "--input", input, "--append-eos",
                                             "--output-prefix", dir + "/out", "--quiet"] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            let ds = try MegatronDataset(prefix: dir + "/out")
            #expect(ds.count == lines.count)
            for k in 0..<lines.count { #expect(try ds.sequence(k).last == eos) }
        }
    }
}
