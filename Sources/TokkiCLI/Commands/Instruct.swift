import ArgumentParser
import Foundation
import Tokki
import TokkiData

/// `tokki instruct`: render task records with FLAN-style instruction templates.
struct Instruct: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "instruct",
        abstract: "Render JSONL task records into instruction examples with FLAN-style templates.",
        discussion: """
        Reads one JSON object per line: the fields of a task of the template set
        (--templates, a tokki-flan/1 file; default: the shipped Korean legal set
        Templates/ko-legal.json). The task is --task, else each record's "task"
        member. Each record gets one of the task's templates, chosen from --seed
        and the record's line (the same whatever else is in the input; with
        --index-field ID, from the record's ID instead, so that splitting or
        reordering the input keeps every choice), and is
        written in input order as {"messages": [...]} or {"prompt", "completion"}.

        With --shots K, a few-shot or inverted template is preceded by up to K
        solved exemplars: other records of the same task (never the record
        itself, nor one with the same content), in a seeded order, inlined in
        the user message (or, with --exemplar-turns, as earlier turns). With
        --max-tokens N, exemplars are added only while the example (its texts
        encoded one by one with --model, default the shipped vocabulary) stays
        within N tokens. --exemplar-pool N draws them from the first N good
        records of each task only. Memory: zero-shot streams; with --shots, a
        --input FILE is read twice (the pools first) and memory holds the pools;
        stdin is held whole.

        A blank line, invalid JSON, an unknown task, a missing or mistyped field
        is counted and, with --rejected FILE, written there as a JSON line with
        the rule, the reason, the line and the text; without --rejected the
        first ten go to stderr. --strict stops at the first with exit 65.

        Examples:
          tokki instruct --task statute_qa --input qa.jsonl --output sft.jsonl
          tokki instruct --input legal.jsonl --shots 3 --max-tokens 2048 \\
              --model models/exaone --format prompt-completion --seed 7
          tokki instruct --templates my-set.json --kinds zero-shot,inverted \\
              --input cases.jsonl --rejected rejected.jsonl --with-metadata
          tokki instruct --list-tasks
        """
    )

    @Option(help: ArgumentHelp("The template set, a tokki-flan/1 JSON file (default: Templates/ko-legal.json).", valueName: "FILE"))
    var templates: String?

    @Option(help: ArgumentHelp("Render every record with this task (default: each record's \"task\" member).", valueName: "NAME"))
    var task: String?

    @Option(help: "Input JSONL file (default: stdin).")
    var input: String?

    @Option(help: "Output file, written atomically (default: stdout).")
    var output: String?

    @Option(help: ArgumentHelp("messages or prompt-completion.", valueName: "FORMAT"))
    var format: InstructionRenderer.OutputFormat = .messages

    @Option(help: "Seed of the template and exemplar choices.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Key the choices on this field (an id: integer or string) instead of the line number, so that splitting or reordering the input keeps them.", valueName: "NAME"))
    var indexField: String?

    @Option(help: ArgumentHelp("Most exemplars before a few-shot or inverted template (0: all zero-shot).", valueName: "K"))
    var shots: Int = 0

    @Option(help: ArgumentHelp("Token budget of an example with its exemplars, measured with --model.", valueName: "N"))
    var maxTokens: Int?

    @Option(help: ArgumentHelp("Kinds of template to draw from, comma-separated: zero-shot, few-shot, inverted.", valueName: "LIST"))
    var kinds: String = "zero-shot,few-shot,inverted"

    @Option(help: ArgumentHelp("A system message for every example.", valueName: "TEXT"))
    var system: String?

    @Flag(help: "With --format messages: each exemplar as its own user and assistant turns.")
    var exemplarTurns = false

    @Option(help: ArgumentHelp("Write rejected records here (JSON lines: rule, detail, source, line, text).", valueName: "FILE"))
    var rejected: String?

    @Option(help: ArgumentHelp("Draw exemplars from the first N good records of each task (default: all).", valueName: "N"))
    var exemplarPool: Int?

    @Flag(help: "Stop at the first rejected record (exit 65).")
    var strict = false

    @Flag(help: "Add a \"meta\" member: task, template id and kind, line, exemplar lines, tokens.")
    var withMetadata = false

    @Flag(help: "List the template set's tasks (fields, template counts) and exit.")
    var listTasks = false

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var progressOptions: ProgressOptions
    @OptionGroup var lineLimit: LineLimitOptions

    func validate() throws {
        if shots < 0 { throw ValidationError("--shots must be 0 or more") }
        if let maxTokens, maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1") }
        if let exemplarPool, exemplarPool < 1 { throw ValidationError("--exemplar-pool must be at least 1") }
        if modelOptions.model != nil && maxTokens == nil { throw ValidationError("--model measures --max-tokens: give --max-tokens too") }
        if exemplarTurns && format != .messages { throw ValidationError("--exemplar-turns needs --format messages") }
    }

    func run() throws {
        let set = try loadSet()
        if listTasks { return try printTasks(set) }
        var renderer = InstructionRenderer(seed: seed, shots: shots, kinds: try parseKinds(), system: system, format: format)
        renderer.exemplarTurns = exemplarTurns
        if let task, set.task(task) == nil {
            throw fail(.usage, "--task \(task): no such task in \(templatesPath ?? "the template set") (tasks: \(set.taskNames.joined(separator: ", ")))")
        }
        if let task, let t = set.task(task), t.templates(of: renderer.kinds).isEmpty {
            throw fail(.usage, "task '\(task)' has no template of kind \(kinds)")
        }
        if let maxTokens {
            renderer.maxTokens = maxTokens
            renderer.tokenizer = try modelOptions.load()
        }

        let poolLimit = exemplarPool ?? Int.max
        var pools: [String: [InstructionRecord]] = [:]
        // Few-shot from a regular file: a first pass collects the exemplar pools, the second
        // streams. From stdin (or a pipe), the records are held until the input ends.
        let twoPasses = shots > 0 && Self.isRegularFile(input)
        if twoPasses {
            var first = try LineReader.open(input, maxLineBytes: lineLimit.maxLineBytes.value)
            var lineNumber = 0
            try first.forEachLine { (bytes, _, _) throws(ExitCode) in
                lineNumber += 1
                if case .record(let record) = readRecord(bytes, line: lineNumber, set: set, kinds: renderer.kinds),
                   pools[record.task, default: []].count < poolLimit {
                    pools[record.task, default: []].append(record)
                }
            }
        }

        var reader = try LineReader.open(input, maxLineBytes: lineLimit.maxLineBytes.value)
        let source = reader.displayName
        var sink = try InstructSink(output: output, rejected: rejected, source: source, strict: strict, metadata: withMetadata, format: format)
        let progress = progressOptions.progress()
        let streaming = shots == 0 || twoPasses
        var held: [(line: Int, record: InstructionRecord?)] = []
        do {
            var lineNumber = 0
            try reader.forEachLine { (bytes, _, _) throws(ExitCode) in
                lineNumber += 1
                switch readRecord(bytes, line: lineNumber, set: set, kinds: renderer.kinds) {
                case .rejected(let rejection):
                    try sink.reject(rejection, line: lineNumber, raw: Array(bytes))
                    if !streaming { held.append((lineNumber, nil)) }
                case .record(let record):
                    if streaming {
                        try sink.render(record, line: lineNumber, set: set, renderer: renderer, pool: pools[record.task] ?? [], raw: Array(bytes))
                    } else {
                        held.append((lineNumber, record))
                        if pools[record.task, default: []].count < poolLimit { pools[record.task, default: []].append(record) }
                    }
                }
                if lineNumber % 1000 == 0 { progress.report("reading", Double(lineNumber)) }
            }
            for (k, item) in held.enumerated() {
                guard let record = item.record else { continue }
                try sink.render(record, line: item.line, set: set, renderer: renderer, pool: pools[record.task] ?? [], raw: [])
                if k % 1000 == 999 { progress.report("rendering", Double(k + 1) / Double(held.count)) }
            }
            progress.finish()
            try sink.finish()
        } catch {
            sink.abort()
            throw error
        }
        if !progressOptions.quiet { printError(sink.summary()) }
    }

    /// Whether `path` names a regular file (which can be read twice); nil and "-" are stdin.
    static func isRegularFile(_ path: String?) -> Bool {
        guard let path, path != "-",
              let type = try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType else { return false }
        return type == .typeRegular
    }

    /// The template-set path: --templates, else the shipped set.
    var templatesPath: String? { templates ?? defaultTemplatesPath() }

    func loadSet() throws(ExitCode) -> InstructionTemplateSet {
        guard let path = templatesPath else {
            throw fail(.usage, "the shipped template set (Templates/\(defaultTemplatesName)) was not found: pass --templates FILE or set TOKKI_TEMPLATES")
        }
        do {
            return try InstructionTemplateSet(contentsOf: path)
        } catch {
            if case .cannotRead = error { throw fail(.noInput, error.description) }
            throw fail(.dataError, error.description)
        }
    }

    func parseKinds() throws(ExitCode) -> Set<InstructionTemplateKind> {
        var out = Set<InstructionTemplateKind>()
        for name in kinds.split(separator: ",") {
            let n = name.trimmingCharacters(in: .whitespaces)
            guard let kind = InstructionTemplateKind(rawValue: n) else {
                throw fail(.usage, "--kinds: unknown kind '\(n)' (expected zero-shot, few-shot, inverted)")
            }
            out.insert(kind)
        }
        guard !out.isEmpty else { throw fail(.usage, "--kinds: give at least one of zero-shot, few-shot, inverted") }
        return out
    }

    func printTasks(_ set: InstructionTemplateSet) throws(ExitCode) {
        var out = OutputWriter()
        for t in set.tasks {
            let count = { (k: InstructionTemplateKind) in t.templates.filter { $0.kind == k }.count }
            var line = "\(t.name)\t\(count(.zeroShot)) zero-shot, \(count(.fewShot)) few-shot, \(count(.inverted)) inverted\tfields: \(t.fields.joined(separator: ", "))"
            if let d = t.description { line += "\t\(d)" }
            try out.write(line + "\n")
        }
        try out.flush()
    }

    /// A record, or why it is rejected.
    enum ReadRecord {
        case record(InstructionRecord)
        case rejected(Rejection)
    }

    func readRecord(_ bytes: UnsafeBufferPointer<UInt8>, line: Int, set: InstructionTemplateSet,
                    kinds: Set<InstructionTemplateKind>) -> ReadRecord {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return .rejected(Rejection(rule: "empty", detail: "blank line")) }
        let value: TemplateValue
        do {
            value = try TemplateValue.parseJSON(Array(bytes))
        } catch {
            var problem = error.description
            if case .invalidModel(_, let p) = error { problem = p }
            return .rejected(Rejection(rule: "invalid_json", detail: problem))
        }
        guard case .object(let object) = value else { return .rejected(Rejection(rule: "invalid_json", detail: "expected a JSON object")) }
        let name: String
        if let task {
            name = task
        } else {
            guard let member = object["task"] else {
                return .rejected(Rejection(rule: "missing_field", detail: "no \"task\" member (or give --task NAME)"))
            }
            guard case .string(let s) = member else { return .rejected(Rejection(rule: "invalid_field", detail: "\"task\" must be a string")) }
            name = s
        }
        guard let t = set.task(name) else {
            return .rejected(Rejection(rule: "unknown_task", detail: "unknown task '\(name)' (tasks: \(set.taskNames.joined(separator: ", ")))"))
        }
        if t.templates(of: kinds).isEmpty {
            let e = InstructionTemplateError.noTemplates(task: name, kinds: kinds.map(\.rawValue).sorted())
            return .rejected(Rejection(rule: e.rule, detail: e.description))
        }
        do throws(InstructionTemplateError) {
            var record = try InstructionRecord(index: line - 1, task: t, object: object)
            if let indexField {
                switch object[indexField] {
                case .int(let i)?: record.key = i
                case .string(let id)?: record.key = Self.stableKey(id)
                case nil, .none?: return .rejected(Rejection(rule: "missing_field", detail: "no \"\(indexField)\" member (--index-field)"))
                default: return .rejected(Rejection(rule: "invalid_field", detail: "\"\(indexField)\" must be an integer or a string (--index-field)"))
                }
            }
            return .record(record)
        } catch {
            return .rejected(Rejection(rule: error.rule, detail: error.description))
        }
    }
}

/// The file name of the shipped template set.
let defaultTemplatesName = "ko-legal.json"

/// Where the shipped template set is: `$TOKKI_TEMPLATES`, else `Templates/` in the current
/// folder, beside the executable's package (`swift run`), or in the source checkout it was
/// built from (as ``defaultModelPath()`` finds `Vocab/`).
func defaultTemplatesPath() -> String? {
    if let env = ProcessInfo.processInfo.environment["TOKKI_TEMPLATES"], !env.isEmpty { return env }
    var candidates = [FileManager.default.currentDirectoryPath + "/Templates/" + defaultTemplatesName]
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<4 {
        candidates.append(dir.appendingPathComponent("Templates/" + defaultTemplatesName).path)
        dir = dir.deletingLastPathComponent()
    }
    let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    candidates.append(source.appendingPathComponent("Templates/" + defaultTemplatesName).path)
    return candidates.first { FileManager.default.fileExists(atPath: $0) }
}

extension InstructionRenderer.OutputFormat: ExpressibleByArgument {}

/// Where `instruct` writes examples and rejected records, and what it counts.
struct InstructSink {
    let output: AtomicFile?
    var stdout = OutputWriter()
    let rejected: AtomicFile?
    let source: String
    let strict: Bool
    let metadata: Bool
    let format: InstructionRenderer.OutputFormat

    var records = 0
    var rendered = 0
    var withExemplars = 0
    var exemplars = 0
    var overBudget = 0
    var rejections: [String: Int] = [:]
    var reported = 0

    init(output: String?, rejected: String?, source: String, strict: Bool, metadata: Bool,
         format: InstructionRenderer.OutputFormat) throws(ExitCode) {
        do {
            self.output = try output.flatMap { (p) throws(DataError) in p == "-" ? nil : try AtomicFile(path: p) }
            self.rejected = try rejected.map { (p) throws(DataError) in try AtomicFile(path: p) }
        } catch {
            throw fail(.cannotCreate, error.description)
        }
        self.source = source
        self.strict = strict
        self.metadata = metadata
        self.format = format
    }

    mutating func render(_ record: InstructionRecord, line: Int, set: InstructionTemplateSet, renderer: InstructionRenderer,
                         pool: [InstructionRecord], raw: [UInt8]) throws(ExitCode) {
        let example: RenderedInstruction
        do throws(InstructionTemplateError) {
            guard let task = set.task(record.task) else { throw .unknownTask(record.task) }
            example = try renderer.render(record, task: task, exemplarPool: pool)
        } catch {
            try reject(Rejection(rule: error.rule, detail: error.description), line: line, raw: raw)
            return
        }
        records += 1
        rendered += 1
        if example.shots > 0 { withExemplars += 1; exemplars += example.shots }
        if example.overBudget { overBudget += 1 }
        var row: [UInt8] = []
        switch format {
        case .messages:
            row += Array("{\"messages\":[".utf8)
            for (k, m) in example.messages.enumerated() {
                if k > 0 { row.append(0x2C) }
                row += Array("{\"role\":".utf8); JSONText.appendString(m.role, to: &row)
                row += Array(",\"content\":".utf8); JSONText.appendString(m.content, to: &row)
                row.append(0x7D)
            }
            row.append(0x5D)
        case .promptCompletion:
            let pc = example.promptCompletion
            row += Array("{\"prompt\":".utf8); JSONText.appendString(pc.prompt, to: &row)
            row += Array(",\"completion\":".utf8); JSONText.appendString(pc.completion, to: &row)
        }
        if metadata {
            row += Array(",\"meta\":{\"task\":".utf8); JSONText.appendString(example.task, to: &row)
            row += Array(",\"template\":".utf8); JSONText.appendString(example.templateID, to: &row)
            row += Array(",\"kind\":".utf8); JSONText.appendString(example.kind.rawValue, to: &row)
            row += Array(",\"line\":".utf8); JSONText.appendInteger(line, to: &row)
            row += Array(",\"exemplar_lines\":[".utf8)
            for (k, i) in example.exemplarIndices.enumerated() {
                if k > 0 { row.append(0x2C) }
                JSONText.appendInteger(i + 1, to: &row)
            }
            row.append(0x5D)
            if let tokens = example.tokenCount {
                row += Array(",\"tokens\":".utf8); JSONText.appendInteger(tokens, to: &row)
            }
            if example.overBudget { row += Array(",\"over_budget\":true".utf8) }
            row.append(0x7D)
        }
        row += [0x7D, 0x0A]
        try write(row)
    }

    mutating func write(_ row: [UInt8]) throws(ExitCode) {
        if let output {
            do { try output.write(row) } catch { throw fail(.ioError, error.description) }
        } else {
            try stdout.write(row)
        }
    }

    /// Counts a rejected record and writes it to --rejected (or the first ten to stderr);
    /// under --strict, stops with exit 65.
    mutating func reject(_ why: Rejection, line: Int, raw: [UInt8]) throws(ExitCode) {
        records += 1
        rejections[why.rule, default: 0] += 1
        if strict { throw fail(.dataError, "\(source):\(line): \(why.detail)") }
        guard let rejected else {
            reported += 1
            if reported <= 10 { printError("tokki: \(source):\(line): \(why.detail)") }
            if reported == 10 { printError("tokki: (further rejected records are only counted; use --rejected FILE to keep them)") }
            return
        }
        var row: [UInt8] = Array("{\"rule\":".utf8)
        JSONText.appendString(why.rule, to: &row)
        row += Array(",\"detail\":".utf8); JSONText.appendString(why.detail, to: &row)
        row += Array(",\"source\":".utf8); JSONText.appendString(source, to: &row)
        row += Array(",\"line\":".utf8); JSONText.appendInteger(line, to: &row)
        row += Array(",\"text\":".utf8); JSONText.appendString(String(decoding: raw, as: UTF8.self), to: &row)
        row += [0x7D, 0x0A]
        do { try rejected.write(row) } catch { throw fail(.ioError, error.description) }
    }

    mutating func finish() throws(ExitCode) {
        try stdout.flush()
        do {
            try output?.commit()
            try rejected?.commit()
        } catch {
            throw fail(.ioError, error.description)
        }
    }

    func abort() {
        output?.abort()
        rejected?.abort()
    }

    /// One line: records, rendered (with exemplars), over budget, rejected by rule.
    func summary() -> String {
        var s = "tokki instruct: \(records) record\(records == 1 ? "" : "s"), \(rendered) rendered (\(withExemplars) with exemplars, \(exemplars) exemplars in all"
        if overBudget > 0 { s += ", \(overBudget) over budget without exemplars" }
        s += "), \(records - rendered) rejected"
        if !rejections.isEmpty {
            s += " (" + rejections.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
        }
        return s
    }
}

extension Instruct {
    /// A string id as a choice key: FNV-1a over its UTF-8, the same on every machine.
    static func stableKey(_ id: String) -> Int {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in id.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return Int(truncatingIfNeeded: h >> 1)
    }
}
