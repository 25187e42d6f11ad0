/// One record of a task, checked against the task's declared fields.
///
/// Text fields may be JSON strings, numbers or booleans (written as JSON writes them); the
/// task's options field must be a non-empty list of such values. Fields the task does not
/// declare are ignored.
public struct InstructionRecord: Sendable, Equatable {
    /// The record's position in its input (0-based): how a record is told apart from its
    /// exemplars.
    public let index: Int
    /// What template choice and exemplar order are keyed on: ``index`` unless set, for
    /// example to a stable id of the record (`tokki instruct --index-field`), so that the
    /// choices do not change when the input is split or reordered.
    public var key: Int
    /// The task's name.
    public let task: String
    /// The text fields by name.
    public let values: [String: String]
    /// The answer options, when the task has an options field.
    public let options: [String]?

    /// A record from a JSON object (as ``TemplateValue/parseJSON(_:)`` reads a JSONL line).
    ///
    /// - Throws: ``InstructionTemplateError/missingField(task:field:)`` for a declared field
    ///   that is absent or null, ``InstructionTemplateError/invalidField(task:field:problem:)``
    ///   for a list or object where text is needed, or an options field that is not a
    ///   non-empty list of texts.
    public init(index: Int, task: InstructionTask, object: TemplateObject) throws(InstructionTemplateError) {
        var values: [String: String] = [:]
        var options: [String]? = nil
        for field in task.fields {
            guard let value = object[field], value != .none else { throw .missingField(task: task.name, field: field) }
            if field == task.options?.field {
                guard case .array(let items) = value else {
                    throw .invalidField(task: task.name, field: field, problem: "the answer options must be a list, found \(Self.typeName(value))")
                }
                guard !items.isEmpty else { throw .invalidField(task: task.name, field: field, problem: "the list of answer options is empty") }
                var list: [String] = []
                for item in items {
                    guard let text = Self.text(item) else {
                        throw .invalidField(task: task.name, field: field, problem: "an answer option must be text, found \(Self.typeName(item))")
                    }
                    list.append(text)
                }
                options = list
            } else {
                guard let text = Self.text(value) else {
                    throw .invalidField(task: task.name, field: field, problem: "expected text, found \(Self.typeName(value))")
                }
                values[field] = text
            }
        }
        self.index = index
        self.key = index
        self.task = task.name
        self.values = values
        self.options = options
    }

    /// A record from text fields (and the options list when the task has one), checked as
    /// ``init(index:task:object:)`` checks a JSON object.
    public init(index: Int, task: InstructionTask, fields: [String: String], options: [String]? = nil) throws(InstructionTemplateError) {
        var object = TemplateObject()
        for (k, v) in fields.sorted(by: { $0.key < $1.key }) { object[k] = .string(v) }
        if let field = task.options?.field, let options { object[field] = .array(options.map { .string($0) }) }
        try self.init(index: index, task: task, object: object)
    }

    private static func text(_ value: TemplateValue) -> String? {
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .bool(let b): return b ? "true" : "false"
        case .none, .array, .object: return nil
        }
    }

    private static func typeName(_ value: TemplateValue) -> String {
        switch value {
        case .none: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }

    /// The value of a placeholder: a field, or `{options_}` rendered with `format`.
    func value(_ name: String, options format: AnswerOptionsFormat?) -> String? {
        if name == "options_", let format, let options { return format.render(options) }
        return values[name]
    }

    /// Whether two records hold the same content (same task, fields and options).
    func sameContent(as other: InstructionRecord) -> Bool {
        task == other.task && values == other.values && options == other.options
    }
}

/// Renders task records with FLAN-style templates into training examples.
///
/// Every choice is a function of (``seed``, record index), through a counter-based hash
/// (SplitMix64's finaliser), so a record renders the same whatever the order, batch or thread
/// it is rendered in:
///
/// - the template: one of the task's templates whose kind is in ``kinds``, uniformly;
/// - the exemplars (few-shot and inverted templates, when ``shots`` > 0): other records of
///   the same task from the pool, visited in a seeded order (a start and a stride coprime to
///   the pool size: every record at most once, and no more than 16 × ``shots`` + 64 of them),
///   skipping the record itself and any record with the same content, up to ``shots`` of
///   them, rendered with the record's template. With ``maxTokens`` and a ``tokenizer``, an
///   exemplar is added only while the whole example stays within the budget (the first that
///   does not fit ends the list).
///
/// ```swift
/// let set = try InstructionTemplateSet(contentsOf: "Templates/ko-legal.json")
/// guard let task = set.task("statute_qa") else { return }
/// let records = try lines.enumerated().map { i, line in
///     guard case .object(let o) = try TemplateValue.parseJSON(Array(line.utf8)) else { throw BadLine() }
///     return try InstructionRecord(index: i, task: task, object: o)
/// }
/// var renderer = InstructionRenderer(seed: 7, shots: 2)
/// renderer.maxTokens = 1024
/// renderer.tokenizer = try loadTokenizer(at: "Vocab/tokki-ko-bpe-16k.model")
/// let example = try renderer.render(records[0], task: task, exemplarPool: records)
/// example.messages    // [user: exemplars + instruction, assistant: answer]
/// ```
public struct InstructionRenderer: Sendable {
    /// The shape of an output example.
    public enum OutputFormat: String, Sendable, CaseIterable {
        /// A system message (if any), one user message (exemplars and instruction) and one
        /// assistant message (the answer).
        case messages
        /// A prompt (system text, a blank line, exemplars and instruction) and a completion.
        case promptCompletion = "prompt-completion"
    }

    /// The seed of every choice.
    public var seed: UInt64
    /// The most exemplars before a few-shot or inverted template (0: every record zero-shot).
    public var shots: Int
    /// The kinds of template to choose from.
    public var kinds: Set<InstructionTemplateKind>
    /// An optional system message (in a prompt-completion example: the prompt's first paragraph).
    public var system: String?
    /// The output shape: what the token budget measures.
    public var format: OutputFormat
    /// The most tokens of an example with its exemplars (nil: no budget), measured with
    /// ``tokenizer`` as the sum of the counts of each text of the example (system, user and
    /// assistant messages; or prompt and completion), encoded separately without special
    /// tokens. A chat template adds its own tokens on top. A record over the budget on its
    /// own is rendered without exemplars and marked ``RenderedInstruction/overBudget``.
    public var maxTokens: Int?
    /// The tokenizer that measures ``maxTokens``.
    public var tokenizer: (any Tokenizer)?
    /// In ``OutputFormat/messages``: each exemplar as a user message (its instruction) and an
    /// assistant message (its answer) before the record's, instead of all of them inlined in
    /// one user message with the task's few-shot layout (default false).
    public var exemplarTurns = false

    /// A renderer; every kind of template, no budget.
    public init(seed: UInt64 = 0, shots: Int = 0, kinds: Set<InstructionTemplateKind> = Set(InstructionTemplateKind.allCases),
                system: String? = nil, format: OutputFormat = .messages) {
        self.seed = seed
        self.shots = shots
        self.kinds = kinds
        self.system = system
        self.format = format
    }

    /// The template the record at `index` gets.
    ///
    /// - Throws: ``InstructionTemplateError/noTemplates(task:kinds:)``.
    public func template(for task: InstructionTask, index: Int) throws(InstructionTemplateError) -> InstructionTemplate {
        let candidates = task.templates(of: kinds)
        guard !candidates.isEmpty else {
            throw .noTemplates(task: task.name, kinds: InstructionTemplateKind.allCases.filter { kinds.contains($0) }.map(\.rawValue))
        }
        return candidates[InstructionHash.below(candidates.count, InstructionHash.value(seed: seed, index: index, stream: 0))]
    }

    /// Renders `record` (a record of `task`) with its template and, for a few-shot or inverted
    /// template, exemplars from `exemplarPool` (records of the same task; records of other
    /// tasks, the record itself and records with its content are skipped).
    ///
    /// - Throws: ``InstructionTemplateError/noTemplates(task:kinds:)``;
    ///   ``InstructionTemplateError/unknownTask(_:)`` when the record belongs to another task;
    ///   ``InstructionTemplateError/tokenization(_:)`` when the tokenizer fails.
    public func render(_ record: InstructionRecord, task: InstructionTask,
                       exemplarPool: [InstructionRecord] = []) throws(InstructionTemplateError) -> RenderedInstruction {
        guard record.task == task.name else { throw .unknownTask(record.task) }
        let template = try template(for: task, index: record.key)
        let (input, target) = try Self.fill(template, record, task)
        let layout = task.fewShot
        var exemplars: [RenderedInstruction.Exemplar] = []

        func assemble() -> RenderedInstruction {
            var prompt = ""
            if !exemplars.isEmpty {
                prompt = layout.prefix
                for e in exemplars { prompt += layout.exemplar(input: e.input, target: e.target) + layout.separator }
            }
            prompt += layout.beforeInput + input + layout.beforeTarget
            return RenderedInstruction(task: task.name, templateID: template.id, kind: template.kind, index: record.index,
                                       exemplars: exemplars, input: input, target: target, system: system,
                                       exemplarTurns: exemplarTurns, prompt: prompt, completion: target + layout.afterTarget)
        }

        var example = assemble()
        guard let maxTokens, let tokenizer else {
            if template.takesExemplars && shots > 0 {
                for candidate in exemplarOrder(record, exemplarPool, template, task) {
                    exemplars.append(candidate)
                    if exemplars.count == shots { break }
                }
                example = assemble()
            }
            return example
        }
        var tokens = try Self.count(example, format: format, tokenizer: tokenizer)
        if tokens > maxTokens {
            example.overBudget = true
            example.tokenCount = tokens
            return example
        }
        if template.takesExemplars && shots > 0 {
            for candidate in exemplarOrder(record, exemplarPool, template, task) {
                exemplars.append(candidate)
                let longer = assemble()
                let n = try Self.count(longer, format: format, tokenizer: tokenizer)
                if n > maxTokens { exemplars.removeLast(); break }
                example = longer
                tokens = n
                if exemplars.count == shots { break }
            }
        }
        example.tokenCount = tokens
        return example
    }

    /// Candidate exemplars in seeded order, rendered lazily with the record's template.
    private func exemplarOrder(_ record: InstructionRecord, _ pool: [InstructionRecord],
                               _ template: InstructionTemplate, _ task: InstructionTask) -> ExemplarSequence {
        ExemplarSequence(seed: seed, record: record, pool: pool, template: template, task: task,
                         limit: Self.candidateLimit(shots: shots))
    }

    /// The most pool records looked at for one record's exemplars: 16 per shot + 64, so that a
    /// pool full of copies of the record cannot make rendering quadratic.
    static func candidateLimit(shots: Int) -> Int {
        let (v, o1) = shots.multipliedReportingOverflow(by: 16)
        let (w, o2) = v.addingReportingOverflow(64)
        return o1 || o2 ? Int.max : w
    }

    /// Input and target of `record` under `template`.
    static func fill(_ template: InstructionTemplate, _ record: InstructionRecord, _ task: InstructionTask) throws(InstructionTemplateError) -> (String, String) {
        let lookup: (String) -> String? = { record.value($0, options: task.options) }
        do {
            return (try template.input.render(lookup), try template.target.render(lookup))
        } catch {
            throw .missingField(task: task.name, field: error.name == "options_" ? (task.options?.field ?? "options_") : error.name)
        }
    }

    /// The token count of `example` as ``maxTokens`` measures it.
    public static func count(_ example: RenderedInstruction, format: OutputFormat, tokenizer: any Tokenizer) throws(InstructionTemplateError) -> Int {
        var n = 0
        for text in example.texts(format) {
            do { n += try tokenizer.encodeIDs(text, options: EncodeOptions()).count } catch { throw .tokenization(error) }
        }
        return n
    }

    /// The exemplar candidates for one record: every record of the pool once, in an order set by
    /// (seed, record index), skipping the record, records of other tasks and records with the
    /// record's content; each rendered as a solved exemplar with the record's template.
    struct ExemplarSequence: Sequence, IteratorProtocol {
        let record: InstructionRecord
        let pool: [InstructionRecord]
        let template: InstructionTemplate
        let task: InstructionTask
        private var visited = 0
        private var position: Int
        private let stride: Int
        private let limit: Int

        init(seed: UInt64, record: InstructionRecord, pool: [InstructionRecord], template: InstructionTemplate,
             task: InstructionTask, limit: Int) {
            self.record = record
            self.pool = pool
            self.limit = Swift.min(limit, pool.count)
            self.template = template
            self.task = task
            let n = pool.count
            if n > 1 {
                position = InstructionHash.below(n, InstructionHash.value(seed: seed, index: record.key, stream: 1))
                var s = 1 + InstructionHash.below(n - 1, InstructionHash.value(seed: seed, index: record.key, stream: 2))
                while gcd(s, n) != 1 { s += 1 }
                stride = s
            } else {
                position = 0
                stride = 1
            }
        }

        mutating func next() -> RenderedInstruction.Exemplar? {
            while visited < limit {
                let candidate = pool[position]
                visited += 1
                position = (position + stride) % pool.count
                if candidate.index == record.index || candidate.task != task.name || candidate.sameContent(as: record) { continue }
                // Records of the task have every field the template needs.
                guard let (input, target) = try? InstructionRenderer.fill(template, candidate, task) else { continue }
                return RenderedInstruction.Exemplar(index: candidate.index, input: input, target: target)
            }
            return nil
        }
    }
}

/// The pieces of one rendered example.
public struct RenderedInstruction: Sendable, Equatable {
    /// The task's name.
    public let task: String
    /// The template's id.
    public let templateID: String
    /// The template's kind.
    public let kind: InstructionTemplateKind
    /// The record's index.
    public let index: Int
    /// The exemplars, in prompt order.
    public let exemplars: [Exemplar]
    /// The record's instruction (the template's input, without the few-shot layout).
    public let input: String
    /// The record's answer (the template's target, without the few-shot layout).
    public let target: String
    /// The system message, if any.
    public let system: String?
    /// Whether ``messages`` gives each exemplar its own turns (``InstructionRenderer/exemplarTurns``).
    public let exemplarTurns: Bool
    /// The exemplars and the instruction, ending with the layout's text before the target.
    public let prompt: String
    /// The target and the layout's text after it.
    public let completion: String
    /// The measured token count (with a budget).
    public internal(set) var tokenCount: Int?
    /// Whether the record alone exceeded the budget (it is rendered without exemplars).
    public internal(set) var overBudget = false

    /// One solved exemplar: a record of the task rendered with the same template.
    public struct Exemplar: Sendable, Equatable {
        /// The exemplar record's index.
        public let index: Int
        /// Its instruction.
        public let input: String
        /// Its answer.
        public let target: String
    }

    /// The indices of the records used as exemplars, in prompt order.
    public var exemplarIndices: [Int] { exemplars.map(\.index) }

    /// The number of exemplars.
    public var shots: Int { exemplars.count }

    /// The example as chat messages: the system message (if any), the user message (the
    /// prompt without its trailing white space) and the assistant message (the completion).
    /// With ``exemplarTurns``: the system message, a user and an assistant message per
    /// exemplar, then the record's instruction and answer.
    public var messages: [(role: String, content: String)] {
        var out: [(role: String, content: String)] = []
        if let system { out.append(("system", system)) }
        if exemplarTurns {
            for e in exemplars {
                out.append(("user", e.input))
                out.append(("assistant", e.target))
            }
            out.append(("user", input))
            out.append(("assistant", target))
            return out
        }
        var user = Substring(prompt)
        while let last = user.last, last.isWhitespace { user.removeLast() }
        out.append(("user", String(user)))
        out.append(("assistant", completion))
        return out
    }

    /// The example as a prompt and a completion: the system text and a blank line (if any)
    /// before the prompt.
    public var promptCompletion: (prompt: String, completion: String) {
        (system.map { $0 + "\n\n" + prompt } ?? prompt, completion)
    }

    /// The texts of the example in `format`, in order (what a budget measures).
    public func texts(_ format: InstructionRenderer.OutputFormat) -> [String] {
        switch format {
        case .messages: return messages.map(\.content)
        case .promptCompletion: let pc = promptCompletion; return [pc.prompt, pc.completion]
        }
    }
}

/// The counter-based hash behind every choice of ``InstructionRenderer``.
enum InstructionHash {
    /// SplitMix64's finaliser of `z + γ`.
    static func mix(_ z: UInt64) -> UInt64 {
        var z = z &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The hash of (seed, index, stream): independent streams for independent choices.
    static func value(seed: UInt64, index: Int, stream: UInt64) -> UInt64 {
        mix(mix(mix(seed) ^ UInt64(truncatingIfNeeded: index)) ^ stream)
    }

    /// A number in 0..<n from a hash (multiply-high: no modulo bias worth naming).
    static func below(_ n: Int, _ h: UInt64) -> Int {
        Int(h.multipliedFullWidth(by: UInt64(n)).high)
    }
}

private func gcd(_ a: Int, _ b: Int) -> Int {
    var (a, b) = (a, b)
    while b != 0 { (a, b) = (b, a % b) }
    return a
}
