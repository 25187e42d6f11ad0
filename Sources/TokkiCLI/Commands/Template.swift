import ArgumentParser
import Foundation
import Tokki

/// `tokki template`: render conversations with a chat template, one JSON line per input line.
struct TemplateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template",
        abstract: "Render JSONL conversations with a Hugging Face chat template.",
        discussion: """
        Renders as transformers' apply_chat_template(tokenize=False) does. Reads
        one JSON object per line, {"messages": [...]} with optional "tools", and
        writes exactly one line per input line: {"text": "..."}, or {"error":
        "..."} in that place when the line is not valid JSON or the template
        raises (the message and the line number also go to stderr). Exit status
        0 when every line rendered, 65 when any failed.

        Examples:
          echo '{"messages":[{"role":"user","content":"안녕하세요"}]}' \\
            | tokki template --template qwen2.5.jinja --add-generation-prompt
        """
    )

    @Option(help: "The chat template file (Jinja).")
    var template: String

    @Option(help: "Input JSONL file (default: stdin).")
    var input: String?

    @Flag(help: "End with the header of an assistant turn.")
    var addGenerationPrompt = false

    @Option(help: "The template's bos_token.")
    var bosToken: String?

    @Option(help: "The template's eos_token.")
    var eosToken: String?

    @OptionGroup var lineLimit: LineLimitOptions

    func run() throws {
        guard let data = FileManager.default.contents(atPath: template) else {
            throw fail(.noInput, "cannot read template \(template): check the path")
        }
        let chat: ChatTemplate
        do {
            chat = try ChatTemplate(String(decoding: data, as: UTF8.self))
        } catch {
            throw fail(.dataError, "\(template): \(error)")
        }
        var tokens: [String: String] = [:]
        if let bosToken { tokens["bos_token"] = bosToken }
        if let eosToken { tokens["eos_token"] = eosToken }
        var reader = try LineReader.open(input, maxLineBytes: lineLimit.maxLineBytes.value)
        var out = OutputWriter()
        var lineNumber = 0
        var failures = 0
        let source = reader.displayName
        let agp = addGenerationPrompt
        try reader.forEachLine { (line, _, _) throws(ExitCode) in
            lineNumber += 1
            var row: [UInt8] = []
            do throws(ChatTemplateError) {
                let value: TemplateValue
                do {
                    value = try TemplateValue.parseJSON(Array(line))
                } catch {
                    throw ChatTemplateError.type("invalid JSON: \(error)")
                }
                guard case .object(let record) = value, case .array(let messages)? = record["messages"] else {
                    throw ChatTemplateError.type("expected an object with a \"messages\" list")
                }
                var tools: [TemplateValue]? = nil
                if case .array(let t)? = record["tools"] { tools = t }
                let rendered = try chat.render(messages: messages, tools: tools, addGenerationPrompt: agp, specialTokens: tokens)
                row += Array("{\"text\":".utf8)
                JSONText.appendString(rendered.text, to: &row)
            } catch {
                failures += 1
                printError("\(source):\(lineNumber): \(error)")
                row += Array("{\"error\":".utf8)
                JSONText.appendString(error.message, to: &row)
            }
            row += Array("}\n".utf8)
            try out.write(row)
        }
        try out.flush()
        if failures > 0 { throw ExitCode(ExitStatus.dataError.rawValue) }
    }
}
