import Foundation
import Testing
import TokkiTestSupport
@testable import Tokki

/// `--model DIR` with a Hugging Face model folder, against transformers' output
/// (scripts/fixtures/make_model_folder_fixtures.py).
@Suite("--model DIR")
struct ModelFolderCommandTests {
    static func expected(_ name: String) throws -> TemplateObject? {
        guard case .object(let root) = try TemplateValue.parseJSON([UInt8](Fixtures.data("folders/\(name).expected.json"))) else { return nil }
        return root
    }

    @Test func encodeWithAFolder() throws {
        let dir = Fixtures.url("folders/jinja-unigram").path
        guard let root = try Self.expected("jinja-unigram"), case .array(let encodings)? = root["encodings"] else {
            Issue.record("malformed fixture"); return
        }
        var checked = 0
        for case .object(let e) in encodings {
            guard case .string(let text)? = e["text"], case .bool(let add)? = e["add_special_tokens"], case .array(let ids)? = e["ids"] else { continue }
            let want = ids.compactMap { if case .int(let i) = $0 { String(i) } else { nil } }.joined(separator: " ")
            let r = try TokkiExecutable.run(["encode", "--model", dir] + (add ? ["--add-special-tokens"] : []), stdin: Data((text + "\n").utf8))
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.text == want + "\n", "\(text) \(add)")
            checked += 1
        }
        #expect(checked == 4)
    }

    @Test func templateWithAFolder() throws {
        let dir = Fixtures.url("folders/named-metaspace").path
        guard let root = try Self.expected("named-metaspace"), case .array(let renders)? = root["renders"] else {
            Issue.record("malformed fixture"); return
        }
        var checked = 0
        for case .object(let r) in renders {
            guard case .array(let messages)? = r["messages"], case .string(let text)? = r["text"], case .bool(let agp)? = r["add_generation_prompt"] else { continue }
            // The conversations, one JSON line each, written by the same script.
            let lines = try String(contentsOf: Fixtures.url("folders/named-metaspace.conversations.jsonl"), encoding: .utf8)
                .split(separator: "\n")
            guard checked < lines.count else { Issue.record("conversations.jsonl too short"); return }
            #expect(!messages.isEmpty)
            var args = ["template", "--model", dir]
            if case .string(let name)? = r["template_name"] { args += ["--template-name", name] }
            if agp { args.append("--add-generation-prompt") }
            let r2 = try TokkiExecutable.run(args, stdin: Data((lines[checked] + "\n").utf8))
            #expect(r2.status == 0, "\(r2.stderr)")
            var want: [UInt8] = Array("{\"text\":".utf8)
            JSONText.appendString(text, to: &want)
            want += Array("}\n".utf8)
            #expect(Array(r2.text.utf8) == want)
            checked += 1
        }
        #expect(checked == 4)
    }

    @Test func templateOptionsConflict() throws {
        let dir = Fixtures.url("folders/named-metaspace").path
        let both = try TokkiExecutable.run(["template", "--model", dir, "--template", dir + "/tokenizer.json"], stdin: Data())
        #expect(both.status == 64)
        let neither = try TokkiExecutable.run(["template"], stdin: Data())
        #expect(neither.status == 64)
        let unknown = try TokkiExecutable.run(["template", "--model", dir, "--template-name", "nope"], stdin: Data())
        #expect(unknown.status == 64 && unknown.stderr.contains("nope"))
    }

    @Test func badFolderNamesTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokki-badfolder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixtures.data("hf/metaspace_bpe.json").write(to: dir.appendingPathComponent("tokenizer.json"))
        try Data("{\"chat_template\": {\"x\": 1}}".utf8).write(to: dir.appendingPathComponent("tokenizer_config.json"))
        for args in [["encode", "--model", dir.path], ["template", "--model", dir.path]] {
            let r = try TokkiExecutable.run(args, stdin: Data("x\n".utf8))
            #expect(r.status == 65, "\(args)")
            #expect(r.stderr.contains("tokenizer_config.json") && r.stderr.contains("chat_template"))
        }
    }

    @Test func inspectAFolder() throws {
        let r = try TokkiExecutable.run(["inspect", Fixtures.url("folders/jinja-unigram").path])
        #expect(r.status == 0)
        #expect(r.text.contains("eos_token=\"</s>\" (id 1)"))
        #expect(r.text.contains("default (chat_template.jinja"))
    }
}
