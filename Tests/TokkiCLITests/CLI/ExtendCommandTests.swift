import Foundation
import Testing
import TokkiTestSupport

/// `tokki extend`: the files it writes, the report, and its errors (nothing written).
@Suite("tokki extend")
struct ExtendCommandTests {
    static let sample = Fixtures.url("text/korean-sample.txt").path

    static func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "tokki-extend-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func sentencePieceBaseWithReport() throws {
        let dir = try Self.directory()
        defer { removeScratch(dir) }
        let english = dir + "/en.txt"
        try Data("The quick brown fox.\r\nSection 2 applies.\r\n".utf8).write(to: URL(fileURLWithPath: english))
        let r = try TokkiExecutable.run(["extend", "--model", Fixtures.url("sentencepiece/bpe_nfkc_bf.model").path, "--input", Self.sample,
                                         "--add", "40", "--reserve", "2", "--output", dir + "/ext", "--held-out", Self.sample, "--held-out", english])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.text.contains("tokens per character") && r.text.contains("6 of 6 (100.00%)"), "\(r.text)")
        #expect(FileManager.default.fileExists(atPath: dir + "/ext.model"))
        let initJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/ext.init.json"))) as? [String: Any] ?? [:]
        #expect((initJSON["new"] as? [Any])?.count == 40)
        #expect((initJSON["reserved"] as? [Int]) == [2040, 2041])
        // The extended model encodes in the CLI.
        let e = try TokkiExecutable.run(["encode", "--model", dir + "/ext.model"], stdin: Data("대한민국 헌법\n".utf8))
        #expect(e.status == 0 && !e.text.isEmpty)
    }

    @Test func tokenizerJSONBase() throws {
        let dir = try Self.directory()
        defer { removeScratch(dir) }
        let r = try TokkiExecutable.run(["extend", "--model", Fixtures.url("hf/bytelevel_bpe.json").path, "--add", "30", "--output", dir + "/ext"],
                                        stdin: try Data(contentsOf: URL(fileURLWithPath: Self.sample)))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/ext.json") && FileManager.default.fileExists(atPath: dir + "/ext.init.json"))
    }

    @Test func errorsWriteNothing() throws {
        let dir = try Self.directory()
        defer { removeScratch(dir) }
        let cases: [([String], Int32)] = [
            (["--model", Fixtures.url("hf/wordpiece_bert.json").path], 65),
            (["--model", Fixtures.url("sentencepiece/bpe_identity.model").path, "--add", "1000000"], 64),
            (["--model", Fixtures.url("sentencepiece/bpe_identity.model").path, "--normalization", "korean"], 65),
            (["--model", Fixtures.url("sentencepiece/bpe_identity.model").path, "--add", "-1"], 64),
            (["--model", dir + "/missing.model"], 74),
        ]
        for (args, status) in cases {
            let r = try TokkiExecutable.run(["extend", "--input", Self.sample, "--output", dir + "/out"] + args)
            #expect(r.status == status, "\(args): \(r.stderr)")
            #expect(!r.stderr.isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "\(args)")
        }
    }
}
