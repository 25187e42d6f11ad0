import Foundation
import Testing
import TokkiTestSupport

@Suite("tokki scrub")
struct ScrubCommandTests {
    static func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "tokki-scrub-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
    static func read(_ path: String) throws -> String { String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self) }
    static func json(_ path: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    @Test func plainTextLinesAreScrubbedAndCounted() throws {
        let dir = try Self.directory()
        defer { removeScratch(dir) }
        var input = Data("원고 홍길동(800101-1234567)은 010-1234-5678로 연락하였다.\n".utf8)
        input += Data("민법 제750조, 대법원 2019다12345 판결, 2020. 3. 14. 선고, 1,000,000원\n".utf8)
        input += Data("\n".utf8)                                                  // blank: copied
        input += Data("메일 hong@example.com, 국민은행 123456-01-234567\r\n".utf8)   // CRLF kept
        input += Data([0xFF, 0x0A])                                               // invalid UTF-8: left out
        input += Data("접속 IP 192.168.0.1\n".utf8)
        try input.write(to: URL(fileURLWithPath: dir + "/in.txt"))
        let r = try TokkiExecutable.run(["scrub", "--input", dir + "/in.txt", "--output", dir + "/out.txt", "--report", dir + "/r.json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Self.read(dir + "/out.txt") == """
            원고 홍길동(<|rrn|>)은 <|phone|>로 연락하였다.
            민법 제750조, 대법원 2019다12345 판결, 2020. 3. 14. 선고, 1,000,000원

            메일 <|email|>, 국민은행 <|account|>\r
            접속 IP <|ip|>

            """)
        #expect(r.stderr.contains("5 replacements"), "\(r.stderr)")
        let report = try Self.json(dir + "/r.json")
        #expect(report["command"] as? String == "scrub")
        #expect(report["documents"] as? Int == 6 && report["written"] as? Int == 5 && report["changed"] as? Int == 3)
        #expect(report["removed_by_rule"] as? [String: Int] == ["invalid_utf8": 1])
        #expect(report["replacements"] as? [String: Int] == ["rrn": 1, "phone": 1, "email": 1, "card": 0, "account": 1, "ip": 1, "total": 5])
        // --strict stops at the invalid line and writes nothing.
        let strict = try TokkiExecutable.run(["scrub", "--input", dir + "/in.txt", "--output", dir + "/strict.txt", "--strict"])
        #expect(strict.status == 65 && strict.stderr.contains("line 5"), "\(strict.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/strict.txt"))
    }

    @Test func jsonlRecordsChangeOnlyInTheTextField() throws {
        let lines = [
            #"{"id": 1, "text": "전화 010-1234-5678 \"인용\"", "meta": {"phone": "010-1234-5678"}}"#,
            #"{"id":2,"text":"\u00e9 제750조 \/ 그대로"}"#,     // nothing to replace: byte for byte
            #"{"id":3,"body":"010-1234-5678"}"#,                // missing field: left out
            #"{"id":4,"text":"a@b.kr"#,                         // invalid JSON: left out
            #"{"text":"카드\t4111-1111-1111-1111","id":5}"#,
        ]
        let r = try TokkiExecutable.run(["scrub", "--text-field", "text", "--quiet"], stdin: Data((lines.joined(separator: "\n") + "\n").utf8))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.text == [
            #"{"id": 1, "text": "전화 <|phone|> \"인용\"", "meta": {"phone": "010-1234-5678"}}"#,
            #"{"id":2,"text":"\u00e9 제750조 \/ 그대로"}"#,
            #"{"text":"카드\t<|card|>","id":5}"#,
        ].joined(separator: "\n") + "\n")
        let strict = try TokkiExecutable.run(["scrub", "--text-field", "text", "--strict"], stdin: Data((lines.joined(separator: "\n") + "\n").utf8))
        #expect(strict.status == 65 && strict.stderr.contains("line 3") && strict.stderr.contains("'text'"), "\(strict.stderr)")
    }

    @Test func kindsPlaceholderAndShow() throws {
        let text = Data("전화 010-1234-5678, 메일 a@b.kr, 주민 800101-1234567\n".utf8)
        let kinds = try TokkiExecutable.run(["scrub", "--kinds", "phone,email", "--placeholder", "[{KIND}]", "--quiet"], stdin: text)
        #expect(kinds.status == 0, "\(kinds.stderr)")
        #expect(kinds.text == "전화 [PHONE], 메일 [EMAIL], 주민 800101-1234567\n")
        let show = try TokkiExecutable.run(["scrub", "--show", "--quiet"], stdin: text)
        #expect(show.text == "<stdin>:1: phone: 010-1234-5678\n<stdin>:1: email: a@b.kr\n<stdin>:1: rrn: 800101-1234567\n", "\(show.text)")
        #expect(try TokkiExecutable.run(["scrub", "--kinds", "phone,passport"], stdin: text).status == 64)
        #expect(try TokkiExecutable.run(["scrub", "--placeholder", "PHONE"], stdin: text).status == 64)
        #expect(try TokkiExecutable.run(["scrub", "--placeholder", "[P1]"], stdin: text).status == 64)
    }

    @Test func outputIsTheSameForAnyThreadCountAndReportedPerInput() throws {
        let dir = try Self.directory()
        defer { removeScratch(dir) }
        // More than one batch (4096 records) per input.
        var a = "", b = ""
        for k in 0..<6000 {
            a += k % 7 == 0 ? "줄 \(k): 010-\(1000 + k % 9000)-\(2000 + k % 7000)\n" : "줄 \(k): 제\(k)조 2020. 3. 14.\n"
            b += k % 11 == 0 ? "user\(k)@example.com\n" : "\n"
        }
        try Data(a.utf8).write(to: URL(fileURLWithPath: dir + "/a.txt"))
        try Data(b.utf8).write(to: URL(fileURLWithPath: dir + "/b.txt"))
        var outputs: [String] = []
        for threads in ["1", "3"] {
            let r = try TokkiExecutable.run(["scrub", "--input", dir + "/a.txt", "--input", dir + "/b.txt", "--threads", threads,
                                             "--output", dir + "/out\(threads).txt", "--report", dir + "/r\(threads).json", "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
            outputs.append(try Self.read(dir + "/out\(threads).txt"))
        }
        #expect(outputs[0] == outputs[1])
        let lines = outputs[0].split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 12001)
        #expect(lines[7] == "줄 7: <|phone|>" && lines[8] == "줄 8: 제8조 2020. 3. 14." && lines[6011] == "<|email|>")
        let report = try Self.json(dir + "/r3.json")
        let byInput = try #require(report["by_input"] as? [[String: Any]])
        #expect(byInput.map { $0["input"] as? String } == [dir + "/a.txt", dir + "/b.txt"])
        #expect((byInput[0]["replacements"] as? [String: Int])?["phone"] == 858)    // 0, 7, …, 5999
        #expect((byInput[1]["replacements"] as? [String: Int])?["email"] == 546)    // 0, 11, …, 5995
        #expect(byInput.map { $0["documents"] as? Int } == [6000, 6000])
    }
}
