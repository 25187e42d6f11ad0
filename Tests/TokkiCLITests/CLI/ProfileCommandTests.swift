import Foundation
import Testing
import TokkiTestSupport

/// `tokki profile`: the same profile for any thread count, JSONL sources, and the HTML report
/// laid out by headless Chromium.
@Suite("tokki profile")
struct ProfileCommandTests {
    /// A scratch folder with `c.jsonl`; the test removes it.
    static func corpus() throws -> String {
        let dir = NSTemporaryDirectory() + "tokki-profile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try removingScratchOnError(dir) {
            let inputs = try SentencePieceFixtures.inputs()
            var lines: [String] = []
            for k in 0..<3000 {
                let text = k % 5 == 0 ? "짧음" : "제\(k % 40)조 " + (inputs["legal_article"] ?? "") + (k % 7 == 0 ? " ------------------------------" : "")
                let data = try JSONSerialization.data(withJSONObject: ["text": text, "src": k % 3 == 0 ? "law" : "web"], options: [.sortedKeys])
                lines.append(String(decoding: data, as: UTF8.self))
            }
            lines.insert("{not json", at: 10)
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: dir + "/c.jsonl"))
        }
        return dir
    }

    @Test func sameProfileForAnyThreadCount() throws {
        let dir = try Self.corpus()
        defer { removeScratch(dir) }
        var outputs: [Data] = []
        for threads in ["1", "2"] {
            let r = try TokkiExecutable.run(["profile", "--input", dir + "/c.jsonl", "--text-field", "text", "--source-field", "src",
                                             "--model", Fixtures.url("hf/bytelevel_bpe.json").path, "--threads", threads,
                                             "--json", dir + "/p\(threads).json"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.text.contains("3000 documents"), "\(r.text)")
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: dir + "/p\(threads).json")))
        }
        #expect(outputs[0] == outputs[1])
        let json = try JSONSerialization.jsonObject(with: outputs[0]) as? [String: Any] ?? [:]
        let sources = (json["sources"] as? [[String: Any]] ?? []).map { $0["source"] as? String }
        #expect(sources == ["law", "web"])
        #expect(((json["unreadable"] as? [String: Int]) ?? [:])["invalid_json"] == 1)
        #expect(((json["rule_hits"] as? [String: Int]) ?? [:])["length"] == 600)
        #expect((json["tokens"] as? Int ?? 0) > 0)
    }

    @Test(.enabled(if: CompareCommandTests.chromium != nil))
    func htmlChartsRenderInChromium() throws {
        let dir = try Self.corpus()
        defer { removeScratch(dir) }
        let r = try TokkiExecutable.run(["profile", "--input", dir + "/c.jsonl", "--text-field", "text", "--html", dir + "/p.html",
                                         "--json", dir + "/p.json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/p.json"))) as? [String: Any] ?? [:]
        var nonZero = 0
        for (_, h) in json["histograms"] as? [String: [String: Any]] ?? [:] { nonZero += (h["counts"] as? [Int] ?? []).filter { $0 > 0 }.count }
        nonZero += ((json["script_mix"] as? [String: Int]) ?? [:]).values.filter { $0 > 0 }.count
        nonZero += ((json["rule_hits"] as? [String: Int]) ?? [:]).values.filter { $0 > 0 }.count + ((json["kept"] as? Int ?? 0) > 0 ? 1 : 0)
        let chromium = try #require(CompareCommandTests.chromium)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(dir)/profile", "--dump-dom", "file://\(dir)/p.html"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(nonZero > 10)
        #expect(dom.contains("data-bars-drawn=\"\(nonZero)\""), "\(dom.prefix(200))")
        #expect(dom.contains("Removed by length"))
    }
}
