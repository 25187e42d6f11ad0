import Foundation
import Testing
import Tokki
import TokkiTestSupport
@testable import TokkiObjectives

/// Assistant masks against transformers' `return_assistant_tokens_mask`
/// (scripts/fixtures/make_sft_fixtures.py), record formats, masking without generation blocks,
/// truncation and packing.
struct SupervisedFineTuningTests {
    static let folders = ["chatml-generation", "llama3-generation", "gemma-generation"]

    static func ints(_ v: TemplateValue?) -> [Int] {
        guard case .array(let a)? = v else { return [] }
        return a.compactMap { if case .int(let i) = $0 { i } else { nil } }
    }

    static func cases(_ name: String) throws -> [TemplateObject] {
        guard case .object(let root) = try TemplateValue.parseJSON([UInt8](Fixtures.data("sft/\(name).expected.json"))),
              case .array(let cases)? = root["cases"] else { throw TokkiError.invalidModel(path: name, problem: "malformed fixture") }
        return cases.compactMap { if case .object(let o) = $0 { o } else { nil } }
    }

    static func encoder(_ folder: ModelFolder, _ configuration: ChatExampleEncoder.Configuration = .init()) throws -> ChatExampleEncoder {
        let eos = folder.specialTokens["eos_token"]?.id.map(Int32.init)
        return ChatExampleEncoder(template: try folder.chatTemplate(), tokenizer: folder.tokenizer,
                                  specialTokens: folder.templateVariables, eos: eos, configuration: configuration)
    }

    @Test(arguments: folders)
    func generationMasksEqualTransformers(_ name: String) throws {
        let folder = try ModelFolder(contentsOf: Fixtures.url("sft/\(name)").path)
        let template = try folder.chatTemplate()
        #expect(template.hasGenerationBlocks)
        let cases = try Self.cases(name)
        #expect(cases.count >= 5)
        for c in cases {
            guard case .array(let messages)? = c["messages"], case .string(let label)? = c["name"] else { Issue.record("malformed case"); continue }
            let want = Self.ints(c["input_ids"]), wantMask = Self.ints(c["assistant_masks"])
            let rendered = try folder.render(template, messages: messages)
            if case .string(let text)? = c["text"] { #expect(rendered.text == text, "\(name)/\(label)") }
            let encoding = try folder.tokenizer.encode(rendered.text, options: EncodeOptions())
            #expect(encoding.ids == want, "\(name)/\(label): ids")
            var mask = [Bool](repeating: false, count: encoding.ids.count)
            ChatExampleEncoder.maskGenerationSpans(rendered.generationSpans, offsets: encoding.characterOffsets, into: &mask)
            #expect(mask.map { $0 ? 1 : 0 } == wantMask, "\(name)/\(label): assistant mask")

            // The example's labels: the ids where the mask is set, except the first token.
            let example = try Self.encoder(folder).example(ChatConversation(record: ["messages": .array(messages)]))
            #expect(example.ids.map(Int.init) == want)
            for i in want.indices {
                let learned = wantMask[i] == 1 && i > 0
                #expect(example.labels[i] == (learned ? Int32(want[i]) : -100), "\(name)/\(label): label \(i)")
            }
        }
    }

    /// A ChatML template without generation blocks: the assistant text is found in the render.
    static let plainChatML = """
        {%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{%- endfor %}
        """

    static func plainFolderEncoder(_ configuration: ChatExampleEncoder.Configuration = .init()) throws -> (ChatExampleEncoder, ModelFolder) {
        let folder = try ModelFolder(contentsOf: Fixtures.url("sft/chatml-generation").path)
        let eos = folder.specialTokens["eos_token"]?.id.map(Int32.init)
        return (ChatExampleEncoder(template: try ChatTemplate(plainChatML), tokenizer: folder.tokenizer,
                                   specialTokens: folder.templateVariables, eos: eos, configuration: configuration), folder)
    }

    /// The learned tokens decoded, stretch by stretch.
    static func learnedText(_ e: ChatExample, _ tokenizer: any Tokenizer) throws -> [String] {
        var out: [String] = [], run: [Int] = []
        for i in e.ids.indices {
            if e.labels[i] != -100 { run.append(Int(e.labels[i])) } else if !run.isEmpty { out.append(try tokenizer.decode(run)); run = [] }
        }
        if !run.isEmpty { out.append(try tokenizer.decode(run)) }
        return out
    }

    @Test func assistantTextWithoutGenerationBlocks() throws {
        let (encoder, folder) = try Self.plainFolderEncoder()
        let record: TemplateValue = ["messages": [
            ["role": "user", "content": "Say exactly: 제1조"],
            ["role": "assistant", "content": "제1조"],
            ["role": "user", "content": "또?"],
            ["role": "assistant", "content": "민법 제750조 (불법행위의 내용)"],
        ]]
        let e = try encoder.example(ChatConversation(record: record))
        // The echo in the question is not learned: the search moves past each message's text.
        #expect(try Self.learnedText(e, folder.tokenizer) == ["제1조", "민법 제750조 (불법행위의 내용)"])

        // --train-on-eos adds the <|im_end|> after each answer.
        let (eosEncoder, _) = try Self.plainFolderEncoder(.init(trainOnEOS: true))
        let withEOS = try eosEncoder.example(ChatConversation(record: record))
        let eos = Int32(folder.specialTokens["eos_token"]!.id!)
        #expect(withEOS.labels.filter { $0 == eos }.count == 2)
        #expect(withEOS.labels.filter { $0 != -100 }.count == e.labels.filter { $0 != -100 }.count + 2)

        // --train-on-prompt learns everything but the first token.
        let (all, _) = try Self.plainFolderEncoder(.init(trainOnPrompt: true))
        let everything = try all.example(ChatConversation(record: record))
        #expect(everything.labels.dropFirst() == everything.ids.dropFirst())
        #expect(everything.labels[0] == -100)
    }

    @Test func templateThatChangesTheAnswerIsRejected() throws {
        let folder = try ModelFolder(contentsOf: Fixtures.url("sft/chatml-generation").path)
        let upper = try ChatTemplate("{% for m in messages %}{{ m['content'] | upper }}{% endfor %}")
        let encoder = ChatExampleEncoder(template: upper, tokenizer: folder.tokenizer)
        let record: TemplateValue = ["messages": [["role": "user", "content": "q"], ["role": "assistant", "content": "answer"]]]
        #expect(throws: ChatRecordError.assistantTextNotFound(message: 1)) { try encoder.example(ChatConversation(record: record)) }
        let raising = ChatExampleEncoder(template: try ChatTemplate("{{ raise_exception('no system role') }}"), tokenizer: folder.tokenizer)
        #expect(throws: ChatRecordError.template("template raised: no system role")) { try raising.example(ChatConversation(record: record)) }
    }

    @Test func recordFormats() throws {
        let openAI = try ChatConversation(record: ["messages": [["role": "user", "content": "a"], ["role": "assistant", "content": "b"]]])
        let shareGPT = try ChatConversation(record: ["conversations": [["from": "human", "value": "a"], ["from": "gpt", "value": "b"]]])
        let alpaca = try ChatConversation(record: ["instruction": "a", "input": "", "output": "b"])
        let pc = try ChatConversation(record: ["prompt": "a", "completion": "b"])
        #expect(shareGPT.messages == openAI.messages && alpaca.messages == openAI.messages && pc.messages == openAI.messages)
        #expect([openAI.format, shareGPT.format, alpaca.format, pc.format] == [.messages, .shareGPT, .alpaca, .promptCompletion])

        let full = try ChatConversation(record: ["instruction": "요약하라", "input": "판결문", "output": "요약", "system": "S",
                                                 "history": [["q1", "a1"]]])
        #expect(full.messages == [["role": "system", "content": "S"], ["role": "user", "content": "q1"], ["role": "assistant", "content": "a1"],
                                  ["role": "user", "content": "요약하라\n판결문"], ["role": "assistant", "content": "요약"]])
        let conversational = try ChatConversation(record: ["prompt": [["role": "system", "content": "s"], ["role": "user", "content": "u"]],
                                                           "completion": [["role": "assistant", "content": "c"]]])
        #expect(conversational.messages.count == 3)

        #expect(throws: ChatRecordError.unknownRole(message: 1, role: "robot")) {
            try ChatConversation(record: ["messages": [["role": "user", "content": "a"], ["role": "robot", "content": "b"]]])
        }
        #expect(throws: ChatRecordError.unknownRole(message: 0, role: "alien")) {
            try ChatConversation(record: ["conversations": [["from": "alien", "value": "a"]]])
        }
        #expect(throws: ChatRecordError.missingField("messages[0].content")) { try ChatConversation(record: ["messages": [["role": "user"]]]) }
        #expect(throws: ChatRecordError.missingField("'output' (a string)")) { try ChatConversation(record: ["instruction": "a"]) }
        #expect(throws: ChatRecordError.missingField("'completion'")) { try ChatConversation(record: ["prompt": "a"]) }
        do {
            _ = try ChatConversation(record: ["text": "plain"])
            Issue.record("a record without a known format was accepted")
        } catch {
            #expect(error.rule == "unknown_format")
            #expect(error.description.contains("'text'"))
        }
        #expect(throws: ChatRecordError.unknownFormat("expected a JSON object, got a list")) { try ChatConversation(record: [1, 2]) }
    }

    @Test func truncation() throws {
        let turns: TemplateValue = ["messages": [
            ["role": "system", "content": "법률 도우미"],
            ["role": "user", "content": .string(String(repeating: "긴 질문 ", count: 40))],
            ["role": "assistant", "content": .string(String(repeating: "긴 대답 ", count: 40))],
            ["role": "user", "content": "짧은 질문"], ["role": "assistant", "content": "짧은 대답"],
        ]]
        let conversation = try ChatConversation(record: turns)
        let (unlimited, folder) = try Self.plainFolderEncoder()
        let whole = try unlimited.example(conversation)
        let limit = whole.ids.count - 10

        let (byTurns, _) = try Self.plainFolderEncoder(.init(maxLength: limit, truncation: .turns))
        let cut = try byTurns.example(conversation)
        #expect(cut.droppedTurns == 1)
        #expect(cut.ids.count <= limit)
        #expect(try Self.learnedText(cut, folder.tokenizer) == ["짧은 대답"])
        // The system message stays.
        #expect(try folder.tokenizer.decode(cut.ids.map(Int.init)).contains("법률 도우미"))

        let (dropping, _) = try Self.plainFolderEncoder(.init(maxLength: limit, truncation: .drop))
        #expect(throws: ChatRecordError.tooLong(tokens: whole.ids.count, maximum: limit)) { try dropping.example(conversation) }

        let (right, _) = try Self.plainFolderEncoder(.init(maxLength: limit, truncation: .right))
        let r = try right.example(conversation)
        #expect(r.ids == Array(whole.ids.prefix(limit)) && r.labels == Array(whole.labels.prefix(limit)) && r.cutTokens == 10)

        // Not even the last exchange fits.
        let (tiny, _) = try Self.plainFolderEncoder(.init(maxLength: 5, truncation: .turns))
        #expect(throws: ChatRecordError.self) { try tiny.example(conversation) }
        do { _ = try tiny.example(conversation) } catch { #expect(error.rule == "too_long") }
    }

    static func tokens(pad: Int32 = 0) -> SpecialTokens {
        SpecialTokens(vocabularySize: 1000, special: [0], pad: pad, eos: 1)
    }

    static func document(_ n: Int, tag: Int32) -> Document {
        Document(ids: [Int32](repeating: tag, count: n), labels: (0..<n).map { $0 % 2 == 0 ? tag : -100 })
    }

    @Test func bestFitDecreasingPacking() throws {
        let sft = try SupervisedFineTuning(.init(sequenceLength: 10, packing: .bestFitDecreasing, packWindow: 100), tokens: Self.tokens())
        var b = SupervisedFineTuning.Builder(sft)
        // Lengths 6, 5, 4, 3, 2 (tags 10…14): 6+4 → row 1, 5+3+2 → row 2.
        for (i, n) in [6, 5, 4, 3, 2].enumerated() { try b.append(Self.document(n, tag: Int32(10 + i))) }
        #expect(b.pendingRows == 0)   // the window is not full
        b.finishInput()
        guard let batch = b.nextBatch(maxRows: 8, threads: 1) else { Issue.record("no batch"); return }
        #expect(batch.rows == 2)
        #expect(Array(batch["input_ids"]!.row(0)) == [10, 10, 10, 10, 10, 10, 12, 12, 12, 12])
        #expect(Array(batch["input_ids"]!.row(1)) == [11, 11, 11, 11, 11, 13, 13, 13, 14, 14])
        #expect(Array(batch["position_ids"]!.row(1)) == [0, 1, 2, 3, 4, 0, 1, 2, 0, 1])
        #expect(Array(batch["segment_ids"]!.row(0)) == [1, 1, 1, 1, 1, 1, 2, 2, 2, 2])
        // The first label of every example is −100.
        #expect(Array(batch["labels"]!.row(0)) == [-100, -100, 10, -100, 10, -100, -100, -100, 12, -100])
        #expect(batch["cu_seqlens"]!.values == [0, 6, 10, 15, 18, 20])
        #expect(batch["attention_mask"]!.values.allSatisfy { $0 == 1 })
    }

    @Test func paddedRowsAndWindows() throws {
        let padded = try SupervisedFineTuning(.init(sequenceLength: 8, packing: .none), tokens: Self.tokens(pad: 7))
        var b = SupervisedFineTuning.Builder(padded)
        try b.append(Self.document(3, tag: 20))
        try b.append(Self.document(12, tag: 21))   // longer than a row: cut
        try b.append(Document(ids: [], labels: []))   // empty: skipped
        #expect(b.pendingRows == 2 && b.truncatedExamples == 1 && b.examples == 2)
        let batch = b.nextBatch(maxRows: 4, threads: 1)!
        #expect(Array(batch["input_ids"]!.row(0)) == [20, 20, 20, 7, 7, 7, 7, 7])
        #expect(Array(batch["attention_mask"]!.row(0)) == [1, 1, 1, 0, 0, 0, 0, 0])
        #expect(Array(batch["labels"]!.row(0)) == [-100, -100, 20, -100, -100, -100, -100, -100])
        #expect(batch["cu_seqlens"]!.values == [0, 3, 8, 16])

        // A window of 2: examples are packed only with their window's.
        let windowed = try SupervisedFineTuning(.init(sequenceLength: 10, packing: .bestFitDecreasing, packWindow: 2), tokens: Self.tokens())
        var w = SupervisedFineTuning.Builder(windowed)
        for (i, n) in [3, 3, 3, 3].enumerated() { try w.append(Self.document(n, tag: Int32(30 + i))) }
        w.finishInput()
        let rows = w.nextBatch(maxRows: 8, threads: 1)!
        #expect(rows.rows == 2)
        #expect(Array(rows["input_ids"]!.row(0).prefix(6)) == [30, 30, 30, 31, 31, 31])

        #expect(throws: ObjectiveError.lengthMismatch(what: "labels", expected: 2, got: 1)) {
            try w.append(Document(ids: [1, 2], labels: [1]))
        }
        #expect(throws: ObjectiveError.idOutOfRange(id: 5000, vocabularySize: 1000)) { try w.append(Document(ids: [5000])) }
        #expect(throws: ObjectiveError.self) { try SupervisedFineTuning(.init(sequenceLength: 1), tokens: Self.tokens()) }
    }

    /// Best-fit-decreasing over random lengths: every example appears once, intact, and no row
    /// overflows; each example went to the fullest row that could take it.
    @Test func packingPropertiesOnRandomLengths() throws {
        var rng = SplitMix64(seed: 7)
        let L = 64
        let sft = try SupervisedFineTuning(.init(sequenceLength: L, packing: .bestFitDecreasing, packWindow: 50), tokens: Self.tokens())
        var b = SupervisedFineTuning.Builder(sft)
        var lengths: [Int] = []
        for i in 0..<300 {
            let n = 1 + Int(rng.next() % UInt64(L))
            lengths.append(n)
            try b.append(Document(ids: [Int32](repeating: Int32(100 + i % 800), count: n)))
        }
        b.finishInput()
        var seen: [Int] = []
        var rows = 0
        while let batch = b.nextBatch(maxRows: 16, threads: 1) {
            for r in 0..<batch.rows {
                rows += 1
                let seg = Array(batch["segment_ids"]!.row(r))
                var counts: [Int32: Int] = [:]
                for s in seg where s > 0 { counts[s, default: 0] += 1 }
                seen += counts.keys.sorted().map { counts[$0]! }
            }
        }
        #expect(seen.sorted() == lengths.sorted())
        // Best-fit-decreasing needs at most 11/9 of the optimum (+1) per window; the optimum of
        // the 6 windows together is at most the whole lower bound + 6.
        let bound = (lengths.reduce(0, +) + L - 1) / L
        #expect(rows < lengths.count && rows <= (11 * (bound + 6)) / 9 + 6)
    }

    /// The README's library example, on a fixture folder.
    @Test func readmeLibraryExample() throws {
        let folder = try ModelFolder(contentsOf: Fixtures.url("sft/chatml-generation").path)
        let encoder = ChatExampleEncoder(template: try folder.chatTemplate(), tokenizer: folder.tokenizer,
                                         specialTokens: folder.templateVariables,
                                         configuration: .init(maxLength: 2048, truncation: .turns))
        let session = encoder.makeSession()
        let conversation = try ChatConversation(record: ["messages": [["role": "user", "content": "민법 제750조는?"],
                                                                      ["role": "assistant", "content": "불법행위 책임입니다."]]])
        let example = try encoder.example(conversation, session: session)
        #expect(example == (try encoder.example(conversation)))   // the same without a session
        var builder = SupervisedFineTuning.Builder(try SupervisedFineTuning(.init(sequenceLength: 2048, packing: .bestFitDecreasing),
                                                                            tokens: SpecialTokens(vocabularySize: folder.tokenizer.vocabularySize, special: [])))
        try builder.append(Document(ids: example.ids, labels: example.labels))
        builder.finishInput()
        let next = builder.nextBatch(maxRows: 8, threads: 1)
        let batch = try #require(next)
        #expect(batch.rows == 1)
        #expect(Array(batch["labels"]!.row(0).prefix(example.ids.count)) == example.labels)
        #expect(try Self.learnedText(example, folder.tokenizer).joined().hasPrefix("불법행위 책임입니다."))
    }
}
