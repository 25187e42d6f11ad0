import Foundation
import Testing
import TokkiTestSupport
@testable import Tokki

@Suite("tokki template")
struct TemplateCommandTests {
    /// One output line per input line; errors in place, on stderr with the line number, and exit 65.
    @Test func oneLinePerInputLine() throws {
        let template = Fixtures.url("templates/mistral-nemo-instruct-2407.jinja").path
        // The expected text of the fixture's "single-user" case (rendered by transformers).
        let expected = try TemplateValue.parseJSON([UInt8](Fixtures.data("templates/mistral-nemo-instruct-2407.expected.json")))
        guard case .object(let root) = expected, case .array(let cases)? = root["cases"],
              case .object(let single)? = cases.first, case .string(let text)? = single["text"],
              case .object(let tokens)? = root["special_tokens"], case .string(let bos)? = tokens["bos_token"]
        else { Issue.record("malformed fixture"); return }
        let input = """
        {"messages":[{"role":"user","content":"Hello!"}]}
        not json
        {"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]}
        {"messages":[{"role":"user","content":"Hello!"}]}

        """
        let r = try TokkiExecutable.run(["template", "--template", template, "--add-generation-prompt", "--bos-token", bos],
                                        stdin: Data(input.utf8))
        #expect(r.status == 65)
        let lines = r.text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 5 && lines[4].isEmpty)
        var want: [UInt8] = Array("{\"text\":".utf8)
        JSONText.appendString(text, to: &want)
        want += Array("}".utf8)
        #expect(lines.count > 3 && Array(lines[0].utf8) == want && Array(lines[3].utf8) == want)
        #expect(lines.count > 2 && lines[1].hasPrefix("{\"error\":"))
        #expect(lines.count > 2 && lines[2] == "{\"error\":\"After the optional system message, conversation roles must alternate user/assistant/user/assistant/...\"}")
        #expect(r.stderr.contains(":2: "))
        #expect(r.stderr.contains(":3: template raised: After the optional system message"))
    }

    @Test func allRenderedExitsZero() throws {
        let template = Fixtures.url("templates/smollm2-chatml.jinja").path
        let r = try TokkiExecutable.run(["template", "--template", template], stdin: Data("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}\n".utf8))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.text.hasPrefix("{\"text\":") && r.text.hasSuffix("}\n"))
    }

    /// CRLF line ends are line ends; a blank line or invalid JSON is an error in its place
    /// (named with its byte offset, without the internal "model:" prefix); a template file
    /// that is not UTF-8 is refused with the byte offset, not repaired.
    @Test func crlfBlankLinesAndBadFiles() throws {
        let template = Fixtures.url("templates/smollm2-chatml.jinja").path
        let good = "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"
        let r = try TokkiExecutable.run(["template", "--template", template], stdin: Data((good + "\r\n\r\n" + good + "\r\n").utf8))
        #expect(r.status == 65)
        let lines = r.text.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.count == 3 && lines[0] == lines[2] && lines[0].hasPrefix("{\"text\":") && !lines[0].contains("\\r"))
        #expect(lines.count == 3 && lines[1] == "{\"error\":\"invalid JSON at byte offset 0 (line 1, column 1): unexpected end of input\"}")
        #expect(r.stderr.contains(":2: invalid JSON at byte offset 0"), "\(r.stderr)")

        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("tokki-bad-\(UUID().uuidString).jinja")
        defer { try? FileManager.default.removeItem(at: bad) }
        try Data([0x61, 0x62, 0xFF, 0x7B, 0x7B, 0x20, 0x78, 0x20, 0x7D, 0x7D]).write(to: bad)
        let b = try TokkiExecutable.run(["template", "--template", bad.path], stdin: Data((good + "\n").utf8))
        #expect(b.status == 65)
        #expect(b.stderr.contains("invalid UTF-8 at byte offset 2"), "\(b.stderr)")
        #expect(b.text.isEmpty)
    }
}
