import Foundation
import Testing
import TokkiTestSupport

/// Every command that reads corpora reads gzip and zstd files and `--encoding` charsets as it
/// reads plain UTF-8 (the same output), and suggests `--encoding cp949` for Korean legacy text.
@Suite("compressed and legacy-encoded input")
struct InputDecodingCommandTests {
    static func path(_ name: String) -> String { Fixtures.url("encodings/\(name)").path }


    @Test(arguments: [("sample.txt.gz", nil), ("sample.txt.zst", nil), ("sample.cp949.txt", "cp949"), ("sample.utf16le.txt", "utf-16")] as [(String, String?)])
    func sameOutputAsPlainText(_ file: String, _ encoding: String?) throws {
        for command in [["encode"], ["normalize"], ["stats"], ["dedup"]] {
            let plain = try TokkiExecutable.run(command + ["--input", Self.path("sample.txt")])
            var args = command + ["--input", Self.path(file)]
            if let encoding { args += ["--encoding", encoding] }
            let other = try TokkiExecutable.run(args)
            #expect(plain.status == 0, "\(command): \(plain.stderr)")
            #expect(other.status == 0 && other.stdout == plain.stdout, "\(command) \(file): \(other.stderr)")
        }
    }

    @Test func jsonlGzipThroughBatchAndClean() throws {
        let dir = NSTemporaryDirectory() + "tokki-enc-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { removeScratch(dir) }
        let plain = dir + "/plain.jsonl"
        try Data("{\"text\": \"대한민국 헌법\"}\n{\"text\": \"민법 제750조\"}\n".utf8).write(to: URL(fileURLWithPath: plain))
        for input in [plain, Self.path("sample.jsonl.gz")] {
            let out = dir + "/\(URL(fileURLWithPath: input).lastPathComponent).jsonl"
            let r = try TokkiExecutable.run(["batch", "--objective", "causal", "--input", input, "--text-field", "text", "--seq-len", "16",
                                             "--output", out, "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let a = try String(contentsOfFile: dir + "/plain.jsonl.jsonl", encoding: .utf8)
        let b = try String(contentsOfFile: dir + "/sample.jsonl.gz.jsonl", encoding: .utf8)
        #expect(!a.isEmpty && a == b)
        // clean keeps the same records of the compressed file as of the plain one.
        let rules = ["--text-field", "text", "--min-chars", "1"]
        let cleanPlain = try TokkiExecutable.run(["clean", "--input", plain] + rules)
        let clean = try TokkiExecutable.run(["clean", "--input", Self.path("sample.jsonl.gz")] + rules)
        #expect(clean.status == 0 && !clean.text.isEmpty && clean.stdout == cleanPlain.stdout, "\(clean.stderr)")
    }

    @Test func legacyTextGetsAHintAndBadInputAClearError() throws {
        let r = try TokkiExecutable.run(["encode", "--input", Self.path("sample.cp949.txt")])
        #expect(r.status == 65)
        #expect(r.stderr.contains("--encoding cp949"), "\(r.stderr)")
        let truncated = try TokkiExecutable.run(["normalize", "--input", Self.path("truncated.txt.gz")])
        #expect(truncated.status == 65 && truncated.stderr.contains("truncated"), "\(truncated.stderr)")
        let unknown = try TokkiExecutable.run(["normalize", "--encoding", "klingon", "--input", Self.path("sample.txt")])
        #expect(unknown.status == 64)
        let bad = try TokkiExecutable.run(["normalize", "--encoding", "cp949", "--input", Self.path("bad.cp949.txt")])
        #expect(bad.status == 65 && bad.stderr.contains("byte offset 5"), "\(bad.stderr)")
        let replaced = try TokkiExecutable.run(["normalize", "--encoding", "cp949", "--invalid", "replace", "--input", Self.path("bad.cp949.txt")])
        #expect(replaced.status == 0 && replaced.text == "대한\n\u{FFFD}\n", "\(replaced.stderr)")
        // Sharding by byte offset refuses decoded input.
        let prefix = NSTemporaryDirectory() + "/x-\(UUID().uuidString)"
        defer { for suffix in [".bin", ".idx"] { removeScratch(prefix + suffix) } }
        let shard = try TokkiExecutable.run(["prepare", "--input", Self.path("sample.txt.gz"), "--output-prefix", prefix,
                                             "--shard", "0/2"])
        #expect(shard.status == 64 && shard.stderr.contains("decompress"), "\(shard.stderr)")
        // Compressed standard input.
        let gz = try Data(contentsOf: URL(fileURLWithPath: Self.path("sample.txt.gz")))
        let stdin = try TokkiExecutable.run(["normalize"], stdin: gz)
        let plain = try TokkiExecutable.run(["normalize", "--input", Self.path("sample.txt")])
        #expect(stdin.status == 0 && stdin.stdout == plain.stdout)
    }

    @Test func trainReadsCompressedInput() throws {
        let dir = NSTemporaryDirectory() + "tokki-enc-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { removeScratch(dir) }
        let a = try TokkiExecutable.run(["train", "--input", Self.path("sample.txt"), "--vocab-size", "60", "--output", dir + "/a", "--quiet"])
        let b = try TokkiExecutable.run(["train", "--input", Self.path("sample.txt.zst"), "--vocab-size", "60", "--output", dir + "/b", "--quiet"])
        #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
        // The same vocabulary (the files differ only in the input names they record).
        let ea = try TokkiExecutable.run(["encode", "--model", dir + "/a.model", "--input", Self.path("sample.txt")])
        let eb = try TokkiExecutable.run(["encode", "--model", dir + "/b.model", "--input", Self.path("sample.txt")])
        #expect(ea.status == 0 && !ea.text.isEmpty && ea.stdout == eb.stdout, "\(ea.stderr) \(eb.stderr)")
    }
}
