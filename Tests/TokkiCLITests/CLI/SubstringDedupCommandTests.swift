import Foundation
import Testing
import TokkiTestSupport

@Suite("tokki dedup --substring")
struct SubstringDedupCommandTests {
    static func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "tokki-substring-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
    static func read(_ path: String) throws -> String { String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self) }
    static func json(_ path: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    /// 132 bytes: longer than the 100-byte default.
    static let disclaimer = "※ 본 판결문은 비실명 처리된 참고 자료로서 법적 효력이 없으며, 무단 전재와 재배포를 금합니다."
    /// Characters around the disclaimer that differ in every judgment (so what repeats is
    /// exactly the disclaimer; shared trailing or leading bytes of different characters never
    /// survive, since cuts are at character boundaries).
    static let before = ["가", "나", "다", "라", "마", "바", "사", "아"]
    static let after = ["甲", "乙", "丙", "丁", "戊", "己", "庚", "辛"]

    static func judgment(_ k: Int) -> (full: String, cut: String) {
        let head = "대법원 판결 제\(k)호 이유: 원심판결을 파기하고 사건을 환송한다 " + before[k]
        let tail = after[k] + " 이상의 이유로 주문과 같이 판결한다 (\(k))"
        return (head + disclaimer + tail, head + tail)
    }

    @Test func disclaimerInManyJudgmentsIsKeptOnceAndTheReportListsIt() throws {
        #expect(Self.disclaimer.utf8.count >= 100)
        let dir = try Self.directory()
        defer { removeScratch(dir) }
        var input = Data()
        var expected = ""
        for k in 0..<8 {
            let j = Self.judgment(k)
            input += Data(j.full.utf8) + Data([0x0A])
            expected += (k == 0 ? j.full : j.cut) + "\n"
            if k == 3 { input += Data([0x41, 0xC3, 0x28, 0x0A]) }  // invalid UTF-8 as line 5
        }
        try input.write(to: URL(fileURLWithPath: dir + "/in.txt"))
        let r = try TokkiExecutable.run(["dedup", "--substring", "--input", dir + "/in.txt", "--output", dir + "/out.txt",
                                         "--report", dir + "/r.json", "--rejected", dir + "/rej.jsonl"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Self.read(dir + "/out.txt") == expected)
        #expect(r.stderr.contains("cut \(7 * Self.disclaimer.utf8.count) of"))
        let report = try Self.json(dir + "/r.json")
        #expect(report["documents"] as? Int == 9 && report["kept"] as? Int == 8)
        #expect(report["removed_by_rule"] as? [String: Int] == ["invalid_utf8": 1])
        let substrings = try #require(report["substrings"] as? [String: Any])
        #expect(substrings["min_length_bytes"] as? Int == 100)
        #expect(substrings["bytes_removed"] as? Int == 7 * Self.disclaimer.utf8.count)
        #expect(substrings["ranges_removed"] as? Int == 7 && substrings["documents_edited"] as? Int == 7 && substrings["distinct_spans"] as? Int == 1)
        let spans = try #require(substrings["spans"] as? [[String: Any]])
        #expect(spans.count == 1)
        #expect(spans.first?["text"] as? String == Self.disclaimer)
        #expect(spans.first?["length"] as? Int == Self.disclaimer.utf8.count && spans.first?["count"] as? Int == 7)
        #expect(spans.first?["bytes_removed"] as? Int == 7 * Self.disclaimer.utf8.count)
        #expect((spans.first?["first_removed"] as? [String: Any])?["line"] as? Int == 2)
        let rejected = try Self.read(dir + "/rej.jsonl").split(separator: "\n")
        #expect(rejected.count == 1 && rejected[0].contains("\"rule\":\"invalid_utf8\"") && rejected[0].contains("\"line\":5"))
        // The minimum counts bytes of the repeat before cuts shrink to whole characters: 丁 (E4 B8 81)
        // follows the disclaimer where 丙 (E4 B8 99) did, so that byte repeat is 134 bytes long and
        // still cut at 134 (to the 132 bytes of whole characters); at 135 nothing repeats.
        let at134 = try TokkiExecutable.run(["dedup", "--substring", "--min-length", "134", "--input", dir + "/in.txt", "--quiet"])
        #expect(at134.text == (0..<8).map { ($0 == 3 ? Self.judgment($0).cut : Self.judgment($0).full) + "\n" }.joined())
        let at135 = try TokkiExecutable.run(["dedup", "--substring", "--min-length", "135", "--input", dir + "/in.txt", "--quiet"])
        #expect(at135.text == (0..<8).map { Self.judgment($0).full + "\n" }.joined())
        // --strict stops at the invalid line; nothing is written.
        let strict = try TokkiExecutable.run(["dedup", "--substring", "--strict", "--input", dir + "/in.txt", "--output", dir + "/strict.txt"])
        #expect(strict.status == 65 && strict.stderr.contains("line 5"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/strict.txt"))
    }

    @Test func jsonlRecordsGetOnlyTheirFieldReplaced() throws {
        let dir = try Self.directory()
        defer { removeScratch(dir) }
        var lines: [String] = []
        var expected: [String] = []
        for k in 0..<4 {
            let j = Self.judgment(k)
            // Other members before and after the text, odd spacing: all kept byte for byte.
            let record = { (text: String) in "{\"id\": \(k), \"court\":\"대법원\",  \"text\":\"\(text)\\n끝\" , \"meta\":{\"tags\":[\"민사\",\(k)]}}" }
            lines.append(record(j.full))
            expected.append(record(k == 0 ? j.full : j.cut))
        }
        lines.insert("{\"id\": 9, \"body\": \"no text\"}", at: 2)
        lines.insert("{\"text\": ", at: 3)
        let input = lines.joined(separator: "\n") + "\n"
        let r = try TokkiExecutable.run(["dedup", "--substring", "--text-field", "text", "--report", dir + "/r.json", "--quiet"], stdin: Data(input.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.text == expected.joined(separator: "\n") + "\n")
        let report = try Self.json(dir + "/r.json")
        #expect(report["removed_by_rule"] as? [String: Int] == ["missing_field": 1, "invalid_json": 1])
    }

    @Test func crlfLinesKeepTheirLineEndsAndDocumentsLeftEmptyAreRemoved() throws {
        let dir = try Self.directory()
        defer { removeScratch(dir) }
        let a = Self.judgment(0).full, b = Self.judgment(1)
        // Line 3 repeats line 1 entirely: it is removed whole (rule substring_duplicate).
        let input = a + "\r\n" + b.full + "\r\n" + a + "\r\n" + "짧은 줄\n"
        let r = try TokkiExecutable.run(["dedup", "--substring", "--rejected", dir + "/rej.jsonl", "--quiet"], stdin: Data(input.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.text == a + "\r\n" + b.cut + "\r\n" + "짧은 줄\n")
        let rejected = try Self.read(dir + "/rej.jsonl")
        #expect(rejected.contains("\"rule\":\"substring_duplicate\"") && rejected.contains("\"line\":3"))
    }

    @Test func memoryLimitAndUsageErrorsStopBeforeAnyOutput() throws {
        let dir = try Self.directory()
        defer { removeScratch(dir) }
        try Data((0..<8).map { Self.judgment($0).full + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: dir + "/in.txt"))
        let small = try TokkiExecutable.run(["dedup", "--substring", "--max-memory", "4K", "--input", dir + "/in.txt",
                                             "--output", dir + "/out.txt", "--rejected", dir + "/rej.jsonl", "--report", dir + "/r.json"])
        #expect(small.status == 64 && small.stderr.contains("--max-memory"), "\(small.stderr)")
        for name in ["out.txt", "rej.jsonl", "r.json"] { #expect(!FileManager.default.fileExists(atPath: dir + "/" + name)) }
        // From stdin (size unknown) the limit is checked while reading.
        let stdin = try TokkiExecutable.run(["dedup", "--substring", "--max-memory", "4K"], stdin: try Data(contentsOf: URL(fileURLWithPath: dir + "/in.txt")))
        #expect(stdin.status == 64 && stdin.text.isEmpty)
        #expect(try TokkiExecutable.run(["dedup", "--substring", "--near", "--input", dir + "/in.txt"]).status == 64)
        #expect(try TokkiExecutable.run(["dedup", "--substring", "--min-length", "0", "--input", dir + "/in.txt"]).status == 64)
        let help = try TokkiExecutable.run(["dedup", "--help"])
        #expect(help.text.contains("tokki dedup --substring --min-length 100"))
    }

    @Test func diskModeWritesTheSameBytesAsInMemory() throws {
        let dir = try Self.directory()
        defer { removeScratch(dir) }
        let temp = dir + "/tmp"
        try FileManager.default.createDirectory(atPath: temp, withIntermediateDirectories: true)
        // About 120 KB of judgments sharing phrases; --max-memory leaves room for parts of about
        // 9,000 bytes (the text, 1 bit per byte, the JSONL lines and 64 KiB of buffers stay in
        // memory): more than ten parts, the repeats crossing their edges.
        var rng = SplitMix64(seed: 18)
        let phrases = ["원심판결을 파기하고 사건을 환송한다.", Self.disclaimer, "상고비용은 원고가 부담한다.", "이 사건 토지에 관하여",
                       "피고의 상고이유를 판단한다.", "대법관 일치된 의견으로 주문과 같이 판결한다.", "손해배상(기)"]
        var text = ""
        var jsonl = ""
        for k in 0..<420 {
            var line = "\(k): "
            for _ in 0..<(2 + Int(rng.next() % 8)) { line += phrases[Int(rng.next() % UInt64(phrases.count))] + " \(rng.next() % 100) " }
            text += line + "\n"
            jsonl += "{\"id\":\(k),\"text\":\"\(line)\"}\n"
        }
        #expect(text.utf8.count > 110_000)
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/in.txt"))
        try Data(jsonl.utf8).write(to: URL(fileURLWithPath: dir + "/in.jsonl"))
        for (input, extra, lines) in [("in.txt", [String](), 0), ("in.jsonl", ["--text-field", "text"], jsonl.utf8.count)] {
            let memory = String(65_536 + 17 * 9000 / 4 + text.utf8.count * 9 / 8 + lines)
            var outputs: [[Data]] = []
            for mode in [[String](), ["--max-memory", memory, "--temp-dir", temp]] {
                let r = try TokkiExecutable.run(["dedup", "--substring", "--min-length", "40", "--input", dir + "/" + input, "--output", dir + "/out",
                                                 "--report", dir + "/r.json", "--rejected", dir + "/rej.jsonl"] + extra + mode)
                #expect(r.status == 0, "\(r.stderr)")
                if !mode.isEmpty {
                    let parts = r.stderr.split(separator: "on disk: ").last?.split(separator: " ").first.flatMap { Int($0) } ?? 0
                    #expect(parts > 10, "\(r.stderr)")
                }
                outputs.append(try ["out", "r.json", "rej.jsonl"].map { try Data(contentsOf: URL(fileURLWithPath: dir + "/" + $0)) })
            }
            #expect(outputs[0] == outputs[1], "\(input)")
            let size = (input == "in.txt" ? text : jsonl).utf8.count
            #expect(outputs[0][0].count < size * 3 / 4)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp).isEmpty)
        // A folder that cannot be written: an error naming it, no output.
        let bad = try TokkiExecutable.run(["dedup", "--substring", "--max-memory", String(65_536 + 17 * 9000 / 4 + text.utf8.count * 9 / 8), "--temp-dir", dir + "/missing", "--input", dir + "/in.txt", "--output", dir + "/bad.txt"])
        #expect(bad.status != 0 && bad.stderr.contains(dir + "/missing") && !FileManager.default.fileExists(atPath: dir + "/bad.txt"), "\(bad.stderr)")
    }

    @Test func tokenMinimumMatchesTheReferenceFixtures() throws {
        // Expected kept lines from scripts/fixtures/make_substring_tokens.py (Hugging Face
        // tokenizers over the same tokenizer.json, the definition computed in Python).
        let dir = try Self.directory()
        defer { removeScratch(dir) }
        let input = Fixtures.url("cleaning/substring_tokens/input.txt").path
        let model = Fixtures.url("hf/metaspace_bpe.json").path
        for n in [4, 12, 30] {
            let expected = try Fixtures.data("cleaning/substring_tokens/kept_\(n).txt")
            for memory in [[String](), ["--max-memory", "120K", "--temp-dir", dir]] {
                let r = try TokkiExecutable.run(["dedup", "--substring", "--unit", "tokens", "--model", model, "--min-length", String(n),
                                                 "--input", input, "--report", dir + "/r.json"] + memory)
                #expect(r.status == 0, "\(r.stderr)")
                #expect(Data(r.text.utf8) == expected, "N \(n) \(memory)")
                #expect(memory.isEmpty != r.stderr.contains("on disk: "), "\(r.stderr)")
                let substrings = try #require(try Self.json(dir + "/r.json")["substrings"] as? [String: Any])
                #expect(substrings["min_length_tokens"] as? Int == n)
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("tokki-substring") }.isEmpty)
        #expect(try TokkiExecutable.run(["dedup", "--unit", "tokens", "--input", input]).status == 64)
        #expect(try TokkiExecutable.run(["dedup", "--substring", "--model", model, "--input", input]).status == 64)
    }
}
