import Foundation
import Testing
@testable import TokkiData
import TokkiTestSupport

/// `clean --allow-source/--deny-source` and `prepare/batch --mix`.
@Suite("sources and mixing")
struct SourceCommandTests {
    static func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "tokki-src-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func cleanKeepsAllowedSources() throws {
        let dir = try Self.directory()
        var lines: [String] = []
        let urls = ["https://www.law.go.kr/a", "https://www.law.go.kr/forum/b", "https://news.com/c", "https://scourt.go.kr/d"]
        for k in 0..<40 {
            let d = try JSONSerialization.data(withJSONObject: ["text": "대한민국 헌법 제\(k)조는 국민의 권리와 의무를 정한다.", "url": urls[k % 4]], options: [.sortedKeys])
            lines.append(String(decoding: d, as: UTF8.self))
        }
        lines.append("{\"text\": \"출처가 없는 문서입니다. 충분히 긴 문장.\"}")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: dir + "/c.jsonl"))
        let r = try TokkiExecutable.run(["clean", "--input", dir + "/c.jsonl", "--text-field", "text", "--source-field", "url",
                                         "--allow-source", "domain:go.kr", "--deny-source", "*forum*", "--rejected", dir + "/r.jsonl"])
        #expect(r.status == 0, "\(r.stderr)")
        let kept = r.text.split(separator: "\n")
        #expect(kept.count == 20)
        #expect(kept.allSatisfy { ($0.contains("law.go.kr") && !$0.contains("forum")) || $0.contains("scourt.go.kr") })
        let rejected = try String(contentsOfFile: dir + "/r.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(rejected.count == 21 && rejected.allSatisfy { $0.contains("\"rule\":\"source\"") })
        #expect(rejected.last?.contains("no string field 'url'") == true)
        // --off source turns the rule off.
        let off = try TokkiExecutable.run(["clean", "--input", dir + "/c.jsonl", "--text-field", "text", "--source-field", "url",
                                           "--allow-source", "domain:go.kr", "--off", "source"])
        #expect(off.status == 0 && off.text.split(separator: "\n").count == 41, "\(off.stderr)")
    }

    @Test func prepareMixesSourcesDeterministically() throws {
        let dir = try Self.directory()
        let law = (0..<300).map { "제\($0)조 이 법은 국민의 권리를 보호함을 목적으로 한다." }.joined(separator: "\n") + "\n"
        let web = (0..<900).map { "웹 문서 \($0): 오늘은 날씨가 좋다." }.joined(separator: "\n") + "\n"
        try Data(law.utf8).write(to: URL(fileURLWithPath: dir + "/law.txt"))
        try Data(web.utf8).write(to: URL(fileURLWithPath: dir + "/web.txt"))
        var outputs: [Data] = []
        for (k, seed) in ["1", "1", "2"].enumerated() {
            let r = try TokkiExecutable.run(["prepare", "--input", dir + "/law.txt", "--input", dir + "/web.txt",
                                             "--mix", "*law.txt=0.5", "--mix", "*web.txt=0.5", "--mix-seed", seed,
                                             "--output-prefix", dir + "/m\(k)"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("mix *law.txt: 300 →"), "\(r.stderr)")
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: dir + "/m\(k).bin")))
        }
        #expect(outputs[0] == outputs[1])
        #expect(outputs[0] != outputs[2])
        // Equal shares of bytes: the law documents (longer, fewer) are repeated, web ones sampled.
        let dataset = try MegatronDataset(prefix: dir + "/m0")
        #expect(dataset.count > 300 && dataset.count < 1200)
        let stdin = try TokkiExecutable.run(["prepare", "--mix", "a=1", "--output-prefix", dir + "/s"], stdin: Data(law.utf8))
        #expect(stdin.status == 64)
    }
}
