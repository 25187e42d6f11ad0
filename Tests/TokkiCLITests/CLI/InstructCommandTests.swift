import Foundation
import Testing
import TokkiTestSupport
@testable import Tokki

/// `tokki instruct`: task records to instruction examples with the shipped Korean legal set.
@Suite("tokki instruct")
struct InstructCommandTests {
    static let records = Fixtures.url("instruct/ko-legal.jsonl").path
    static let shipped = Fixtures.packageRoot.appendingPathComponent("Templates/ko-legal.json").path

    static func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("tokki-instruct-\(UUID().uuidString)-\(name)")
    }

    /// The output lines as JSON objects.
    static func objects(_ text: String) throws -> [TemplateObject] {
        try text.split(separator: "\n").map { line in
            guard case .object(let o) = try TemplateValue.parseJSON(Array(line.utf8)) else { throw CocoaError(.coderInvalidValue) }
            return o
        }
    }

    static func string(_ v: TemplateValue?) -> String? { if case .string(let s)? = v { s } else { nil } }
    static func int(_ v: TemplateValue?) -> Int? { if case .int(let i)? = v { i } else { nil } }

    /// The input lines' tasks, by line number.
    static func inputTasks() throws -> [Int: String] {
        var out: [Int: String] = [:]
        for (k, o) in try objects(String(contentsOfFile: records, encoding: .utf8)).enumerated() { out[k + 1] = string(o["task"]) }
        return out
    }

    /// Few-shot with a budget measured with a model folder: one example per record in order,
    /// exemplars of the same task and never the record, within the budget when re-tokenized.
    @Test func fewShotWithBudgetEndToEnd() throws {
        let model = Fixtures.url("folders/chatml-bytelevel").path
        let r = try TokkiExecutable.run(["instruct", "--input", Self.records, "--shots", "3", "--max-tokens", "700",
                                         "--model", model, "--seed", "11", "--with-metadata", "--system", "법률 도우미입니다."])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try Self.objects(r.text)
        let tasks = try Self.inputTasks()
        #expect(rows.count == tasks.count)
        let tokenizer = try loadTokenizer(at: model)
        var withExemplars = 0, limited = 0
        for (k, row) in rows.enumerated() {
            guard case .array(let messages)? = row["messages"], case .object(let meta)? = row["meta"],
                  case .array(let exemplarLines)? = meta["exemplar_lines"] else { Issue.record("row \(k)"); continue }
            #expect(Self.int(meta["line"]) == k + 1)
            #expect(Self.string(meta["task"]) == tasks[k + 1])
            let lines = exemplarLines.compactMap { if case .int(let i) = $0 { i } else { nil } }
            #expect(lines.count <= 3 && !lines.contains(k + 1) && Set(lines).count == lines.count)
            for l in lines { #expect(tasks[l] == tasks[k + 1], "line \(k + 1) got an exemplar of another task") }
            if Self.string(meta["kind"]) == "zero-shot" { #expect(lines.isEmpty) }
            if !lines.isEmpty { withExemplars += 1 }
            if Self.string(meta["kind"]) != "zero-shot" && lines.count < 3 { limited += 1 }
            let contents = messages.compactMap { m -> String? in if case .object(let o) = m { Self.string(o["content"]) } else { nil } }
            #expect(messages.count == 3 && contents.first == "법률 도우미입니다.")
            let tokens = try contents.reduce(0) { $0 + (try tokenizer.encodeIDs($1, options: EncodeOptions()).count) }
            #expect(tokens == Self.int(meta["tokens"]) && tokens <= 700, "line \(k + 1): \(tokens)")
        }
        #expect(withExemplars > 0)
        #expect(limited > 0, "the budget never limited the exemplars")
        #expect(r.stderr.contains("16 records, 16 rendered"), "\(r.stderr)")
    }

    /// Same input and seed: same bytes, from stdin or a file, to stdout or a file; another
    /// seed gives other templates; every template of a task is reached over enough seeds.
    @Test func deterministicAndCoversTemplates() throws {
        let a = try TokkiExecutable.run(["instruct", "--input", Self.records, "--shots", "2", "--seed", "5", "--quiet"])
        let input = try Data(contentsOf: URL(fileURLWithPath: Self.records))
        let b = try TokkiExecutable.run(["instruct", "--shots", "2", "--seed", "5", "--quiet"], stdin: input)
        let out = Self.temporary("out.jsonl")
        defer { try? FileManager.default.removeItem(at: out) }
        let c = try TokkiExecutable.run(["instruct", "--input", Self.records, "--shots", "2", "--seed", "5", "--output", out.path])
        #expect(a.status == 0 && b.status == 0 && c.status == 0, "\(a.stderr)\(b.stderr)\(c.stderr)")
        #expect(!a.stdout.isEmpty && a.stdout == b.stdout && a.stderr.isEmpty)
        #expect(c.stdout.isEmpty && (try? Data(contentsOf: out)) == a.stdout)
        let other = try TokkiExecutable.run(["instruct", "--input", Self.records, "--shots", "2", "--seed", "6", "--quiet"])
        #expect(other.stdout != a.stdout)

        // A record's example does not depend on the lines before it when zero-shot.
        let lines = String(decoding: input, as: UTF8.self).split(separator: "\n")
        let whole = try TokkiExecutable.run(["instruct", "--seed", "3", "--quiet"], stdin: input)
        let shifted = try TokkiExecutable.run(["instruct", "--seed", "3", "--quiet"], stdin: Data((lines[0] + "\n").utf8))
        #expect(whole.text.split(separator: "\n").first == shifted.text.split(separator: "\n").first)

        var seen = Set<String>()
        for seed in 0..<40 {
            let r = try TokkiExecutable.run(["instruct", "--task", "statute_qa", "--seed", String(seed), "--with-metadata", "--quiet"],
                                            stdin: Data((lines[0] + "\n").utf8))
            for row in try Self.objects(r.text) { if case .object(let m)? = row["meta"], let t = Self.string(m["template"]) { seen.insert(t) } }
        }
        #expect(seen.count >= 12, "\(seen.sorted())")
    }

    /// prompt-completion: the system text then a blank line before the prompt; --kinds limits
    /// the templates; --task ignores the records' "task" members.
    @Test func promptCompletionAndKinds() throws {
        let r = try TokkiExecutable.run(["instruct", "--input", Self.records, "--format", "prompt-completion", "--kinds", "inverted",
                                         "--system", "시스템", "--with-metadata", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try Self.objects(r.text)
        #expect(rows.count == 16)
        for row in rows {
            #expect(row.keys == ["prompt", "completion", "meta"])
            #expect(Self.string(row["prompt"])?.hasPrefix("시스템\n\n") == true)
            if case .object(let m)? = row["meta"] { #expect(Self.string(m["kind"]) == "inverted") }
        }
        // statute_qa inverted templates end the prompt with the answer and ask for the question.
        let first = try #require(rows.first)
        #expect(Self.string(first["completion"]) == "과실로 남의 물건을 부순 사람도 손해를 배상해야 하나요?")
        #expect(Self.string(first["prompt"])?.contains("손해를 배상할 책임이 있습니다.") == true)
    }

    /// Bad records are counted and kept in --rejected with the reason and line, never dropped;
    /// --strict stops with exit 65 and leaves no output file.
    @Test func rejectedAndStrict() throws {
        let good = try String(contentsOfFile: Self.records, encoding: .utf8).split(separator: "\n")[1]
        let input = [
            String(good),
            "not json",
            "",
            #"{"task":"nope","x":1}"#,
            #"{"task":"statute_qa","law":"민법","article":"제1조","text":"t","question":"q"}"#,
            #"{"task":"case_name","facts":"f","choices":"대여금","case_name":"대여금"}"#,
            #"{"law":"민법"}"#,
            "[1,2]",
            String(good),
        ].joined(separator: "\n") + "\n"
        let rejected = Self.temporary("rejected.jsonl")
        let out = Self.temporary("out.jsonl")
        defer { try? FileManager.default.removeItem(at: rejected); try? FileManager.default.removeItem(at: out) }
        let r = try TokkiExecutable.run(["instruct", "--rejected", rejected.path, "--shots", "1"], stdin: Data(input.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Self.objects(r.text).count == 2)
        let rows = try Self.objects(String(contentsOf: rejected, encoding: .utf8))
        let got = rows.map { (Self.int($0["line"]) ?? 0, Self.string($0["rule"]) ?? "") }
        let want = [(2, "invalid_json"), (3, "empty"), (4, "unknown_task"), (5, "missing_field"), (6, "invalid_field"),
                    (7, "missing_field"), (8, "invalid_json")]
        #expect(got.map(\.0) == want.map(\.0) && got.map(\.1) == want.map(\.1))
        #expect(rows.count > 3 && Self.string(rows[3]["detail"]) == "missing field 'answer' (task 'statute_qa')")
        #expect(rows.count > 2 && Self.string(rows[2]["text"]) == #"{"task":"nope","x":1}"#)
        #expect(r.stderr.contains("9 records, 2 rendered") && r.stderr.contains("7 rejected"), "\(r.stderr)")

        // Without --rejected they are reported on stderr.
        let plain = try TokkiExecutable.run(["instruct"], stdin: Data(input.utf8))
        #expect(plain.status == 0 && plain.stderr.contains("<stdin>:5: missing field 'answer' (task 'statute_qa')"), "\(plain.stderr)")

        let s = try TokkiExecutable.run(["instruct", "--strict", "--output", out.path], stdin: Data(input.utf8))
        #expect(s.status == 65)
        #expect(s.stderr.contains("<stdin>:2: invalid JSON"), "\(s.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func usageAndFileErrors() throws {
        let input = Data(try String(contentsOfFile: Self.records, encoding: .utf8).utf8)
        let unknown = try TokkiExecutable.run(["instruct", "--task", "tax_law"], stdin: input)
        #expect(unknown.status == 64 && unknown.stderr.contains("statute_qa, judgment_summary, case_name, applicable_article"), "\(unknown.stderr)")
        let kinds = try TokkiExecutable.run(["instruct", "--kinds", "zero-shot,two-shot"], stdin: input)
        #expect(kinds.status == 64 && kinds.stderr.contains("unknown kind 'two-shot'"))
        let missing = try TokkiExecutable.run(["instruct", "--templates", "/nonexistent/set.json"], stdin: input)
        #expect(missing.status == 66)
        let model = try TokkiExecutable.run(["instruct", "--model", "x.model"], stdin: input)
        #expect(model.status == 64)

        let bad = Self.temporary("set.json")
        defer { try? FileManager.default.removeItem(at: bad) }
        try Data("{\"format\": \"tokki-flan/1\", \"tasks\": {\"t\": {\"fields\": [\"a\"], \"templates\": [\n{\"id\": \"x\", \"kind\": \"zero-shot\", \"input\": \"{b}\", \"target\": \"{a}\"}]}}}".utf8).write(to: bad)
        let r = try TokkiExecutable.run(["instruct", "--templates", bad.path], stdin: input)
        #expect(r.status == 65)
        #expect(r.stderr.contains("\(bad.path):2: task 't': template 'x': \"input\": unknown placeholder {b}"), "\(r.stderr)")
        #expect(r.text.isEmpty)
    }

    /// The README's example, byte for byte: template choice is a fixed function of (seed, line).
    @Test func readmeExample() throws {
        let record = #"{"task":"statute_qa","law":"민법","article":"제750조","text":"고의 또는 과실로 인한 위법행위로 타인에게 손해를 가한 자는 그 손해를 배상할 책임이 있다.","question":"과실로 남의 물건을 부순 사람도 배상해야 하나요?","answer":"네, 과실에 의한 위법행위도 배상 책임이 있습니다."}"#
        let r = try TokkiExecutable.run(["instruct", "--seed", "1"], stdin: Data((record + "\n").utf8))
        #expect(r.status == 0)
        #expect(r.text == #"{"messages":[{"role":"user","content":"다음 조문을 근거로 질문에 답하세요.\n민법 제750조\n고의 또는 과실로 인한 위법행위로 타인에게 손해를 가한 자는 그 손해를 배상할 책임이 있다.\n질문: 과실로 남의 물건을 부순 사람도 배상해야 하나요?"},{"role":"assistant","content":"네, 과실에 의한 위법행위도 배상 책임이 있습니다."}]}"# + "\n")
        #expect(r.stderr == "tokki instruct: 1 record, 1 rendered (0 with exemplars, 0 exemplars in all), 0 rejected\n")
        let readme = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains(r.text) && readme.contains(record))
    }

    /// --exemplar-pool N: exemplars only from the first N good records of each task; a file
    /// (read twice) and stdin (held) give the same bytes.
    @Test func exemplarPool() throws {
        let tasks = try Self.inputTasks()
        var firstTwo: [String: [Int]] = [:]
        for line in tasks.keys.sorted() { if let t = tasks[line], firstTwo[t, default: []].count < 2 { firstTwo[t, default: []].append(line) } }
        let args = ["instruct", "--shots", "3", "--exemplar-pool", "2", "--kinds", "few-shot", "--with-metadata", "--quiet", "--seed", "4"]
        let file = try TokkiExecutable.run(args + ["--input", Self.records])
        let piped = try TokkiExecutable.run(args, stdin: try Data(contentsOf: URL(fileURLWithPath: Self.records)))
        #expect(file.status == 0 && piped.status == 0, "\(file.stderr)\(piped.stderr)")
        #expect(file.stdout == piped.stdout)
        var used = 0
        for row in try Self.objects(file.text) {
            guard case .object(let meta)? = row["meta"], case .array(let lines)? = meta["exemplar_lines"],
                  let task = Self.string(meta["task"]), let line = Self.int(meta["line"]) else { Issue.record("meta"); continue }
            let got = lines.compactMap { if case .int(let i) = $0 { i } else { nil } }
            let allowed = (firstTwo[task] ?? []).filter { $0 != line }
            #expect(Set(got) == Set(allowed), "line \(line): \(got) from \(allowed)")
            used += got.count
        }
        #expect(used > 0)
        let bad = try TokkiExecutable.run(["instruct", "--exemplar-pool", "0"], stdin: Data())
        #expect(bad.status == 64)
    }

    @Test func exemplarTurns() throws {
        let r = try TokkiExecutable.run(["instruct", "--input", Self.records, "--shots", "2", "--kinds", "few-shot",
                                         "--exemplar-turns", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        for row in try Self.objects(r.text) {
            guard case .array(let messages)? = row["messages"] else { Issue.record("no messages"); continue }
            let roles = messages.compactMap { m -> String? in if case .object(let o) = m { Self.string(o["role"]) } else { nil } }
            #expect(roles == ["user", "assistant", "user", "assistant", "user", "assistant"], "\(roles)")
        }
        let bad = try TokkiExecutable.run(["instruct", "--exemplar-turns", "--format", "prompt-completion"], stdin: Data())
        #expect(bad.status == 64)
    }

    /// A sample of the option space over good and bad records: every run exits 0 with one
    /// example per good record and the rest rejected, or refuses with a message and no output.
    @Test func optionSpaceNeverAborts() throws {
        let good = try String(contentsOfFile: Self.records, encoding: .utf8)
        let input = good + "not json\n\u{FEFF}{}\n{\"task\":\"case_name\",\"facts\":\"f\",\"choices\":[],\"case_name\":\"c\"}\n" + "{\"task\":1}\n\n"
        let dir = Self.temporary("props")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("in.jsonl").path
        try Data(input.utf8).write(to: URL(fileURLWithPath: path))
        var rng = SplitMix64(seed: 3)
        let choices: [[[String]]] = [
            [[], ["--shots", "1"], ["--shots", "4"], ["--shots", "100"]],
            [[], ["--max-tokens", "1"], ["--max-tokens", "120"], ["--max-tokens", "100000"]],
            [[], ["--format", "prompt-completion"], ["--exemplar-turns"]],
            [[], ["--kinds", "inverted"], ["--kinds", "zero-shot"], ["--kinds", "few-shot,inverted"]],
            [[], ["--strict"], ["--with-metadata"], ["--system", "시스템"]],
            [[], ["--task", "case_name"], ["--seed", "18446744073709551615"]],
        ]
        var successes = 0
        for round in 0..<24 {
            let out = dir.appendingPathComponent("out\(round).jsonl").path
            var args = ["instruct", "--input", path, "--output", out, "--quiet"]
            for group in choices { args += group[Int.random(in: 0..<group.count, using: &rng)] }
            let r = try TokkiExecutable.run(args)
            if CommandPropertyTests.judge(r, output: out, args.joined(separator: " ")) {
                successes += 1
                let rows = try Self.objects(String(contentsOfFile: out, encoding: .utf8))
                let expected = args.contains("--task") ? 4 : 16
                #expect(rows.count == expected, "\(args)")
            } else {
                #expect(r.status == 65 && args.contains("--strict") || r.status == 64, "\(args): \(r.stderr)")
            }
        }
        #expect(successes > 8)
    }

    @Test func listTasks() throws {
        let r = try TokkiExecutable.run(["instruct", "--list-tasks", "--templates", Self.shipped])
        #expect(r.status == 0)
        let names = r.text.split(separator: "\n").map { $0.split(separator: "\t").first.map(String.init) ?? "" }
        #expect(names == ["statute_qa", "judgment_summary", "case_name", "applicable_article"])
    }

    /// --index-field: choices keyed on the record's id survive reversing the input and
    /// adding records before it; without it they follow the line. A record without the id
    /// is rejected.
    @Test func indexFieldKeepsChoicesWhenTheInputMoves() throws {
        let lines = try String(contentsOfFile: Self.records, encoding: .utf8).split(separator: "\n").map(String.init)
        // Ids: integers and strings, added as the first member.
        let withIDs = lines.enumerated().map { k, l in "{\"id\": " + (k % 2 == 0 ? "\(k)" : "\"doc-\(k)\"") + ", " + l.dropFirst() }
        func templates(_ input: [String], _ extra: [String]) throws -> [String: String] {
            let file = Self.temporary("ids.jsonl")
            defer { try? FileManager.default.removeItem(at: file) }
            try Data((input.joined(separator: "\n") + "\n").utf8).write(to: file)
            let r = try TokkiExecutable.run(["instruct", "--input", file.path, "--seed", "5", "--shots", "2", "--with-metadata"] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            var out: [String: String] = [:]
            for (row, line) in zip(try Self.objects(r.text), input) {
                guard case .object(let meta)? = row["meta"] else { continue }
                out[line] = Self.string(meta["template"])
            }
            return out
        }
        let forward = try templates(withIDs, ["--index-field", "id"])
        let moved = try templates(Array(withIDs.reversed()), ["--index-field", "id"])
        #expect(forward.count == lines.count && forward == moved)
        // Keyed on lines, reversing the input changes some choices.
        let byLine = try templates(withIDs, []), byLineMoved = try templates(Array(withIDs.reversed()), [])
        #expect(byLine != byLineMoved)
        // A record without the id is rejected.
        let file = Self.temporary("noid.jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data((lines[0] + "\n").utf8).write(to: file)
        let r = try TokkiExecutable.run(["instruct", "--input", file.path, "--index-field", "id", "--strict"])
        #expect(r.status == 65 && r.stderr.contains("id"), "\(r.stderr)")
    }
}
