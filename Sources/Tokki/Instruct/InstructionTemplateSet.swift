import Foundation

/// FLAN-style instruction templates for a set of tasks, read from a `tokki-flan/1` JSON file.
///
/// Each task declares the fields its records carry and several hand-written templates that
/// phrase the task in different ways (FLAN's recipe): `zero-shot` templates are rendered
/// alone; `few-shot` templates may be preceded by solved exemplars of the same task;
/// `inverted` templates turn the task around (given the answer, write the question) and take
/// exemplars like few-shot ones. The file format:
///
/// ```json
/// {
///   "format": "tokki-flan/1",
///   "name": "ko-legal",
///   "tasks": {
///     "case_name": {
///       "description": "사건명 분류",
///       "fields": ["facts", "choices", "case_name"],
///       "options": {"field": "choices", "prefix": "선택지:\n", "item": "- {option}", "separator": "\n"},
///       "few_shot": {"exemplar": "{input}\n{target}", "separator": "\n\n"},
///       "templates": [
///         {"id": "cn-01", "kind": "zero-shot", "input": "{facts}\n\n{options_}", "target": "{case_name}"},
///         {"id": "cn-inv-1", "kind": "inverted", "input": "'{case_name}' 사건의 사실관계를 써라.", "target": "{facts}"}
///       ]
///     }
///   }
/// }
/// ```
///
/// - `format` (required): `"tokki-flan/1"`.
/// - `name`, `description`, `license` (optional strings) describe the set.
/// - `tasks` (required, at least one): task name → task.
/// - A task: `fields` (required, distinct placeholder names: every record of the task must
///   have them all), `templates` (required, at least one), `description` (optional),
///   `options` and `few_shot` (optional, below).
/// - A template: `id` (required, unique in its task), `kind` (`zero-shot`, `few-shot` or
///   `inverted`), `input` and `target` (required texts with `{field}` placeholders, see
///   ``PlaceholderText``; `{{` and `}}` are literal braces). Every placeholder must be a
///   declared field, or `{options_}`.
/// - `options` (answer options, FLAN's `{options_}`): `field` names the list field holding
///   the options; `{options_}` renders as `prefix` + each option through `item` (`{option}`
///   the option, `{n}` its 1-based number) joined by `separator` + `suffix`. Defaults:
///   `prefix` "OPTIONS:\n", `item` "- {option}", `separator` "\n", `suffix` "". The options
///   field itself cannot be used as a plain placeholder.
/// - `few_shot` (exemplar layout): `exemplar` must contain `{input}` then `{target}` (default
///   `"{input}\n{target}"`); exemplars are joined by `separator` (default `"\n\n"`) after an
///   optional `prefix`, and the record itself follows in the same layout, cut at `{target}`:
///   what precedes it is the prompt, the target and what follows is the completion.
/// - Keys starting with `_` are comments and ignored anywhere; any other unknown key is an
///   error (a misspelt key is never silently ignored).
///
/// Errors name the file, the line, the task and the template.
public struct InstructionTemplateSet: Sendable {
    /// The format name this version reads.
    public static let formatName = "tokki-flan/1"

    /// The set's name, if given.
    public let name: String?
    /// The set's description, if given.
    public let description: String?
    /// The set's licence statement, if given.
    public let license: String?
    /// The tasks in file order.
    public let tasks: [InstructionTask]

    /// The task named `name`.
    public func task(_ name: String) -> InstructionTask? { tasks.first { $0.name == name } }

    /// The task names in file order.
    public var taskNames: [String] { tasks.map(\.name) }

    /// Reads a template-set file.
    ///
    /// - Throws: ``InstructionTemplateError/invalidFile(source:line:task:template:problem:)``
    ///   naming `path`, or ``InstructionTemplateError/cannotRead(path:reason:)``.
    public init(contentsOf path: String) throws(InstructionTemplateError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .cannotRead(path: path, reason: "cannot read the file: check the path")
        }
        try self.init(json: [UInt8](data), source: path)
    }

    /// Parses a template set from JSON bytes; `source` names it in errors.
    ///
    /// - Throws: ``InstructionTemplateError/invalidFile(source:line:task:template:problem:)``.
    public init(json bytes: [UInt8], source: String = "templates") throws(InstructionTemplateError) {
        let document: JSONDocument
        do {
            document = try JSONDocument(bytes: bytes, path: nil)
        } catch {
            var problem = error.description
            if case .invalidModel(_, let p) = error { problem = p }
            throw .invalidFile(source: source, line: nil, task: nil, template: nil, problem: problem)
        }
        var reader = SetReader(document: document, source: source)
        let root = document.root
        let members = try reader.members(root, allowed: ["format", "name", "description", "license", "tasks"])
        guard let format = members["format"] else { throw reader.error(root, "missing \"format\": expected \"\(Self.formatName)\"") }
        let formatValue = try reader.string(format, "format")
        guard formatValue == Self.formatName else {
            throw reader.error(format, "format \"\(formatValue)\" is not supported: this version reads \"\(Self.formatName)\"")
        }
        name = try members["name"].map { (v) throws(InstructionTemplateError) in try reader.string(v, "name") }
        description = try members["description"].map { (v) throws(InstructionTemplateError) in try reader.string(v, "description") }
        license = try members["license"].map { (v) throws(InstructionTemplateError) in try reader.string(v, "license") }
        guard let tasksValue = members["tasks"] else { throw reader.error(root, "missing \"tasks\"") }
        guard tasksValue.kind == .object else { throw reader.error(tasksValue, "\"tasks\" must be an object of task name → task, found \(tasksValue.kind.name)") }
        var tasks: [InstructionTask] = []
        for (nameNode, valueNode) in try reader.orderedMembers(tasksValue) {
            let taskName = try reader.keyString(nameNode)
            if taskName.hasPrefix("_") { continue }
            reader.task = taskName
            if tasks.contains(where: { $0.name == taskName }) { throw reader.error(tasksValue.value(at: nameNode, path: ""), "duplicate task") }
            tasks.append(try reader.task(taskName, tasksValue.value(at: valueNode, path: "")))
            reader.task = nil
        }
        guard !tasks.isEmpty else { throw reader.error(tasksValue, "\"tasks\" is empty") }
        self.tasks = tasks
    }
}

/// One task of an ``InstructionTemplateSet``: its fields, answer options, exemplar layout and
/// templates.
public struct InstructionTask: Sendable {
    /// The task's name (its key in the file).
    public let name: String
    /// What the task is, if given.
    public let description: String?
    /// The fields every record of the task carries.
    public let fields: [String]
    /// How the answer options are rendered for `{options_}`, if the task has options.
    public let options: AnswerOptionsFormat?
    /// How exemplars and the record are laid out in a few-shot prompt.
    public let fewShot: FewShotLayout
    /// The templates in file order.
    public let templates: [InstructionTemplate]

    /// The templates whose kind is in `kinds`, in file order.
    public func templates(of kinds: Set<InstructionTemplateKind>) -> [InstructionTemplate] {
        templates.filter { kinds.contains($0.kind) }
    }
}

/// How a template is used.
public enum InstructionTemplateKind: String, Sendable, CaseIterable, Hashable {
    /// Rendered alone, never with exemplars.
    case zeroShot = "zero-shot"
    /// Rendered alone or after exemplars of the same task (up to the number of shots asked).
    case fewShot = "few-shot"
    /// The task turned around (given the answer, write the input); takes exemplars as
    /// `few-shot` does.
    case inverted
}

/// One instruction template: an input text and a target text with `{field}` placeholders.
public struct InstructionTemplate: Sendable, Equatable {
    /// The template's id, unique in its task.
    public let id: String
    /// How it is used.
    public let kind: InstructionTemplateKind
    /// The instruction (user side).
    public let input: PlaceholderText
    /// The expected answer (assistant side).
    public let target: PlaceholderText
    /// The 1-based line of the template's object in its file (0 when unknown).
    public let line: Int

    /// Whether exemplars may precede it.
    public var takesExemplars: Bool { kind != .zeroShot }
}

/// FLAN's answer options: how `{options_}` renders a list field.
public struct AnswerOptionsFormat: Sendable, Equatable {
    /// The list field holding the options.
    public let field: String
    /// Text before the first option.
    public let prefix: String
    /// One option: `{option}` is its text, `{n}` its 1-based number.
    public let item: PlaceholderText
    /// Between options.
    public let separator: String
    /// Text after the last option.
    public let suffix: String

    /// `{options_}` for `options`.
    public func render(_ options: [String]) -> String {
        var out = prefix
        for (k, option) in options.enumerated() {
            if k > 0 { out += separator }
            // The item's placeholders were checked at load: only {option} and {n}.
            out += (try? item.render { $0 == "option" ? option : $0 == "n" ? String(k + 1) : nil }) ?? option
        }
        return out + suffix
    }
}

/// How exemplars and the record are laid out in a prompt.
public struct FewShotLayout: Sendable, Equatable {
    /// Text before the first exemplar (only when there are exemplars).
    public let prefix: String
    /// Text before `{input}` in the layout.
    public let beforeInput: String
    /// Text between `{input}` and `{target}`: ends the prompt.
    public let beforeTarget: String
    /// Text after `{target}`: ends the completion.
    public let afterTarget: String
    /// Between exemplars, and between the last exemplar and the record.
    public let separator: String

    /// The default layout: `"{input}\n{target}"`, exemplars separated by a blank line.
    public static let standard = FewShotLayout(prefix: "", beforeInput: "", beforeTarget: "\n", afterTarget: "", separator: "\n\n")

    /// One solved exemplar.
    public func exemplar(input: String, target: String) -> String {
        beforeInput + input + beforeTarget + target + afterTarget
    }
}

/// Errors of ``InstructionTemplateSet`` and ``InstructionRenderer``.
public enum InstructionTemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The template-set file cannot be read.
    case cannotRead(path: String, reason: String)
    /// The template-set file is malformed: `source` is the file, `line` the 1-based line of the
    /// offending value, `task` and `template` where it is.
    case invalidFile(source: String, line: Int?, task: String?, template: String?, problem: String)
    /// A record names a task the set does not have.
    case unknownTask(String)
    /// A record lacks a field its task declares.
    case missingField(task: String, field: String)
    /// A record's field has the wrong type (a list where text is needed, or the reverse).
    case invalidField(task: String, field: String, problem: String)
    /// The task has no template of the kinds asked for.
    case noTemplates(task: String, kinds: [String])
    /// The tokenizer measuring a token budget failed.
    case tokenization(TokkiError)

    /// A one-line description naming the file, line, task and template.
    public var description: String {
        switch self {
        case let .cannotRead(path, reason):
            return "\(path): \(reason)"
        case let .invalidFile(source, line, task, template, problem):
            var s = source
            if let line { s += ":\(line)" }
            s += ": "
            if let task { s += "task '\(task)': " }
            if let template { s += "template '\(template)': " }
            return s + problem
        case let .unknownTask(name):
            return "unknown task '\(name)'"
        case let .missingField(task, field):
            return "missing field '\(field)' (task '\(task)')"
        case let .invalidField(task, field, problem):
            return "field '\(field)' (task '\(task)'): \(problem)"
        case let .noTemplates(task, kinds):
            return "task '\(task)' has no template of kind \(kinds.joined(separator: ", "))"
        case let .tokenization(error):
            return "measuring the token budget: \(error.description)"
        }
    }

    /// A short machine-readable name for the rejected-records file: `unknown_task`,
    /// `missing_field`, `invalid_field`, `no_templates`, `tokenization`, `invalid_file`, `cannot_read`.
    public var rule: String {
        switch self {
        case .cannotRead: "cannot_read"
        case .invalidFile: "invalid_file"
        case .unknownTask: "unknown_task"
        case .missingField: "missing_field"
        case .invalidField: "invalid_field"
        case .noTemplates: "no_templates"
        case .tokenization: "tokenization"
        }
    }
}

/// Walks the JSON of a template set, with the task and template being read for errors.
private struct SetReader {
    let document: JSONDocument
    let source: String
    var task: String?
    var template: String?
    /// Byte offsets where each line starts.
    private let lineStarts: [Int]

    init(document: JSONDocument, source: String) {
        self.document = document
        self.source = source
        var starts = [0]
        document.bytes.withUnsafeBufferPointer { b in
            for (k, c) in b.enumerated() where c == 0x0A { starts.append(k + 1) }
        }
        lineStarts = starts
    }

    /// The 1-based line of a node (containers: their opening bracket's line; strings: the
    /// line of their text).
    func line(_ node: Int) -> Int {
        let offset = Int(document.nodes[node].start)
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return lo + 1
    }

    func error(_ value: JSONValue, _ problem: String) -> InstructionTemplateError {
        .invalidFile(source: source, line: line(value.index), task: task, template: template, problem: problem)
    }

    func orderedMembers(_ value: JSONValue) throws(InstructionTemplateError) -> [(Int, Int)] {
        do { return try value.memberIndices().map { ($0.key, $0.value) } } catch { throw self.error(value, "expected an object, found \(value.kind.name)") }
    }

    func keyString(_ node: Int) throws(InstructionTemplateError) -> String {
        do { return try document.string(node) } catch { throw self.error(document.root.value(at: node, path: ""), error.description) }
    }

    /// An object's members by key; keys starting with `_` are skipped, others must be in `allowed`.
    func members(_ value: JSONValue, allowed: [String], what: String = "") throws(InstructionTemplateError) -> [String: JSONValue] {
        guard value.kind == .object else { throw error(value, "expected \(what.isEmpty ? "an object" : what), found \(value.kind.name)") }
        var out: [String: JSONValue] = [:]
        for (k, v) in try orderedMembers(value) {
            let key = try keyString(k)
            if key.hasPrefix("_") { continue }
            let node = value.value(at: v, path: "")
            guard allowed.contains(key) else {
                throw error(value.value(at: k, path: ""), "unknown key \"\(key)\" (expected one of \(allowed.joined(separator: ", ")); keys starting with _ are comments)")
            }
            guard out[key] == nil else { throw error(value.value(at: k, path: ""), "duplicate key \"\(key)\"") }
            out[key] = node
        }
        return out
    }

    func string(_ value: JSONValue, _ key: String) throws(InstructionTemplateError) -> String {
        guard value.kind == .string else { throw error(value, "\"\(key)\" must be a string, found \(value.kind.name)") }
        do { return try value.string() } catch { throw self.error(value, error.description) }
    }

    func placeholderText(_ value: JSONValue, _ key: String) throws(InstructionTemplateError) -> PlaceholderText {
        let s = try string(value, key)
        do { return try PlaceholderText(s) } catch { throw self.error(value, "\"\(key)\": \(error.description)") }
    }

    mutating func task(_ name: String, _ value: JSONValue) throws(InstructionTemplateError) -> InstructionTask {
        guard PlaceholderText.isName(name) else {
            throw error(value, "a task name is ASCII letters, digits and _, not starting with a digit")
        }
        let m = try members(value, allowed: ["description", "fields", "options", "few_shot", "templates"], what: "a task object")
        let description = try m["description"].map { (v) throws(InstructionTemplateError) in try string(v, "description") }
        guard let fieldsValue = m["fields"] else { throw error(value, "missing \"fields\" (the fields every record of the task has)") }
        guard fieldsValue.kind == .array, let fieldNodes = try? fieldsValue.array(), !fieldNodes.isEmpty else {
            throw error(fieldsValue, "\"fields\" must be a non-empty list of field names")
        }
        var fields: [String] = []
        for f in fieldNodes {
            let field = try string(f, "fields")
            guard PlaceholderText.isName(field) else { throw error(f, "field name '\(field)': ASCII letters, digits and _, not starting with a digit") }
            guard field != "options_" else { throw error(f, "'options_' is reserved for the rendered answer options") }
            guard !fields.contains(field) else { throw error(f, "duplicate field '\(field)'") }
            fields.append(field)
        }

        var options: AnswerOptionsFormat? = nil
        if let o = m["options"] {
            let om = try members(o, allowed: ["field", "prefix", "item", "separator", "suffix"], what: "an options object")
            guard let fieldValue = om["field"] else { throw error(o, "\"options\" needs \"field\": the list field holding the options") }
            let field = try string(fieldValue, "field")
            guard fields.contains(field) else { throw error(fieldValue, "options field '\(field)' is not one of the task's fields") }
            let item = try om["item"].map { (v) throws(InstructionTemplateError) in try placeholderText(v, "item") } ?? PlaceholderText.defaultOptionItem
            for p in item.placeholders where p != "option" && p != "n" {
                throw error(om["item"] ?? o, "\"item\": unknown placeholder {\(p)} (an item knows {option} and {n})")
            }
            options = AnswerOptionsFormat(
                field: field,
                prefix: try om["prefix"].map { (v) throws(InstructionTemplateError) in try string(v, "prefix") } ?? "OPTIONS:\n",
                item: item,
                separator: try om["separator"].map { (v) throws(InstructionTemplateError) in try string(v, "separator") } ?? "\n",
                suffix: try om["suffix"].map { (v) throws(InstructionTemplateError) in try string(v, "suffix") } ?? "")
        }

        var layout = FewShotLayout.standard
        if let f = m["few_shot"] {
            let fm = try members(f, allowed: ["exemplar", "separator", "prefix"], what: "a few_shot object")
            var beforeInput = "", beforeTarget = "\n", afterTarget = ""
            if let e = fm["exemplar"] {
                let text = try placeholderText(e, "exemplar")
                let ph = text.segments.compactMap { if case .placeholder(let p) = $0 { p } else { nil } }
                guard ph == ["input", "target"] else {
                    throw error(e, "\"exemplar\" must contain {input} then {target}, once each, and no other placeholder")
                }
                var parts = ["", "", ""], k = 0
                for s in text.segments {
                    switch s {
                    case .literal(let l): parts[k] += l
                    case .placeholder: k += 1
                    }
                }
                (beforeInput, beforeTarget, afterTarget) = (parts[0], parts[1], parts[2])
            }
            layout = FewShotLayout(
                prefix: try fm["prefix"].map { (v) throws(InstructionTemplateError) in try string(v, "prefix") } ?? "",
                beforeInput: beforeInput, beforeTarget: beforeTarget, afterTarget: afterTarget,
                separator: try fm["separator"].map { (v) throws(InstructionTemplateError) in try string(v, "separator") } ?? "\n\n")
        }

        guard let templatesValue = m["templates"] else { throw error(value, "missing \"templates\"") }
        guard templatesValue.kind == .array, let templateNodes = try? templatesValue.array(), !templateNodes.isEmpty else {
            throw error(templatesValue, "\"templates\" must be a non-empty list of templates")
        }
        var templates: [InstructionTemplate] = []
        for (k, t) in templateNodes.enumerated() {
            template = "#\(k + 1)"
            if let idNode = t["id"], idNode.kind == .string, let id = try? idNode.string(), !id.isEmpty { template = id }
            let tm = try members(t, allowed: ["id", "kind", "input", "target"], what: "a template object")
            guard let idValue = tm["id"] else { throw error(t, "missing \"id\"") }
            let id = try string(idValue, "id")
            guard !id.isEmpty else { throw error(idValue, "\"id\" is empty") }
            template = id
            guard !templates.contains(where: { $0.id == id }) else { throw error(idValue, "duplicate template id") }
            guard let kindValue = tm["kind"] else { throw error(t, "missing \"kind\" (zero-shot, few-shot or inverted)") }
            let kindName = try string(kindValue, "kind")
            guard let kind = InstructionTemplateKind(rawValue: kindName) else {
                throw error(kindValue, "unknown kind \"\(kindName)\" (expected zero-shot, few-shot or inverted)")
            }
            guard let inputValue = tm["input"] else { throw error(t, "missing \"input\"") }
            guard let targetValue = tm["target"] else { throw error(t, "missing \"target\"") }
            let input = try placeholderText(inputValue, "input")
            let target = try placeholderText(targetValue, "target")
            for (text, node, key) in [(input, inputValue, "input"), (target, targetValue, "target")] {
                for p in text.placeholders {
                    if p == "options_" {
                        guard options != nil else { throw error(node, "\"\(key)\": {options_} but the task has no \"options\"") }
                    } else if p == options?.field {
                        throw error(node, "\"\(key)\": {\(p)} is the options list: write {options_}")
                    } else if !fields.contains(p) {
                        throw error(node, "\"\(key)\": unknown placeholder {\(p)}: the task's fields are \(fields.joined(separator: ", "))")
                    }
                }
            }
            templates.append(InstructionTemplate(id: id, kind: kind, input: input, target: target, line: line(t.index)))
        }
        template = nil
        return InstructionTask(name: name, description: description, fields: fields, options: options,
                               fewShot: layout, templates: templates)
    }
}
