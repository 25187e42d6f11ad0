import Foundation
import Testing
import TokkiTestSupport

/// `tokki compare`: the table, JSON and the HTML report, which headless Chromium (Debian's
/// `chromium`) lays out and photographs when it is installed.
@Suite("tokki compare")
struct CompareCommandTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs `tokki compare` in a scratch folder, which the test removes.
    static func run() throws -> (dir: String, json: [String: Any]) {
        let dir = NSTemporaryDirectory() + "tokki-compare-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let json = try removingScratchOnError(dir) { () throws -> [String: Any] in
            let corpus = dir + "/corpus.txt"
            let inputs = try SentencePieceFixtures.inputs()
            let text = (0..<200).map { k in "제\(k)조 " + (inputs["legal_article"] ?? "") + " " + (inputs["prose"] ?? "") }.joined(separator: "\n") + "\n"
            try Data(text.utf8).write(to: URL(fileURLWithPath: corpus))
            let r = try TokkiExecutable.run(["compare", "--model", Fixtures.url("sentencepiece/unigram_nfkc_bf.model").path,
                                             "--model", Fixtures.url("hf/bytelevel_bpe.json").path, "--name", "unigram", "--name", "bytelevel",
                                             "--input", corpus, "--json", dir + "/c.json", "--html", dir + "/c.html", "--threads", "2"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.text.contains("tokens per character") && r.text.contains("unigram") && r.text.contains("most split frequent eojeols"))
            return try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/c.json"))) as? [String: Any] ?? [:]
        }
        return (dir, json)
    }

    @Test func tableAndJSON() throws {
        let (dir, json) = try Self.run()
        defer { removeScratch(dir) }
        let models = json["models"] as? [[String: Any]] ?? []
        #expect(models.map { $0["name"] as? String } == ["unigram", "bytelevel"])
        #expect((json["lines"] as? Int) == 200)
        for m in models {
            #expect((m["tokens"] as? Int ?? 0) > 0)
            #expect(((m["most_split"] as? [Any]) ?? []).count == 20)
        }
    }

    @Test func usageErrors() throws {
        #expect(try TokkiExecutable.run(["compare", "--input", "/dev/null"]).status == 64)
        let model = Fixtures.url("hf/bytelevel_bpe.json").path
        #expect(try TokkiExecutable.run(["compare", "--model", model, "--name", "a", "--name", "b", "--input", "/dev/null"]).status == 64)
        #expect(try TokkiExecutable.run(["compare", "--model", "/no/such/model.json", "--input", "/dev/null"]).status == 66)
    }

    @Test(.enabled(if: chromium != nil))
    func htmlChartsRenderInChromium() throws {
        let (dir, json) = try Self.run()
        defer { removeScratch(dir) }
        let chromium = try #require(Self.chromium)
        // Bars with a value > 0 must be drawn with a width (the page's script counts them).
        let models = json["models"] as? [[String: Any]] ?? []
        let keys = ["tokens_per_character", "tokens_per_eojeol", "tokens_per_word"]
        var expected = 0
        for m in models {
            for k in keys where (m[k] as? Double ?? 0) > 0 { expected += 1 }
            for k in ["unknown_tokens", "byte_fallback_tokens", "partial_character_tokens", "vocabulary_used"] where (m[k] as? Int ?? 0) > 0 { expected += 1 }
        }
        #expect(expected >= 8)
        func chrome(_ args: [String]) throws -> String {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: chromium)
            p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(dir)/profile"] + args
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        let dom = try chrome(["--dump-dom", "file://\(dir)/c.html"])
        #expect(dom.contains("data-bars-drawn=\"\(expected)\""), "\(dom.prefix(300))")
        _ = try chrome(["--window-size=1200,1600", "--screenshot=\(dir)/c.png", "file://\(dir)/c.html"])
        let png = [UInt8](FileManager.default.contents(atPath: dir + "/c.png") ?? Data())
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(png.count > 20_000, "a blank page compresses to a few KB")
    }
}
