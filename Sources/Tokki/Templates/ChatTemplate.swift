import Foundation

/// Why a chat template could not be parsed or rendered.
public enum ChatTemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The template source is not valid Jinja; `line` and `column` are 1-based.
    case syntax(line: Int, column: Int, message: String)
    /// The template called `raise_exception(message)`.
    case raised(String)
    /// An undefined value was used where jinja2 raises `UndefinedError` (the message is jinja2's).
    case undefined(String)
    /// An operation on values of the wrong type (Python's `TypeError` and the like).
    case type(String)
    /// The sandbox refused an operation (jinja2's `SecurityError`).
    case security(String)
    /// A limit of ``ChatTemplate/Limits`` was reached (output size, steps, call depth).
    case limit(String)

    /// The message, as jinja2 would give it where it has one.
    public var message: String {
        switch self {
        case .syntax(let l, let c, let m): "line \(l), column \(c): \(m)"
        case .raised(let m), .undefined(let m), .type(let m), .security(let m), .limit(let m): m
        }
    }

    /// A one-line description naming the kind of error.
    public var description: String {
        switch self {
        case .syntax: "template syntax error at \(message)"
        case .raised: "template raised: \(message)"
        case .undefined: "undefined value: \(message)"
        case .type: "template type error: \(message)"
        case .security: "template sandbox: \(message)"
        case .limit: "template limit: \(message)"
        }
    }
}

/// A Hugging Face `chat_template`, parsed once and rendered many times, byte-identical to
/// `transformers`' `apply_chat_template(..., tokenize=False)` (jinja2's sandbox with
/// `trim_blocks` and `lstrip_blocks`, transformers' `tojson`, `raise_exception` and
/// `strftime_now`), with the character spans of `{% generation %}` blocks.
///
/// ```swift
/// let template = try ChatTemplate("{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}")
/// let chat = try template.render(messages: [["role": "user", "content": "안녕"]])
/// print(chat.text)   // "<|user|>안녕\n"
/// ```
///
/// The template only sees the JSON-like values it is given; it cannot reach anything else.
/// Hostile templates end with a ``ChatTemplateError/limit(_:)`` error, never a hang or a crash.
public struct ChatTemplate: Sendable {
    /// Bounds on one render.
    public struct Limits: Sendable, Equatable {
        /// Most bytes a render may write (all buffers together).
        public var maxOutputBytes: Int
        /// Most loop iterations plus calls in one render.
        public var maxSteps: Int
        /// Deepest nesting of macro calls.
        public var maxCallDepth: Int

        /// Limits; the defaults are far above what published templates need.
        public init(maxOutputBytes: Int = 64 << 20, maxSteps: Int = 10_000_000, maxCallDepth: Int = 64) {
            self.maxOutputBytes = maxOutputBytes
            self.maxSteps = maxSteps
            self.maxCallDepth = maxCallDepth
        }
    }

    /// The time `strftime_now` formats: the current local time, or a fixed one for reproducible output.
    public struct Clock: Sendable, Equatable {
        /// Year, month (1–12), day, hour, minute, second, weekday (0 = Monday … 6 = Sunday).
        public var year, month, day, hour, minute, second, weekday: Int

        /// A fixed time.
        public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
            self.year = year
            self.month = month
            self.day = day
            self.hour = hour
            self.minute = minute
            self.second = second
            // Zeller-style day of week (0 = Monday).
            var y = year, m = month
            if m < 3 { m += 12; y -= 1 }
            let h = (day + (13 * (m + 1)) / 5 + y + y / 4 - y / 100 + y / 400) % 7  // 0 = Saturday
            weekday = (h + 5) % 7
        }

        /// The current local time (the C library's `localtime_r`, as Python's `datetime.now()`;
        /// not Foundation's calendar, whose first use loads ICU's calendar and time-zone data,
        /// several milliseconds of every process that renders a template). A leap second reads
        /// as second 59.
        public static var now: Clock {
            var t = time(nil)
            var parts = tm()
            guard localtime_r(&t, &parts) != nil else { return Clock(year: 1970, month: 1, day: 1) }
            return Clock(year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday),
                         hour: Int(parts.tm_hour), minute: Int(parts.tm_min), second: min(Int(parts.tm_sec), 59))
        }

        static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
        static let days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

        /// C `strftime` in the C locale, for the common directives.
        func format(_ f: String) -> String {
            func pad(_ v: Int, _ w: Int = 2) -> String {
                let s = String(v)
                return String(repeating: "0", count: max(0, w - s.count)) + s
            }
            let month = Clock.months[max(0, min(11, self.month - 1))]
            let day = Clock.days[max(0, min(6, weekday))]
            var out = ""
            var it = f.unicodeScalars.makeIterator()
            while let c = it.next() {
                guard c == "%" else { out.unicodeScalars.append(c); continue }
                guard let d = it.next() else { out += "%"; break }
                switch d {
                case "d": out += pad(self.day)
                case "e": out += (self.day < 10 ? " " : "") + String(self.day)
                case "m": out += pad(self.month)
                case "Y": out += String(year)
                case "y": out += pad(year % 100)
                case "B": out += month
                case "b", "h": out += String(month.prefix(3))
                case "A": out += day
                case "a": out += String(day.prefix(3))
                case "H": out += pad(hour)
                case "I": out += pad(hour % 12 == 0 ? 12 : hour % 12)
                case "M": out += pad(minute)
                case "S": out += pad(second)
                case "p": out += hour < 12 ? "AM" : "PM"
                case "j":
                    let cum = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
                    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
                    out += pad(cum[max(0, min(11, self.month - 1))] + self.day + (leap && self.month > 2 ? 1 : 0), 3)
                case "F": out += "\(year)-\(pad(self.month))-\(pad(self.day))"
                case "%": out += "%"
                default: out += "%" + String(d)
                }
            }
            return out
        }
    }

    /// The rendered text and where its `{% generation %}` blocks are.
    public struct Rendered: Sendable, Equatable {
        /// The rendered conversation in UTF-8 (well-formed: every piece written is a whole
        /// string). Tokenizing from these bytes skips making and checking a string.
        public private(set) var utf8: [UInt8]
        /// The rendered conversation (a string made of ``utf8`` on each access; setting it
        /// replaces ``utf8`` and leaves the spans as they are).
        public var text: String {
            get { String(decoding: utf8, as: UTF8.self) }
            set { utf8 = Array(newValue.utf8) }
        }
        /// Each `{% generation %}` block's span in UTF-8 bytes of ``text``, in order.
        public var generationByteSpans: [Range<Int>]
        /// For each span, its length in scalars when it was recorded inside a capture (a
        /// `{% set %}` block or a filter block), else -1 (counted in ``text``).
        let scalarLengths: [Int]

        /// The same spans in Unicode scalars (Python string indices), as transformers reports
        /// them; counted on each access (one pass over ``text``), so that a caller that works
        /// in bytes never pays for it.
        public var generationSpans: [Range<Int>] {
            JinjaEvaluator.scalarSpans(utf8, bytes: generationByteSpans, scalarLengths: scalarLengths)
        }
    }

    let body: [JinjaNode]
    /// The template source.
    public let source: String
    /// Whether the template has `{% generation %}` blocks.
    public let hasGenerationBlocks: Bool

    /// Parses `source` once.
    ///
    /// - Throws: ``ChatTemplateError/syntax(line:column:message:)`` naming the line and column.
    public init(_ source: String) throws(ChatTemplateError) {
        self.source = source
        body = try JinjaParser.parse(source)
        hasGenerationBlocks = ChatTemplate.containsGeneration(body)
    }

    private static func containsGeneration(_ nodes: [JinjaNode]) -> Bool {
        nodes.contains { n in
            switch n {
            case .generation: true
            case .conditional(let b, let o): b.contains { containsGeneration($0.1) } || containsGeneration(o)
            case .loop(_, _, _, let b, let o, _): containsGeneration(b) || containsGeneration(o)
            case .setBlock(_, _, let b), .callBlock(_, let b), .filterBlock(_, let b), .with(_, let b): containsGeneration(b)
            case .macro(let m): containsGeneration(m.body)
            default: false
            }
        }
    }

    /// Renders a conversation as `apply_chat_template(messages, tools=..., add_generation_prompt=...,
    /// tokenize=False, **special_tokens, **extra)` does.
    ///
    /// Messages are prepared as transformers prepares them: members whose value is `None` are
    /// dropped, and a reasoning field (`reasoning_content`, `thinking` or `reasoning`) is copied to
    /// `thinking` and `reasoning_content`.
    ///
    /// - Parameters:
    ///   - messages: the conversation, a list of message objects.
    ///   - tools: JSON schemas of tools, or nil (the template then sees `tools` as `None`).
    ///   - documents: documents for retrieval templates, or nil.
    ///   - addGenerationPrompt: whether to end with the header of an assistant turn.
    ///   - specialTokens: `bos_token`, `eos_token`, … as the tokenizer's special tokens map has them.
    ///   - extra: further variables (`date_string`, `enable_thinking`, …); they override special tokens.
    ///   - clock: the time `strftime_now` sees.
    ///   - limits: bounds on the render.
    public func render(
        messages: [TemplateValue], tools: [TemplateValue]? = nil, documents: [TemplateValue]? = nil,
        addGenerationPrompt: Bool = false, specialTokens: [String: String] = [:], extra: TemplateObject = [:],
        clock: Clock = .now, limits: Limits = Limits()
    ) throws(ChatTemplateError) -> Rendered {
        let context = JScope(parent: nil)
        for (k, v) in specialTokens { context.variables[k] = .string(v) }
        for (k, v) in extra.members { context.variables[k] = JValue(v) }
        context.variables["messages"] = .list(messages.map(ChatTemplate.prepare))
        context.variables["tools"] = tools.map { .list($0.map(JValue.init)) } ?? JValue.none
        context.variables["documents"] = documents.map { .list($0.map(JValue.init)) } ?? JValue.none
        context.variables["add_generation_prompt"] = .bool(addGenerationPrompt)
        let root = JScope(parent: context)
        let evaluator = JinjaEvaluator(limits: limits, clock: clock)
        defer { evaluator.releaseClosures() }
        // The output holds every message's text and some markup: room for it at once, rather
        // than regrowing the string as it is written.
        var expected = 256
        for m in messages {
            if case .object(let o) = m, case .string(let c)? = o["content"] { expected += c.utf8.count + 64 }
        }
        evaluator.reserveOutput(min(expected, limits.maxOutputBytes))
        _ = try evaluator.run(body, root)
        let spans = evaluator.finishedByteSpans()
        return Rendered(utf8: evaluator.takeOutput(), generationByteSpans: spans.bytes, scalarLengths: spans.scalarLengths)
    }

    /// transformers' `_normalize_chat_messages` and `_alias_reasoning_fields` for one message.
    static func prepare(_ message: TemplateValue) -> JValue {
        guard case .object(let o) = message else { return JValue(message) }
        var reasoning: TemplateValue? = nil
        var hasNone = false
        o.forEachMember { k, v in
            if v == .none { hasNone = true } else if reasoning == nil, reasoningKeys.contains(k) { reasoning = v }
        }
        // The common message: no None member and no reasoning field, converted as it is.
        if reasoning == nil && !hasNone { return .dict(o.mapped(JValue.init)) }
        reasoning = nil
        for k in reasoningKeys {
            if let v = o[k], v != .none { reasoning = v; break }
        }
        var d = JDict()
        d.reserveCapacity(o.count + 2)
        if let reasoning {
            d["thinking"] = JValue(reasoning)
            o.forEachMember { k, v in if v != .none { d[k] = JValue(v) } }
            d["reasoning_content"] = JValue(reasoning)
        } else {
            // The message's keys are distinct: appended without a search.
            o.forEachMember { k, v in if v != .none { d.appendNew(k, JValue(v)) } }
        }
        return .dict(d)
    }

    /// The fields transformers reads a message's reasoning from, in its order.
    private static let reasoningKeys = ["reasoning_content", "thinking", "reasoning"]
}
