import Foundation
import Testing
import TokkiTestSupport

@Suite("tokki clean / dedup")
struct CleanCommandTests {
    static func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "tokki-clean-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
    static func read(_ path: String) throws -> String { String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self) }
    static func jsonLines(_ path: String) throws -> [[String: Any]] {
        try read(path).split(separator: "\n").map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    static let good = [
        "제10조 모든 국민은 인간으로서의 존엄과 가치를 가지며, 행복을 추구할 권리를 가진다.",
        "제11조 모든 국민은 법 앞에 평등하다. 누구든지 성별·종교 또는 사회적 신분에 의하여 차별을 받지 아니한다.",
        "제12조 모든 국민은 신체의 자유를 가진다. 누구든지 법률에 의하지 아니하고는 체포·구속을 받지 아니한다.",
    ]

    @Test func cleanAccountsForEveryDocument() throws {
        let dir = try Self.directory()
        defer { removeScratch(dir) }
        var bytes = Data()
        let lines = [Self.good[0], "짧다", "Copyright 2024 All rights reserved. 무단전재 및 재배포 금지", Self.good[1], "", Self.good[2]]
        for l in lines { bytes += Data(l.utf8) + Data([0x0A]) }
        bytes += Data([0xE1, 0x80, 0x0A])  // invalid UTF-8
        try bytes.write(to: URL(fileURLWithPath: dir + "/in.txt"))
        let r = try TokkiExecutable.run(["clean", "--input", dir + "/in.txt", "--output", dir + "/out.txt", "--report", dir + "/r.json",
                                         "--rejected", dir + "/rej.jsonl", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Self.read(dir + "/out.txt") == Self.good.joined(separator: "\n") + "\n")
        let report = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/r.json"))) as? [String: Any])
        #expect(report["documents"] as? Int == 7 && report["kept"] as? Int == 3 && report["removed"] as? Int == 4)
        let rules = try #require(report["removed_by_rule"] as? [String: Int])
        #expect(rules == ["length": 1, "script": 1, "empty": 1, "invalid_utf8": 1])
        let rejected = try Self.jsonLines(dir + "/rej.jsonl")
        #expect(rejected.map { $0["line"] as? Int } == [2, 3, 5, 7])
        #expect(rejected.last?["hex"] as? String == "e180")
        // --strict stops at the invalid line instead; nothing is written.
        let strict = try TokkiExecutable.run(["clean", "--input", dir + "/in.txt", "--output", dir + "/strict.txt", "--strict"])
        #expect(strict.status == 65 && strict.stderr.contains("line 7"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/strict.txt"))
        // Turning rules off keeps more.
        let off = try TokkiExecutable.run(["clean", "--input", dir + "/in.txt", "--off", "length", "--off", "script", "--quiet"])
        #expect(off.text.split(separator: "\n").count == 4)  // "짧다" now kept; the copyright line is boilerplate too
        #expect(try TokkiExecutable.run(["clean", "--input", dir + "/in.txt", "--off", "nope"]).status == 64)
    }

    @Test func keptLinesAreWrittenBackByteForByte() throws {
        // CRLF line endings survive; the CR is not part of the text the filters see.
        let input = Self.good.map { $0 + "\r\n" }.joined()
        let r = try TokkiExecutable.run(["clean", "--quiet"], stdin: Data(input.utf8))
        #expect(r.text == Self.good.map { $0 + "\r\n" }.joined())
        let d = try TokkiExecutable.run(["dedup", "--quiet"], stdin: Data((input + Self.good[0] + "\n").utf8))
        #expect(d.text == input)
    }

    @Test func cleanReadsJSONLFieldsAndKeepsRecordsVerbatim() throws {
        let dir = try Self.directory()
        defer { removeScratch(dir) }
        let records = [
            "{\"id\":1,\"text\":\"\(Self.good[0])\"}",
            "{\"id\":2,\"body\":\"no text field\"}",
            "{\"id\":3,\"text\":\"온라인 카지노 추천 사이트 안내입니다 지금 바로 접속하세요\"}",
            "not json",
        ]
        try Data((records.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: dir + "/in.jsonl"))
        try Data("카지노\n".utf8).write(to: URL(fileURLWithPath: dir + "/block.txt"))
        let r = try TokkiExecutable.run(["clean", "--input", dir + "/in.jsonl", "--text-field", "text", "--block-list", dir + "/block.txt",
                                         "--report", dir + "/r.json", "--quiet"])
        #expect(r.text == records[0] + "\n")
        let report = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/r.json"))) as? [String: Any])
        #expect(report["removed_by_rule"] as? [String: Int] == ["missing_field": 1, "block_list": 1, "invalid_json": 1])
    }

    @Test func dedupRemovesExactAndNearCopiesAndReportsClusters() throws {
        let dir = try Self.directory()
        defer { removeScratch(dir) }
        let edited = Self.good[1].replacingOccurrences(of: "평등하다", with: "평등하디")
        let lines = [Self.good[0], Self.good[1], "  " + Self.good[0] + " ", edited, Self.good[2], Self.good[1]]
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: dir + "/in.txt"))
        // Exact only.
        let exact = try TokkiExecutable.run(["dedup", "--input", dir + "/in.txt", "--quiet"])
        #expect(exact.text == [Self.good[0], Self.good[1], edited, Self.good[2]].joined(separator: "\n") + "\n")
        // Near duplicates too, with the clusters in the report; the same for any thread count.
        var outputs: [String] = []
        for threads in ["1", "2"] {
            let r = try TokkiExecutable.run(["dedup", "--near", "--input", dir + "/in.txt", "--output", dir + "/u\(threads).txt",
                                             "--report", dir + "/r\(threads).json", "--rejected", dir + "/rej.jsonl", "--threads", threads, "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
            outputs.append(try Self.read(dir + "/u\(threads).txt") + Self.read(dir + "/r\(threads).json"))
        }
        #expect(outputs[0] == outputs[1])
        #expect(try Self.read(dir + "/u1.txt") == Self.good.joined(separator: "\n") + "\n")
        let report = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/r1.json"))) as? [String: Any])
        #expect(report["exact_duplicates"] as? Int == 2 && report["near_duplicates"] as? Int == 1)
        let clusters = try #require(report["clusters"] as? [[String: Any]])
        #expect(clusters.count == 2)
        let second = try #require(clusters.first { ($0["kept"] as? [String: Any])?["line"] as? Int == 2 })
        #expect((second["removed"] as? [[String: Any]])?.compactMap { $0["line"] as? Int } == [4, 6])
        let rejected = try Self.jsonLines(dir + "/rej.jsonl")
        #expect(rejected.map { $0["rule"] as? String } == ["exact_duplicate", "near_duplicate", "exact_duplicate"])
        #expect(try TokkiExecutable.run(["dedup", "--near", "--bands", "50", "--rows", "50", "--input", dir + "/in.txt"]).status == 64)
    }
}
