import Foundation
import Testing
import TokkiTestSupport
@testable import Tokki

/// Model folders against what transformers' AutoTokenizer makes of them
/// (scripts/fixtures/make_model_folder_fixtures.py).
struct ModelFolderTests {
    static let folders = ["chatml-bytelevel", "jinja-unigram", "named-metaspace"]

    static func expected(_ name: String) throws -> TemplateObject {
        guard case .object(let root) = try TemplateValue.parseJSON([UInt8](Fixtures.data("folders/\(name).expected.json"))) else {
            throw TokkiError.invalidModel(path: name, problem: "malformed fixture")
        }
        return root
    }

    static func ints(_ v: TemplateValue?) -> [Int]? {
        guard case .array(let a)? = v else { return nil }
        return a.compactMap { if case .int(let i) = $0 { i } else { nil } }
    }

    @Test(arguments: folders)
    func specialTokensAndTemplatesLikeTransformers(_ name: String) throws {
        let folder = try ModelFolder(contentsOf: Fixtures.url("folders/\(name)").path)
        let root = try Self.expected(name)
        guard case .object(let special)? = root["special_tokens"], case .object(let templates)? = root["chat_templates"],
              case .array(let all)? = root["all_special_tokens"]
        else { Issue.record("malformed fixture"); return }
        var want: [String: ModelFolder.SpecialToken] = [:]
        for (k, v) in special.members {
            guard case .object(let t) = v, case .string(let content)? = t["content"], case .int(let id)? = t["id"] else { continue }
            want[k] = .init(content: content, id: id)
        }
        #expect(!want.isEmpty)
        #expect(folder.specialTokens == want, "\(name)")
        #expect(folder.allSpecialTokens == all.compactMap { if case .string(let s) = $0 { s } else { nil } })
        #expect(folder.allSpecialTokens.map { folder.tokenizer.id(for: $0) } == (Self.ints(root["all_special_ids"]) ?? []).map(Optional.some))
        var wantTemplates: [String: String] = [:]
        for (k, v) in templates.members { if case .string(let s) = v { wantTemplates[k] = s } }
        #expect(folder.chatTemplates == wantTemplates, "\(name)")
    }

    @Test(arguments: folders)
    func applyChatTemplateLikeTransformers(_ name: String) throws {
        let folder = try ModelFolder(contentsOf: Fixtures.url("folders/\(name)").path)
        let root = try Self.expected(name)
        guard case .array(let renders)? = root["renders"] else { Issue.record("malformed fixture"); return }
        #expect(renders.count >= 3)
        for case .object(let r) in renders {
            guard case .string(let caseName)? = r["name"], case .array(let messages)? = r["messages"],
                  case .bool(let agp)? = r["add_generation_prompt"], case .string(let text)? = r["text"],
                  let ids = Self.ints(r["ids"])
            else { Issue.record("malformed render"); continue }
            var templateName: String? = nil
            if case .string(let n)? = r["template_name"] { templateName = n }
            var tools: [TemplateValue]? = nil
            if case .array(let t)? = r["tools"] { tools = t }
            let template = try folder.chatTemplate(templateName, hasTools: tools != nil)
            let rendered = try folder.render(template, messages: messages, tools: tools, addGenerationPrompt: agp)
            #expect(rendered.text == text, "\(name) / \(caseName)")
            #expect(try folder.encodeChat(rendered.text) == ids, "\(name) / \(caseName)")
        }
    }

    @Test(arguments: folders)
    func loadTokenizerOnTheFolderEncodesLikeTransformers(_ name: String) throws {
        let tokenizer = try loadTokenizer(at: Fixtures.url("folders/\(name)").path)
        let root = try Self.expected(name)
        guard case .array(let encodings)? = root["encodings"] else { Issue.record("malformed fixture"); return }
        #expect(!encodings.isEmpty)
        for case .object(let e) in encodings {
            guard case .string(let text)? = e["text"], case .bool(let add)? = e["add_special_tokens"], let ids = Self.ints(e["ids"]) else {
                Issue.record("malformed encoding"); continue
            }
            #expect(try tokenizer.encodeIDs(text, options: EncodeOptions(addSpecialTokens: add)) == ids, "\(name) \(text) \(add)")
        }
    }

    @Test func templateNames() throws {
        let folder = try ModelFolder(contentsOf: Fixtures.url("folders/named-metaspace").path)
        #expect(try folder.chatTemplateName() == "default")
        #expect(try folder.chatTemplateName(hasTools: true) == "tool_use")
        #expect(try folder.chatTemplateName("solar", hasTools: true) == "solar")
        #expect(throws: TokkiError.self) { try folder.chatTemplateName("missing") }
        #expect(folder.chatTemplateFiles["solar"]?.hasSuffix("tokenizer_config.json") == true)
        let jinja = try ModelFolder(contentsOf: Fixtures.url("folders/jinja-unigram").path)
        #expect(jinja.chatTemplateFiles["default"]?.hasSuffix("chat_template.jinja") == true)
        #expect(jinja.chatTemplateFiles["exaone"]?.hasSuffix("additional_chat_templates/exaone.jinja") == true)
    }

    // MARK: bad folders

    /// A temporary folder with the given files (name → text); the test removes it.
    static func folder(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokki-folder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try removingScratchOnError(dir.path) {
            for (name, text) in files {
                let url = dir.appendingPathComponent(name)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: url)
            }
        }
        return dir.path
    }

    static func tokenizerJSON() throws -> String {
        try String(contentsOf: Fixtures.url("hf/metaspace_bpe.json"), encoding: .utf8)
    }

    static func error(_ body: () throws -> Void) -> TokkiError? {
        do { try body(); return nil } catch { return error as? TokkiError }
    }

    @Test func missingTokenizerFile() throws {
        let dir = try Self.folder(["tokenizer_config.json": "{}"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let e = Self.error { _ = try ModelFolder(contentsOf: dir) }
        guard case .io(let path, let reason)? = e else { Issue.record("expected an io error, got \(String(describing: e))"); return }
        #expect(path == dir && reason.contains("tokenizer.json"))
    }

    @Test(arguments: [
        ("tokenizer_config.json", "{\"chat_template\": 5}", "$.chat_template"),
        ("tokenizer_config.json", "{\"chat_template\": [{\"name\": \"default\"}]}", "template"),
        ("tokenizer_config.json", "{\"chat_template\": [\"x\"]}", "$.chat_template[0]"),
        ("tokenizer_config.json", "{\"eos_token\": 3}", "$.eos_token"),
        ("tokenizer_config.json", "{\"eos_token\": ", "byte"),
        ("special_tokens_map.json", "[1]", "expected an object"),
    ])
    func badConfigNamesTheFile(_ file: String, _ text: String, _ detail: String) throws {
        let dir = try Self.folder(["tokenizer.json": try Self.tokenizerJSON(), file: text])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for viaLoader in [false, true] {
            let e = Self.error {
                if viaLoader { _ = try loadTokenizer(at: dir) } else { _ = try ModelFolder(contentsOf: dir) }
            }
            guard case .invalidModel(let path, let problem)? = e else { Issue.record("expected invalidModel, got \(String(describing: e))"); continue }
            #expect(path == dir + "/" + file)
            #expect(problem.contains(detail), "\(problem)")
        }
    }

    @Test func templateSyntaxErrorNamesTheFile() throws {
        let dir = try Self.folder(["tokenizer.json": try Self.tokenizerJSON(), "chat_template.jinja": "{% if %}"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let folder = try ModelFolder(contentsOf: dir)
        let e = Self.error { _ = try folder.chatTemplate() }
        guard case .invalidModel(let path, let problem)? = e else { Issue.record("expected invalidModel, got \(String(describing: e))"); return }
        #expect(path == dir + "/chat_template.jinja" && problem.contains("syntax"))
    }

    @Test func noTemplate() throws {
        let dir = try Self.folder(["tokenizer.json": try Self.tokenizerJSON()])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let folder = try ModelFolder(contentsOf: dir)
        #expect(folder.chatTemplates.isEmpty && folder.specialTokens.isEmpty)
        #expect(throws: TokkiError.self) { try folder.chatTemplate() }
    }
}
