import Foundation

/// A Hugging Face model folder loaded as one object — what
/// `AutoTokenizer.from_pretrained(local_dir)` gives a Python user: the tokenizer, the named
/// special tokens (text and id) and the chat template(s).
///
/// ```swift
/// let folder = try ModelFolder(contentsOf: "models/exaone-3.5")
/// folder.specialTokens["eos_token"]?.id          // the EOS id
/// let template = try folder.chatTemplate()        // "default", as transformers picks it
/// let chat = try folder.render(template, messages: [["role": "user", "content": "안녕"]],
///                              addGenerationPrompt: true)
/// let ids = try folder.encodeChat(chat.text)      // apply_chat_template(tokenize=True)
/// ```
///
/// The folder is read as transformers 5 reads it:
/// - the tokenizer is `tokenizer.json` (a folder without one falls back to the other files of
///   ``TokenizerLoader/folderFileNames``, e.g. `tokenizer.model`; transformers' own conversion of
///   those is not reproduced);
/// - `tokenizer_config.json` (optional) gives `bos_token`, `eos_token`, `unk_token`, `sep_token`,
///   `pad_token`, `cls_token`, `mask_token` (strings or AddedToken objects `{"content": …}`) and
///   `chat_template` (a string, or a list of `{"name", "template"}`);
/// - `special_tokens_map.json` is read only when `tokenizer_config.json` has no
///   `added_tokens_decoder`, and then its values win;
/// - `chat_template.jinja` (the template named `default`) and `additional_chat_templates/*.jinja`
///   (named after the file), when present, replace `tokenizer_config.json`'s `chat_template`;
/// - `chat_template.json` is a processor file `AutoTokenizer` does not read, and neither does this;
/// - `add_bos_token` / `add_eos_token` are ignored when there is a `tokenizer.json` (its
///   post-processor decides), as transformers ignores them.
public struct ModelFolder: Sendable {
    /// A named special token: its text and its id (nil when the vocabulary lacks it).
    public struct SpecialToken: Sendable, Hashable {
        /// The token's text.
        public var content: String
        /// The token's id in the folder's tokenizer, or nil when it has no such token.
        public var id: Int?

        /// A token with its text and id.
        public init(content: String, id: Int?) {
            self.content = content
            self.id = id
        }
    }

    /// The special-token attributes transformers knows, in its order
    /// (`SPECIAL_TOKENS_ATTRIBUTES`); a chat template sees each that is set as a variable.
    public static let specialTokenNames = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token",
                                           "cls_token", "mask_token"]

    /// The folder.
    public let path: String
    /// The tokenizer file that was loaded (normally `tokenizer.json`).
    public let tokenizerFile: String
    /// The folder's tokenizer.
    public let tokenizer: any Tokenizer
    /// The named special tokens that are set, by attribute name (`"bos_token"`, …).
    public let specialTokens: [String: SpecialToken]
    /// Further special tokens (`extra_special_tokens` / `additional_special_tokens`).
    public let extraSpecialTokens: [String]
    /// The chat templates by name; a single template is named `default`.
    public let chatTemplates: [String: String]
    /// The file each chat template was read from, by name.
    public let chatTemplateFiles: [String: String]

    /// Loads the model folder at `path`.
    ///
    /// - Throws: ``TokkiError/io(path:reason:)`` when `path` is not a folder or holds no tokenizer
    ///   file; ``TokkiError/invalidModel(path:problem:)`` naming the file for malformed JSON or a
    ///   value of the wrong type (a `chat_template` that is neither a string nor a list of named
    ///   templates, a token that is not a string); the tokenizer's own loading errors.
    public init(contentsOf path: String, options: TokenizerLoadOptions = TokenizerLoadOptions()) throws(TokkiError) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw .io(path: path, reason: "no such folder")
        }
        guard isFolder.boolValue else { throw .io(path: path, reason: "not a folder (a model folder holds tokenizer.json)") }
        let folder = URL(fileURLWithPath: path)
        let file = { (name: String) in folder.appendingPathComponent(name).path }
        let exists = { (name: String) in FileManager.default.fileExists(atPath: file(name)) }

        self.path = path
        tokenizerFile = try TokenizerLoader.resolve(path)
        tokenizer = try loadTokenizer(file: tokenizerFile, options: options)

        var config = TokenizerConfig()
        var templateFiles: [String: String] = [:]
        if exists("tokenizer_config.json") {
            let configFile = file("tokenizer_config.json")
            config = try TokenizerConfig.parse(try readFileBytes(configFile), path: configFile)
            for t in config.chatTemplates { templateFiles[t.name] = configFile }
        }
        if !config.hasAddedTokensDecoder, exists("special_tokens_map.json") {
            let mapFile = file("special_tokens_map.json")
            try config.merge(specialTokensMap: try readFileBytes(mapFile), path: mapFile)
        }

        // chat_template.jinja and additional_chat_templates/*.jinja take priority.
        var fileTemplates: [(name: String, source: String)] = []
        var fileTemplateFiles: [String: String] = [:]
        if exists("chat_template.jinja") {
            let f = file("chat_template.jinja")
            fileTemplates.append(("default", try ModelFolder.text(f)))
            fileTemplateFiles["default"] = f
        }
        let extraDir = file("additional_chat_templates")
        if let names = try? FileManager.default.contentsOfDirectory(atPath: extraDir) {
            for name in names.sorted() where name.hasSuffix(".jinja") {
                let f = extraDir + "/" + name
                let templateName = String(name.dropLast(".jinja".count))
                fileTemplates.removeAll { $0.name == templateName }
                fileTemplates.append((templateName, try ModelFolder.text(f)))
                fileTemplateFiles[templateName] = f
            }
        }
        let templates = fileTemplates.isEmpty ? config.chatTemplates : fileTemplates
        chatTemplates = Dictionary(templates.map { ($0.name, $0.source) }, uniquingKeysWith: { _, new in new })
        chatTemplateFiles = fileTemplates.isEmpty ? templateFiles : fileTemplateFiles

        var special: [String: SpecialToken] = [:]
        for (name, value) in config.specialTokens {
            guard let content = value else { continue }
            special[name] = SpecialToken(content: content, id: tokenizer.id(for: content))
        }
        specialTokens = special
        extraSpecialTokens = config.extraSpecialTokens
    }

    /// The beginning-of-sequence token, if set.
    public var bos: SpecialToken? { specialTokens["bos_token"] }
    /// The end-of-sequence token, if set.
    public var eos: SpecialToken? { specialTokens["eos_token"] }
    /// The padding token, if set.
    public var pad: SpecialToken? { specialTokens["pad_token"] }
    /// The unknown token, if set.
    public var unk: SpecialToken? { specialTokens["unk_token"] }

    /// The special tokens' texts as a chat template sees them (`bos_token` → `"<s>"`, …), as
    /// transformers' `special_tokens_map`.
    public var templateVariables: [String: String] { specialTokens.mapValues(\.content) }

    /// All special tokens' texts, without repeats: the named ones in attribute order, then the
    /// extra ones (transformers' `all_special_tokens`).
    public var allSpecialTokens: [String] {
        var seen = Set<String>(), out: [String] = []
        for name in Self.specialTokenNames {
            if let t = specialTokens[name], seen.insert(t.content).inserted { out.append(t.content) }
        }
        for t in extraSpecialTokens where seen.insert(t).inserted { out.append(t) }
        return out
    }

    /// The name of the template transformers' `get_chat_template` picks: `name` when given; for
    /// several templates `tool_use` when the conversation has tools and there is one, else
    /// `default`.
    ///
    /// - Throws: ``TokkiError/invalidConfiguration(_:)`` when the folder has no chat template, no
    ///   template named `name`, or several templates and none named `default`.
    public func chatTemplateName(_ name: String? = nil, hasTools: Bool = false) throws(TokkiError) -> String {
        let available = chatTemplates.keys.sorted().joined(separator: ", ")
        if chatTemplates.isEmpty {
            throw .invalidConfiguration("\(path) has no chat template (looked in tokenizer_config.json, chat_template.jinja and additional_chat_templates/)")
        }
        if let name {
            guard chatTemplates[name] != nil else {
                throw .invalidConfiguration("\(path) has no chat template named '\(name)' (it has: \(available))")
            }
            return name
        }
        if chatTemplates.count > 1, hasTools, chatTemplates["tool_use"] != nil { return "tool_use" }
        guard chatTemplates["default"] != nil else {
            throw .invalidConfiguration("\(path) has several chat templates and none named 'default': name one (\(available))")
        }
        return "default"
    }

    /// The chat template named `name` (see ``chatTemplateName(_:hasTools:)``), parsed.
    ///
    /// - Throws: ``TokkiError/invalidConfiguration(_:)`` as ``chatTemplateName(_:hasTools:)``;
    ///   ``TokkiError/invalidModel(path:problem:)`` naming the file when the template is not valid Jinja.
    public func chatTemplate(_ name: String? = nil, hasTools: Bool = false) throws(TokkiError) -> ChatTemplate {
        let chosen = try chatTemplateName(name, hasTools: hasTools)
        let source = chatTemplates[chosen] ?? ""
        do {
            return try ChatTemplate(source)
        } catch {
            throw .invalidModel(path: chatTemplateFiles[chosen] ?? path, problem: "chat template '\(chosen)': \(error)")
        }
    }

    /// Renders a conversation with `template` and this folder's special tokens as variables, as
    /// `apply_chat_template(..., tokenize=False)` does (`extra` overrides the special tokens).
    ///
    /// - Throws: the template's ``ChatTemplateError``.
    public func render(_ template: ChatTemplate, messages: [TemplateValue], tools: [TemplateValue]? = nil,
                       documents: [TemplateValue]? = nil, addGenerationPrompt: Bool = false,
                       extra: TemplateObject = [:], clock: ChatTemplate.Clock = .now) throws(ChatTemplateError) -> ChatTemplate.Rendered {
        try template.render(messages: messages, tools: tools, documents: documents, addGenerationPrompt: addGenerationPrompt,
                            specialTokens: templateVariables, extra: extra, clock: clock)
    }

    /// The ids of a rendered conversation, as `apply_chat_template(..., tokenize=True)` gives
    /// them: the text encoded without adding special tokens (the template writes its own).
    public func encodeChat(_ text: String) throws(TokkiError) -> [Int] {
        try tokenizer.encodeIDs(text, options: EncodeOptions())
    }

    /// Whether `path` is a folder (a model folder, for ``loadTokenizer(at:options:)``).
    static func isFolder(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
    }

    /// A template file's text (invalid UTF-8 is an error naming the file).
    private static func text(_ file: String) throws(TokkiError) -> String {
        let bytes = try readFileBytes(file)
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw .invalidModel(path: file, problem: "not valid UTF-8")
        }
        return s
    }
}
