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
}
