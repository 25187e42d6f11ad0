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

        With --model DIR (a Hugging Face model folder) the folder's chat template
        is used, with its special tokens (bos_token, eos_token, ...) as variables;
        --template-name picks one of several named templates.

        Examples:
          echo '{"messages":[{"role":"user","content":"안녕하세요"}]}' \\
            | tokki template --template qwen2.5.jinja --add-generation-prompt
          tokki template --model models/exaone --input chats.jsonl
        """
    )

    @Option(help: "The chat template file (Jinja).")
    var template: String?

    @Option(help: ArgumentHelp("A model folder: use its chat template and special tokens.", valueName: "DIR"))
    var model: String?

    @Option(help: ArgumentHelp("With --model: the named chat template to use.", valueName: "NAME"))
    var templateName: String?

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
        let source = try templateSource()
        var tokens = source.tokens
        if let bosToken { tokens["bos_token"] = bosToken }
        if let eosToken { tokens["eos_token"] = eosToken }
        var reader = try LineReader.open(input, maxLineBytes: lineLimit.maxLineBytes.value)
        var out = OutputWriter()
        var lineNumber = 0
        var failures = 0
        let inputName = reader.displayName
        var parsed: [String: ChatTemplate] = [:]
        let agp = addGenerationPrompt
        try reader.forEachLine { (line, _, _) throws(ExitCode) in
            lineNumber += 1
            var row: [UInt8] = []
            /// A line that failed: `message` in its place, `diagnostic` on stderr with the line number.
            func reject(_ message: String, diagnostic: String) {
                failures += 1
                printError("\(inputName):\(lineNumber): \(diagnostic)")
                row += Array("{\"error\":".utf8)
                JSONText.appendString(message, to: &row)
            }
            let value: TemplateValue
            do {
                value = try TemplateValue.parseJSON(Array(line))
            } catch {
                var problem = "\(error)"
                if problem.hasPrefix("model: ") { problem.removeFirst("model: ".count) }
                reject(problem, diagnostic: problem)
                row += Array("}\n".utf8)
                try out.write(row)
                return
            }
            do throws(ChatTemplateError) {
                guard case .object(let record) = value, case .array(let messages)? = record["messages"] else {
                    throw ChatTemplateError.type("expected an object with a \"messages\" list")
                }
                var tools: [TemplateValue]? = nil
                if case .array(let t)? = record["tools"] { tools = t }
                let chat: ChatTemplate
                switch source.templates {
                case .one(let t): chat = t
                case .folder(let folder):
                    let name: String
                    do throws(TokkiError) { name = try folder.chatTemplateName(templateName, hasTools: tools != nil) } catch { throw .type(error.description) }
                    if let t = parsed[name] {
                        chat = t
                    } else {
                        do throws(TokkiError) { chat = try folder.chatTemplate(name) } catch { throw .type(error.description) }
                        parsed[name] = chat
                    }
                }
                let rendered = try chat.render(messages: messages, tools: tools, addGenerationPrompt: agp, specialTokens: tokens)
                row += Array("{\"text\":".utf8)
                JSONText.appendString(rendered.text, to: &row)
            } catch {
                reject(error.message, diagnostic: error.description)
            }
            row += Array("}\n".utf8)
            try out.write(row)
        }
        try out.flush()
        if failures > 0 { throw ExitCode(ExitStatus.dataError.rawValue) }
    }
}

extension TemplateCommand {
    /// A template file, or a model folder whose template is picked per conversation.
    enum Templates {
        case one(ChatTemplate)
        case folder(ModelFolder)
    }

    /// The templates and the special tokens they see, from --template or --model.
    func templateSource() throws(ExitCode) -> (templates: Templates, tokens: [String: String]) {
        switch (template, model) {
        case (nil, nil):
            throw fail(.usage, "give the chat template: --template FILE, or --model DIR for a model folder's")
        case (.some, .some):
            throw fail(.usage, "--template and --model both give a chat template: give one")
        case (.some(let template), nil):
            if templateName != nil { throw fail(.usage, "--template-name picks a template of a --model folder") }
            guard let data = FileManager.default.contents(atPath: template) else {
                throw fail(.noInput, "cannot read template \(template): check the path")
            }
            // A template file that is not UTF-8 is refused, not repaired.
            guard let text = String(validating: [UInt8](data), as: UTF8.self) else {
                let bad = UTF8Validation.firstInvalidOffset(in: [UInt8](data)) ?? 0
                throw fail(.dataError, "\(template): invalid UTF-8 at byte offset \(bad)")
            }
            do {
                return (.one(try ChatTemplate(text)), [:])
            } catch {
                throw fail(.dataError, "\(template): \(error)")
            }
        case (nil, .some(let model)):
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: model, isDirectory: &isFolder) else {
                throw fail(.noInput, "model folder '\(model)' does not exist")
            }
            guard isFolder.boolValue else {
                throw fail(.usage, "--model \(model): a model folder is needed (its tokenizer_config.json holds the chat template); for a template file use --template")
            }
            let folder: ModelFolder
            do {
                folder = try ModelFolder(contentsOf: model, options: TokenizerLoadOptions(decodeOnly: true, cache: ModelCache.fromEnvironment()))
                // Fail early on a missing or broken template (named, or the default).
                if templateName != nil || folder.chatTemplates["tool_use"] == nil || folder.chatTemplates["default"] != nil {
                    _ = try folder.chatTemplate(templateName)
                }
            } catch {
                throw fail(error)
            }
            return (.folder(folder), folder.templateVariables)
        }
    }
}
