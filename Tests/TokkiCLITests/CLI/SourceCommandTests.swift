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
        defer { removeScratch(dir) }
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
        defer { removeScratch(dir) }
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

extension SourceCommandTests {
    /// `batch --objective sft --mix`: conversations repeated or sampled by source, the same
    /// on every run.
    @Test func sftConversationsMix() throws {
        let dir = try Self.directory()
        defer { removeScratch(dir) }
        func conversation(_ q: String, _ a: String) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: ["messages": [["role": "user", "content": q], ["role": "assistant", "content": a]]]), as: UTF8.self)
        }
        let law = try (0..<40).map { try conversation("민법 제\($0)조는?", "손해배상 책임을 정합니다 \($0).") }.joined(separator: "\n") + "\n"
        let chat = try (0..<160).map { try conversation("안녕 \($0)", "반가워요 \($0)") }.joined(separator: "\n") + "\n"
        try Data(law.utf8).write(to: URL(fileURLWithPath: dir + "/law.jsonl"))
        try Data(chat.utf8).write(to: URL(fileURLWithPath: dir + "/chat.jsonl"))
        var outputs: [Data] = []
        var written = 0
        for k in 0..<2 {
            let r = try TokkiExecutable.run(["batch", "--objective", "sft", "--model", Fixtures.url("sft/chatml-generation").path,
                                             "--input", dir + "/law.jsonl", "--input", dir + "/chat.jsonl", "--seq-len", "128",
                                             "--mix", "*law.jsonl=0.5", "--mix", "*chat.jsonl=0.5", "--output", dir + "/o\(k).jsonl"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("mix *law.jsonl: 40 →"), "\(r.stderr)")
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: dir + "/o\(k).jsonl")))
            // "mix *law.jsonl: 40 → N (×r), *chat.jsonl: 160 → M (×s)": the copies written.
            written = r.stderr.components(separatedBy: " → ").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }.reduce(0, +)
        }
        #expect(outputs[0] == outputs[1])
        // One padded row per conversation written: the copies the mixture chose.
        let rows = String(decoding: outputs[0], as: UTF8.self).split(separator: "\n")
        #expect(written > 0 && rows.count == written, "\(rows.count) rows, \(written) copies")
        // A bad line is reported once, however many copies the mixture makes of its source.
        try Data((law + "{oops\n").utf8).write(to: URL(fileURLWithPath: dir + "/law.jsonl"))
        let bad = try TokkiExecutable.run(["batch", "--objective", "sft", "--model", Fixtures.url("sft/chatml-generation").path,
                                           "--input", dir + "/law.jsonl", "--input", dir + "/chat.jsonl", "--seq-len", "128",
                                           "--mix", "*law.jsonl=0.9", "--mix", "*chat.jsonl=0.1", "--output", dir + "/b.jsonl"])
        #expect(bad.status == 0 && bad.stderr.contains("1 records rejected (invalid_json 1)"), "\(bad.stderr)")
    }

    @Test func prepareKeepsAGroupWithinItsQuota() throws {
        let dir = try Self.directory()
        defer { removeScratch(dir) }
        let law = (0..<300).map { "제\($0)조 이 법은 국민의 권리를 보호함을 목적으로 한다." }
        let web = (0..<900).map { "웹 문서 \($0): 오늘은 날씨가 좋다." }
        try Data((law.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: dir + "/law.txt"))
        try Data((web.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: dir + "/web.txt"))
        let lawBytes = law.map(\.utf8.count).reduce(0, +)
        func run(_ quota: String) throws -> (Int, Int, Data) {
            let r = try TokkiExecutable.run(["prepare", "--input", dir + "/law.txt", "--input", dir + "/web.txt",
                                             "--mix", "*law.txt=" + quota, "--mix", "*web.txt=1", "--output-prefix", dir + "/q"])
            #expect(r.status == 0, "\(r.stderr)")
            // "*law.txt: 300 → N (×r) B of Q bytes"
            let part = try #require(r.stderr.components(separatedBy: "*law.txt: 300 → ").last)
            let words = part.split(separator: " ")
            let bytes = try #require(Int(words[2]))
            let q = try #require(ByteCountParser.parse(quota))
            #expect(part.hasPrefix("\(words[0]) \(words[1]) \(bytes) of \(q) bytes"), "\(part)")
            return (try #require(Int(words[0])), bytes, try Data(contentsOf: URL(fileURLWithPath: dir + "/q.bin")))
        }
        let (n4, b4, d4) = try run("4K")
        #expect(b4 <= 4096 && b4 > 3000 && n4 > 30, "\(n4) \(b4)")
        #expect(try run("4K").2 == d4)
        // The web group (weight 1) keeps all its documents: 900 of them after the law ones.
        #expect(try MegatronDataset(prefix: dir + "/q").count == n4 + 900)
        // Larger than the group: repeated, within the quota; zero: left out.
        let (_, b1, _) = try run("1M")
        #expect(b1 <= 1 << 20 && b1 > (1 << 20) - 3 * lawBytes / 100, "\(b1)")
        let (n0, b0, _) = try run("0B")
        #expect(n0 == 0 && b0 == 0)
        let bad = try TokkiExecutable.run(["prepare", "--input", dir + "/law.txt", "--mix", "*law.txt=12X", "--output-prefix", dir + "/x"])
        #expect(bad.status == 64 && bad.stderr.contains("12X") && bad.stderr.contains("GROUP=SIZE"), "\(bad.stderr)")
    }
}

/// Quota texts as the README writes them (units of 1024), parsed for the expectations.
enum ByteCountParser {
    static func parse(_ text: String) -> Int? {
        let units: [Character: Int] = ["B": 0, "K": 10, "M": 20, "G": 30]
        guard let u = text.last.flatMap({ units[$0] }), let n = Int(text.dropLast()) else { return nil }
        return n << u
    }
}
