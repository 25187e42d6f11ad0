import Foundation
import Testing
import TokkiTestSupport
@testable import Tokki

/// The `tokki-flan/1` template-set format: parsing, placeholders, errors, and the shipped
/// Korean legal set.
@Suite("Instruction template sets")
struct InstructionTemplateSetTests {
    /// A small valid set: one task with options and a custom exemplar layout.
    static let small = """
    {
      "format": "tokki-flan/1",
      "name": "tiny",
      "_comment": "ignored",
      "tasks": {
        "pick": {
          "description": "고르기",
          "fields": ["question", "choices", "answer"],
          "options": {"field": "choices", "prefix": "선택지:\\n", "item": "{n}. {option}", "separator": "\\n"},
          "few_shot": {"exemplar": "Q: {input}\\nA: {target}\\n", "separator": "---\\n", "prefix": "예시\\n"},
          "templates": [
            {"id": "z1", "kind": "zero-shot", "input": "{question}\\n{options_}", "target": "{answer}"},
            {"id": "f1", "kind": "few-shot", "input": "{{질문}} {question}", "target": "{answer}"},
            {"id": "i1", "kind": "inverted", "input": "답이 {answer}인 질문", "target": "{question}\\n{options_}"}
          ]
        }
      }
    }
    """

    static func parse(_ text: String) throws(InstructionTemplateError) -> InstructionTemplateSet {
        try InstructionTemplateSet(json: Array(text.utf8), source: "t.json")
    }

    @Test func parsesTasksTemplatesOptionsAndLayout() throws {
        let set = try Self.parse(Self.small)
        #expect(set.name == "tiny")
        #expect(set.taskNames == ["pick"])
        let task = try #require(set.task("pick"))
        #expect(task.fields == ["question", "choices", "answer"])
        #expect(task.templates.map(\.id) == ["z1", "f1", "i1"])
        #expect(task.templates.map(\.kind) == [.zeroShot, .fewShot, .inverted])
        #expect(task.templates.map(\.line) == [12, 13, 14])
        #expect(task.templates(of: [.fewShot, .inverted]).map(\.id) == ["f1", "i1"])
        let options = try #require(task.options)
        #expect(options.render(["가", "나"]) == "선택지:\n1. 가\n2. 나")
        #expect(task.fewShot == FewShotLayout(prefix: "예시\n", beforeInput: "Q: ", beforeTarget: "\nA: ", afterTarget: "\n", separator: "---\n"))
        #expect(try task.templates[1].input.render { $0 == "question" ? "Q" : nil } == "{질문} Q")
    }

    @Test func defaultsOfOptionsAndLayout() throws {
        let set = try Self.parse("""
        {"format": "tokki-flan/1", "tasks": {"t": {"fields": ["a", "opts"], "options": {"field": "opts"},
          "templates": [{"id": "x", "kind": "few-shot", "input": "{a} {options_}", "target": "{a}"}]}}}
        """)
        let task = try #require(set.task("t"))
        #expect(task.options?.render(["p", "q"]) == "OPTIONS:\n- p\n- q")
        #expect(task.fewShot == .standard)
        #expect(task.fewShot.exemplar(input: "I", target: "T") == "I\nT")
    }

    @Test func placeholderSyntax() throws {
        let text = try PlaceholderText("{law} 제{article}조 {{원문}} {law}")
        #expect(text.placeholders == ["law", "article"])
        #expect(try text.render { ["law": "민법", "article": "750"][$0] } == "민법 제750조 {원문} 민법")
        #expect(throws: PlaceholderText.MissingValue(name: "article")) { try text.render { $0 == "law" ? "x" : nil } }
        for (bad, position) in [("a { b", 2), ("a } b", 2), ("{}", 0), ("{a b}", 0), ("x{1a}", 1), ("{a{b}}", 0), ("{a", 0)] {
            #expect(throws: PlaceholderText.SyntaxError.self, "\(bad)") { try PlaceholderText(bad) }
            do { _ = try PlaceholderText(bad) } catch { #expect(error.position == position, "\(bad)") }
        }
    }

    /// Each malformed file fails with a message naming the file, the line, the task and the
    /// template where it can.
    @Test(arguments: [
        (#"{"format": "tokki-flan/2", "tasks": {}}"#, ["t.json:1:", "\"tokki-flan/2\" is not supported"]),
        (#"{"tasks": {}}"#, ["t.json:1:", "missing \"format\""]),
        (#"{"format": "tokki-flan/1", "tasks": {}}"#, ["\"tasks\" is empty"]),
        ("{\"format\": \"tokki-flan/1\",\n \"tasks\": {\"t\": {\"templates\": []}}}", ["t.json:2:", "task 't'", "missing \"fields\""]),
        ("{\"format\": \"tokki-flan/1\", \"tasks\": {\"t\": {\"fields\": \"a\",\n \"templates\": []}}}", ["t.json:1:", "task 't'", "\"fields\" must be a non-empty list"]),
        ("{\"format\": \"tokki-flan/1\", \"tasks\": {\"t\": {\"fields\": [\"a\"], \"templates\": [\n{\"id\": \"x\", \"kind\": \"zero-shot\", \"input\": \"{b}\", \"target\": \"{a}\"}]}}}",
         ["t.json:2:", "task 't': template 'x':", "unknown placeholder {b}"]),
        ("{\"format\": \"tokki-flan/1\", \"tasks\": {\"t\": {\"fields\": [\"a\"], \"templates\": [\n{\"id\": \"x\", \"kind\": \"one-shot\", \"input\": \"{a}\", \"target\": \"{a}\"}]}}}",
         ["t.json:2:", "template 'x'", "unknown kind \"one-shot\""]),
        ("{\"format\": \"tokki-flan/1\", \"tasks\": {\"t\": {\"fields\": [\"a\"], \"templates\": [\n{\"id\": \"x\", \"kind\": \"few-shot\", \"input\": \"{a} }\", \"target\": \"{a}\"}]}}}",
         ["t.json:2:", "template 'x'", "\"input\": character 4: single '}'"]),
        ("{\"format\": \"tokki-flan/1\", \"tasks\": {\"t\": {\"fields\": [\"a\"], \"templates\": [\n{\"id\": \"x\", \"kind\": \"few-shot\", \"input\": 3, \"target\": \"{a}\"}]}}}",
         ["template 'x'", "\"input\" must be a string, found a number"]),
        ("{\"format\": \"tokki-flan/1\", \"tasks\": {\"t\": {\"fields\": [\"a\"], \"templates\": [\n{\"kind\": \"few-shot\", \"input\": \"{a}\", \"target\": \"{a}\"}]}}}",
         ["t.json:2:", "template '#1'", "missing \"id\""]),
        ("{\"format\": \"tokki-flan/1\", \"tasks\": {\"t\": {\"fields\": [\"a\"], \"templates\": [\n{\"id\": \"x\", \"kind\": \"few-shot\", \"input\": \"{a}\", \"target\": \"{a}\"},\n{\"id\": \"x\", \"kind\": \"few-shot\", \"input\": \"{a}\", \"target\": \"{a}\"}]}}}",
         ["t.json:3:", "template 'x'", "duplicate template id"]),
        ("{\"format\": \"tokki-flan/1\", \"tasks\": {\"t\": {\"fields\": [\"a\"], \"templates\": [\n{\"id\": \"x\", \"kind\": \"few-shot\", \"input\": \"{options_}\", \"target\": \"{a}\"}]}}}",
         ["template 'x'", "{options_} but the task has no \"options\""]),
        ("{\"format\": \"tokki-flan/1\", \"tasks\": {\"t\": {\"fields\": [\"a\", \"o\"], \"options\": {\"field\": \"o\"}, \"templates\": [\n{\"id\": \"x\", \"kind\": \"few-shot\", \"input\": \"{o}\", \"target\": \"{a}\"}]}}}",
         ["template 'x'", "{o} is the options list: write {options_}"]),
        ("{\"format\": \"tokki-flan/1\", \"tasks\": {\"t\": {\"fields\": [\"a\"], \"options\": {\"field\": \"z\"}, \"templates\": []}}}",
         ["task 't'", "options field 'z' is not one of the task's fields"]),
        ("{\"format\": \"tokki-flan/1\", \"tasks\": {\"t\": {\"fields\": [\"a\"], \"few_shot\": {\"exemplar\": \"{input}\"}, \"templates\": []}}}",
         ["task 't'", "must contain {input} then {target}"]),
        ("{\"format\": \"tokki-flan/1\", \"tasks\": {\"t\": {\"fields\": [\"a\"], \"templates\": [\n{\"id\": \"x\", \"kind\": \"few-shot\", \"input\": \"{a}\", \"taget\": \"{a}\"}]}}}",
         ["t.json:2:", "template 'x'", "unknown key \"taget\""]),
        ("{\"format\": \"tokki-flan/1\",\n\"tasks\": {\"t\": {\"fields\": [\"a\"]\n\"templates\": []}}}", ["t.json:", "invalid JSON at byte offset", "line 3"]),
    ])
    func malformedFilesAreNamed(_ json: String, _ expected: [String]) {
        do {
            _ = try Self.parse(json)
            Issue.record("parsed: \(json)")
        } catch {
            if case .invalidFile = error {} else { Issue.record("wrong case \(error)") }
            for part in expected { #expect(error.description.contains(part), "\(error.description) lacks \(part)") }
        }
    }

    /// Truncated and corrupted copies of the shipped set either load or fail with an
    /// ``InstructionTemplateError/invalidFile(source:line:task:template:problem:)``; never a crash.
    @Test func corruptedFilesNeverCrash() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.shippedPath)))
        var rng = SplitMix64(seed: 16)
        var failures = 0, loaded = 0
        let specials = Array("{}[]\",:\\ 0_-".utf8) + [0xFF, 0xEC]
        for round in 0..<400 {
            var copy = bytes
            if round % 4 == 0 {
                copy = Array(copy.prefix(Int.random(in: 0..<copy.count, using: &rng)))
            } else {
                for _ in 0..<(1 + round % 3) {
                    copy[Int.random(in: 0..<copy.count, using: &rng)] = specials[Int.random(in: 0..<specials.count, using: &rng)]
                }
            }
            do {
                _ = try InstructionTemplateSet(json: copy, source: "c.json")
                loaded += 1
            } catch {
                guard case .invalidFile(let source, _, _, _, let problem) = error else { Issue.record("\(error)"); continue }
                #expect(source == "c.json" && !problem.isEmpty)
                failures += 1
            }
        }
        #expect(failures > 100 && failures + loaded == 400)
    }

    @Test func unreadableFileIsCannotRead() {
        #expect(throws: InstructionTemplateError.cannotRead(path: "/nonexistent/x.json", reason: "cannot read the file: check the path")) {
            try InstructionTemplateSet(contentsOf: "/nonexistent/x.json")
        }
    }

    // MARK: The shipped Korean legal set

    static let shippedPath = Fixtures.packageRoot.appendingPathComponent("Templates/ko-legal.json").path

    @Test func shippedSetHasTheFourTasks() throws {
        let set = try InstructionTemplateSet(contentsOf: Self.shippedPath)
        #expect(set.license?.contains("MIT") == true)
        for name in ["statute_qa", "judgment_summary", "case_name", "applicable_article"] {
            let task = try #require(set.task(name), "no task \(name)")
            let plain = task.templates.filter { $0.kind != .inverted }
            let inverted = task.templates.filter { $0.kind == .inverted }
            #expect(plain.count >= 10, "\(name): \(plain.count) templates")
            #expect(plain.contains { $0.kind == .zeroShot } && plain.contains { $0.kind == .fewShot }, "\(name)")
            #expect((1...3).contains(inverted.count), "\(name): \(inverted.count) inverted")
            #expect(Set(task.templates.map(\.id)).count == task.templates.count)
            for t in task.templates {
                let used = t.input.placeholders + t.target.placeholders
                for p in used {
                    #expect(p == "options_" ? task.options != nil : task.fields.contains(p) && p != task.options?.field, "\(name)/\(t.id): {\(p)}")
                }
                // Korean instructions, with the task's content in them.
                #expect(t.input.source.unicodeScalars.contains { (0xAC00...0xD7A3).contains($0.value) }, "\(name)/\(t.id)")
                #expect(!t.input.placeholders.isEmpty && !t.target.placeholders.isEmpty, "\(name)/\(t.id)")
                // An inverted template asks for what the others give.
                if t.kind == .inverted {
                    let forward = Set(plain.flatMap(\.target.placeholders))
                    #expect(forward.isDisjoint(with: t.target.placeholders), "\(name)/\(t.id) is not inverted")
                }
            }
            // Every field of the task is used by some template.
            let used = Set(task.templates.flatMap { $0.input.placeholders + $0.target.placeholders })
            for f in task.fields { #expect(used.contains(f) || (f == task.options?.field && used.contains("options_")), "\(name): \(f) unused") }
        }
    }

    /// Every fixture record renders under every template of its task.
    @Test func fixtureRecordsRenderUnderEveryTemplate() throws {
        let set = try InstructionTemplateSet(contentsOf: Self.shippedPath)
        let lines = try String(contentsOf: Fixtures.url("instruct/ko-legal.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count >= 16)
        var perTask: [String: Int] = [:]
        for (i, line) in lines.enumerated() {
            guard case .object(let o) = try TemplateValue.parseJSON(Array(line.utf8)), case .string(let name)? = o["task"] else {
                Issue.record("line \(i + 1)"); continue
            }
            let task = try #require(set.task(name))
            let record = try InstructionRecord(index: i, task: task, object: o)
            perTask[name, default: 0] += 1
            for t in task.templates {
                let (input, target) = try InstructionRenderer.fill(t, record, task)
                #expect(!input.contains("{") && !target.isEmpty, "\(t.id)")
            }
        }
        #expect(perTask.count == 4 && perTask.values.allSatisfy { $0 >= 3 })
    }
}
