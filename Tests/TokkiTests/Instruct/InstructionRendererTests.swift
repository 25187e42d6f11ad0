import Foundation
import Testing
import TokkiTestSupport
@testable import Tokki

/// Rendering records with instruction templates: template choice, exemplars, budgets, formats.
@Suite("Instruction rendering")
struct InstructionRendererTests {
    static let set: InstructionTemplateSet? = try? InstructionTemplateSetTests.parse(InstructionTemplateSetTests.small)

    static func task() throws -> InstructionTask {
        try #require(set?.task("pick"))
    }

    /// `n` records of the "pick" task, each with distinct content.
    static func records(_ n: Int, task: InstructionTask) throws -> [InstructionRecord] {
        try (0..<n).map { i in
            try InstructionRecord(index: i, task: task, fields: ["question": "질문 \(i)", "answer": "답 \(i)"], options: ["답 \(i)", "오답 \(i)"])
        }
    }

    @Test func rendersZeroShotWithOptions() throws {
        let task = try Self.task()
        let renderer = InstructionRenderer(seed: 1, kinds: [.zeroShot])
        let record = try InstructionRecord(index: 0, task: task, fields: ["question": "민법 제750조의 책임은?", "answer": "손해배상"],
                                           options: ["손해배상", "형사처벌"])
        let example = try renderer.render(record, task: task)
        #expect(example.templateID == "z1" && example.kind == .zeroShot && example.shots == 0)
        #expect(example.prompt == "Q: 민법 제750조의 책임은?\n선택지:\n1. 손해배상\n2. 형사처벌\nA: ")
        #expect(example.completion == "손해배상\n")
        #expect(example.messages.map(\.role) == ["user", "assistant"])
        #expect(example.messages[0].content == "Q: 민법 제750조의 책임은?\n선택지:\n1. 손해배상\n2. 형사처벌\nA:")
    }

    @Test func recordErrorsAreTyped() throws {
        let task = try Self.task()
        #expect(throws: InstructionTemplateError.missingField(task: "pick", field: "answer")) {
            try InstructionRecord(index: 0, task: task, object: ["question": "q", "choices": ["a"]])
        }
        #expect(throws: InstructionTemplateError.missingField(task: "pick", field: "answer")) {
            try InstructionRecord(index: 0, task: task, object: ["question": "q", "choices": ["a"], "answer": nil])
        }
        #expect(throws: InstructionTemplateError.invalidField(task: "pick", field: "question", problem: "expected text, found a list")) {
            try InstructionRecord(index: 0, task: task, object: ["question": ["q"], "choices": ["a"], "answer": "a"])
        }
        #expect(throws: InstructionTemplateError.invalidField(task: "pick", field: "choices", problem: "the answer options must be a list, found a string")) {
            try InstructionRecord(index: 0, task: task, object: ["question": "q", "choices": "a", "answer": "a"])
        }
        #expect(throws: InstructionTemplateError.invalidField(task: "pick", field: "choices", problem: "the list of answer options is empty")) {
            try InstructionRecord(index: 0, task: task, object: ["question": "q", "choices": [], "answer": "a"])
        }
        // Numbers are text as JSON writes them.
        let r = try InstructionRecord(index: 0, task: task, object: ["question": 750, "choices": [1, 2.5], "answer": true])
        #expect(r.values == ["question": "750", "answer": "true"] && r.options == ["1", "2.5"])
        #expect(throws: InstructionTemplateError.noTemplates(task: "pick", kinds: [])) {
            try InstructionRenderer(kinds: []).render(r, task: task)
        }
    }

    /// The template is a function of (seed, index) alone: the same in any order, on any
    /// thread, with any pool; another seed changes it.
    @Test func choiceIsDeterministicPerSeedAndIndex() throws {
        let task = try Self.task()
        let records = try Self.records(200, task: task)
        let renderer = InstructionRenderer(seed: 42, shots: 2)
        let forward = try records.map { try renderer.render($0, task: task, exemplarPool: records) }
        let backward = try records.reversed().map { try renderer.render($0, task: task, exemplarPool: records) }
        #expect(forward == backward.reversed())
        let parallel = Parallelism.map(records.count, threads: 4, empty: Optional<RenderedInstruction>.none) { range, out in
            for k in range { out[k] = try? renderer.render(records[k], task: task, exemplarPool: records) }
        }
        #expect(parallel == forward.map { Optional($0) })
        // The template does not depend on the pool; the exemplars do only through its content.
        let alone = try records.map { try renderer.render($0, task: task).templateID }
        #expect(alone == forward.map(\.templateID))
        let other = try records.map { try InstructionRenderer(seed: 43, shots: 2).render($0, task: task, exemplarPool: records).templateID }
        #expect(other != alone)
    }

    /// Over many records every template is chosen, about equally often.
    @Test func choiceCoversEveryTemplate() throws {
        let set = try InstructionTemplateSet(contentsOf: InstructionTemplateSetTests.shippedPath)
        let task = try #require(set.task("statute_qa"))
        let renderer = InstructionRenderer(seed: 7)
        var counts: [String: Int] = [:]
        let n = 15_000
        for i in 0..<n { counts[try renderer.template(for: task, index: i).id, default: 0] += 1 }
        #expect(Set(counts.keys) == Set(task.templates.map(\.id)))
        let expected = Double(n) / Double(task.templates.count)
        for (id, c) in counts { #expect(abs(Double(c) - expected) < 0.15 * expected, "\(id): \(c) of \(n)") }
        // Only the kinds asked for.
        let inverted = InstructionRenderer(seed: 7, kinds: [.inverted])
        for i in 0..<100 { #expect(try inverted.template(for: task, index: i).kind == .inverted) }
    }

    /// Exemplars: other records of the task (never the record, nor a copy of its content),
    /// distinct, up to the shots asked; zero-shot templates get none.
    @Test func exemplarsNeverIncludeTheRecord() throws {
        let task = try Self.task()
        var records = try Self.records(12, task: task)
        // Record 12 has record 3's content: neither may be the other's exemplar.
        records.append(try InstructionRecord(index: 12, task: task, fields: ["question": "질문 3", "answer": "답 3"], options: ["답 3", "오답 3"]))
        for shots in [1, 3, 5, 20] {
            let renderer = InstructionRenderer(seed: 9, shots: shots)
            for record in records {
                let example = try renderer.render(record, task: task, exemplarPool: records)
                if example.kind == .zeroShot {
                    #expect(example.shots == 0)
                    continue
                }
                #expect(!example.exemplarIndices.contains(record.index))
                #expect(Set(example.exemplarIndices).count == example.shots)
                if record.index == 3 { #expect(!example.exemplarIndices.contains(12)) }
                if record.index == 12 { #expect(!example.exemplarIndices.contains(3)) }
                let available = [3, 12].contains(record.index) ? 11 : 12
                #expect(example.shots == min(shots, available), "record \(record.index), shots \(shots)")
                // The exemplars are in the prompt, rendered with the record's template, before the record.
                for i in example.exemplarIndices {
                    let q = i == 12 ? 3 : i   // record 12 holds record 3's content
                    #expect(example.prompt.contains("질문 \(q)\n") || example.prompt.contains("질문 \(q) "), "exemplar \(i) in \(example.prompt)")
                }
                #expect(example.prompt.hasPrefix("예시\nQ: "))
                #expect(example.prompt.components(separatedBy: "---\n").count == example.shots + 1)
            }
        }
        // A pool of copies of the record gives none, looking at a bounded number of them.
        let copies = try (0..<5000).map { i in
            try InstructionRecord(index: 100 + i, task: task, fields: ["question": "질문 0", "answer": "답 0"], options: ["답 0", "오답 0"])
        }
        #expect(InstructionRenderer.candidateLimit(shots: 2) == 96 && InstructionRenderer.candidateLimit(shots: .max) == .max)
        #expect(try InstructionRenderer(seed: 9, shots: 2, kinds: [.fewShot]).render(records[0], task: task, exemplarPool: copies).shots == 0)
        // A pool of one (the record itself) gives no exemplars.
        let lonely = try InstructionRenderer(seed: 9, shots: 3, kinds: [.fewShot]).render(records[0], task: task, exemplarPool: [records[0]])
        #expect(lonely.shots == 0)
    }

    /// With a budget, the example with its exemplars fits (re-tokenized here), and a tighter
    /// budget gives fewer exemplars; a record over the budget alone gets none.
    @Test func tokenBudgetIsRespected() throws {
        let tokenizer = try loadTokenizer(at: Fixtures.packageRoot.appendingPathComponent("Vocab/tokki-ko-bpe-16k.model").path)
        let task = try Self.task()
        let records = try Self.records(30, task: task)
        func count(_ e: RenderedInstruction, _ format: InstructionRenderer.OutputFormat) throws -> Int {
            try e.texts(format).reduce(0) { $0 + (try tokenizer.encodeIDs($1, options: EncodeOptions()).count) }
        }
        for format in InstructionRenderer.OutputFormat.allCases {
            var loose = InstructionRenderer(seed: 5, shots: 8, kinds: [.fewShot], system: "법률 도우미", format: format)
            loose.tokenizer = tokenizer
            loose.maxTokens = 10_000
            var tight = loose
            tight.maxTokens = 60
            var fewer = 0
            for record in records {
                let a = try loose.render(record, task: task, exemplarPool: records)
                let b = try tight.render(record, task: task, exemplarPool: records)
                #expect(a.shots == 8)
                #expect(try count(a, format) == a.tokenCount)
                #expect(try count(b, format) == b.tokenCount)
                #expect(try #require(b.tokenCount) <= 60)
                #expect(b.shots < a.shots)
                // The next exemplar would not have fitted.
                #expect(Array(a.exemplarIndices.prefix(b.shots)) == b.exemplarIndices)
                if b.shots < 8 {
                    var one = tight
                    one.maxTokens = nil
                    one.shots = b.shots + 1
                    #expect(try count(one.render(record, task: task, exemplarPool: records), format) > 60)
                }
                if b.shots < a.shots { fewer += 1 }
            }
            #expect(fewer == records.count)
            var tiny = loose
            tiny.maxTokens = 3
            let over = try tiny.render(records[0], task: task, exemplarPool: records)
            let overCount = try #require(over.tokenCount)
            #expect(over.overBudget && over.shots == 0 && overCount > 3)
        }
    }

    @Test func messagesAndPromptCompletion() throws {
        let task = try Self.task()
        let records = try Self.records(5, task: task)
        let renderer = InstructionRenderer(seed: 2, shots: 1, kinds: [.fewShot], system: "당신은 법률 도우미입니다.")
        let e = try renderer.render(records[0], task: task, exemplarPool: records)
        let i = try #require(e.exemplarIndices.first)
        let expectedPrompt = "예시\nQ: {질문} 질문 \(i)\nA: 답 \(i)\n---\nQ: {질문} 질문 0\nA: "
        #expect(e.prompt == expectedPrompt)
        #expect(e.completion == "답 0\n")
        #expect(e.messages.map(\.role) == ["system", "user", "assistant"])
        #expect(e.messages[0].content == "당신은 법률 도우미입니다.")
        #expect(e.messages[1].content == String(expectedPrompt.dropLast(1)))
        #expect(e.messages[2].content == "답 0\n")
        #expect(e.promptCompletion.prompt == "당신은 법률 도우미입니다.\n\n" + expectedPrompt)
        #expect(e.promptCompletion.completion == "답 0\n")
        #expect(e.texts(.promptCompletion) == [e.promptCompletion.prompt, e.promptCompletion.completion])
    }

    /// Exemplars as turns: a user and an assistant message each, then the record's; the
    /// budget measures those messages.
    @Test func exemplarTurns() throws {
        let task = try Self.task()
        let records = try Self.records(6, task: task)
        var renderer = InstructionRenderer(seed: 2, shots: 2, kinds: [.fewShot], system: "시스템")
        renderer.exemplarTurns = true
        let e = try renderer.render(records[0], task: task, exemplarPool: records)
        #expect(e.shots == 2)
        let (i, j) = (e.exemplarIndices[0], e.exemplarIndices[1])
        #expect(e.messages.map(\.role) == ["system", "user", "assistant", "user", "assistant", "user", "assistant"])
        #expect(e.messages.map(\.content) == ["시스템", "{질문} 질문 \(i)", "답 \(i)", "{질문} 질문 \(j)", "답 \(j)", "{질문} 질문 0", "답 0"])
        // The prompt-completion shape still inlines them.
        #expect(e.promptCompletion.prompt.contains("Q: {질문} 질문 \(i)\nA: 답 \(i)\n---\n"))
        let tokenizer = try loadTokenizer(at: Fixtures.packageRoot.appendingPathComponent("Vocab/tokki-ko-bpe-16k.model").path)
        renderer.tokenizer = tokenizer
        renderer.maxTokens = 1000
        let measured = try renderer.render(records[0], task: task, exemplarPool: records)
        let count = try measured.messages.reduce(0) { $0 + (try tokenizer.encodeIDs($1.content, options: EncodeOptions()).count) }
        #expect(measured.tokenCount == count && measured.messages.count == 7)
    }

    /// Inverted templates swap the roles: the answer is in the prompt, the question is the target.
    @Test func invertedTemplate() throws {
        let task = try Self.task()
        let record = try InstructionRecord(index: 0, task: task, fields: ["question": "무엇?", "answer": "이것"], options: ["이것", "저것"])
        let e = try InstructionRenderer(kinds: [.inverted]).render(record, task: task)
        #expect(e.prompt == "Q: 답이 이것인 질문\nA: ")
        #expect(e.completion == "무엇?\n선택지:\n1. 이것\n2. 저것\n")
    }
}
