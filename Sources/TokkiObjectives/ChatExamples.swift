import Tokki

/// Why one supervised fine-tuning record was not turned into an example. Every case has a
/// short ``rule`` name (for counts and the rejected file) and a readable ``description``.
public enum ChatRecordError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The line is not a JSON value.
    case invalidJSON(String)
    /// The record is not an object in one of the known formats.
    case unknownFormat(String)
    /// A member the format needs is missing or has the wrong type.
    case missingField(String)
    /// A message has a role the templates do not know.
    case unknownRole(message: Int, role: String)
    /// The chat template raised or failed.
    case template(String)
    /// The record has no assistant text to learn from.
    case noAssistant(String)
    /// Without `{% generation %}` blocks, an assistant message's text was not found in the
    /// rendered conversation (the template changes it).
    case assistantTextNotFound(message: Int)
    /// The conversation does not fit in the sequence length under the truncation policy.
    case tooLong(tokens: Int, maximum: Int)
    /// The tokenizer failed.
    case tokenizer(String)

    /// A short name: `invalid_json`, `unknown_format`, `missing_field`, `unknown_role`,
    /// `template_error`, `no_assistant`, `assistant_text_not_found`, `too_long`, `tokenizer_error`.
    public var rule: String {
        switch self {
        case .invalidJSON: "invalid_json"
        case .unknownFormat: "unknown_format"
        case .missingField: "missing_field"
        case .unknownRole: "unknown_role"
        case .template: "template_error"
        case .noAssistant: "no_assistant"
        case .assistantTextNotFound: "assistant_text_not_found"
        case .tooLong: "too_long"
        case .tokenizer: "tokenizer_error"
        }
    }

    /// A one-line description.
    public var description: String {
        switch self {
        case .invalidJSON(let m): "invalid JSON: \(m)"
        case .unknownFormat(let m): "unknown record format: \(m)"
        case .missingField(let m): "missing field: \(m)"
        case let .unknownRole(i, role): "message \(i) has the unknown role '\(role)'"
        case .template(let m): m
        case .noAssistant(let m): m
        case .assistantTextNotFound(let i):
            "the text of assistant message \(i) does not appear in the rendered conversation (the template changes it; use a template with {% generation %} blocks)"
        case let .tooLong(n, max): "the conversation has \(n) tokens, more than the sequence length \(max)"
        case .tokenizer(let m): "tokenizer: \(m)"
        }
    }
}

/// A conversation read from a record, ready for a chat template.
public struct ChatConversation: Sendable, Equatable {
    /// The record formats that are read.
    public enum Format: String, Sendable, CaseIterable {
        /// OpenAI / TRL: `{"messages": [{"role", "content"}, …]}`.
        case messages
        /// ShareGPT: `{"conversations": [{"from", "value"}, …], "system"?}`.
        case shareGPT = "sharegpt"
        /// Alpaca: `{"instruction", "input"?, "output", "system"?, "history"?}`.
        case alpaca
        /// TRL prompt–completion: `{"prompt", "completion"}`, each a string or a message list.
        case promptCompletion = "prompt-completion"
    }

    /// The messages, each an object with `role` and (usually) `content`.
    public var messages: [TemplateValue]
    /// Tool schemas, when the record has a `tools` list.
    public var tools: [TemplateValue]?
    /// The format the record was in.
    public var format: Format

    /// Creates a conversation.
    public init(messages: [TemplateValue], tools: [TemplateValue]? = nil, format: Format = .messages) {
        self.messages = messages
        self.tools = tools
        self.format = format
    }

    /// The roles a message may have.
    public static let knownRoles: Set<String> = ["system", "developer", "user", "assistant", "tool", "ipython", "function"]

    /// ShareGPT's `from` values and the roles they become (as LLaMA-Factory maps them).
    public static let shareGPTRoles: [String: String] = [
        "system": "system", "human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
        "chatgpt": "assistant", "bard": "assistant", "bing": "assistant", "model": "assistant",
        "observation": "tool", "tool": "tool", "function_call": "assistant", "function": "tool",
    ]

    /// Reads a record in any of the ``Format``s (tried in the order `messages`,
    /// `conversations`, `instruction`+`output`, `prompt`+`completion`).
    ///
    /// - Alpaca: the user message is `instruction`, then a newline and `input` when `input` is
    ///   not empty (LLaMA-Factory's joining); `history` (a list of `[question, answer]` pairs)
    ///   comes first, `system` before everything.
    /// - Prompt–completion: a string prompt becomes a user message and a string completion an
    ///   assistant message; lists are messages.
    ///
    /// - Throws: ``ChatRecordError`` naming the problem.
    public init(record: TemplateValue) throws(ChatRecordError) {
        guard case .object(let o) = record else {
            throw .unknownFormat("expected a JSON object, got \(Self.kind(record))")
        }
        var tools: [TemplateValue]? = nil
        if let t = o["tools"] {
            switch t {
            case .array(let a): tools = a
            case .none: break
            case .string: break   // LLaMA-Factory's tool descriptions as text: not a schema list
            default: throw .missingField("'tools' must be a list of tool schemas")
            }
        }
        if let m = o["messages"] {
            guard case .array(let list) = m else { throw .missingField("'messages' must be a list") }
            self.init(messages: try Self.checked(list), tools: tools, format: .messages)
        } else if let c = o["conversations"] {
            guard case .array(let list) = c else { throw .missingField("'conversations' must be a list") }
            var messages: [TemplateValue] = []
            if case .string(let s)? = o["system"], !s.isEmpty { messages.append(["role": "system", "content": .string(s)]) }
            for (i, item) in list.enumerated() {
                guard case .object(let turn) = item else { throw .missingField("conversations[\(i)] must be an object") }
                guard case .string(let from)? = turn["from"] else { throw .missingField("conversations[\(i)].from") }
                guard let role = Self.shareGPTRoles[from] else { throw .unknownRole(message: i, role: from) }
                guard case .string(let value)? = turn["value"] else { throw .missingField("conversations[\(i)].value") }
                messages.append(["role": .string(role), "content": .string(value)])
            }
            self.init(messages: messages, tools: tools, format: .shareGPT)
        } else if o["instruction"] != nil || o["output"] != nil {
            guard case .string(let instruction)? = o["instruction"] else { throw .missingField("'instruction' (a string)") }
            guard case .string(let output)? = o["output"] else { throw .missingField("'output' (a string)") }
            var messages: [TemplateValue] = []
            if case .string(let s)? = o["system"], !s.isEmpty { messages.append(["role": "system", "content": .string(s)]) }
            if case .array(let history)? = o["history"] {
                for (i, pair) in history.enumerated() {
                    guard case .array(let qa) = pair, qa.count == 2, case .string(let q) = qa[0], case .string(let a) = qa[1] else {
                        throw .missingField("history[\(i)] must be a [question, answer] pair of strings")
                    }
                    messages.append(["role": "user", "content": .string(q)])
                    messages.append(["role": "assistant", "content": .string(a)])
                }
            }
            var user = instruction
            if case .string(let input)? = o["input"], !input.isEmpty { user += "\n" + input }
            messages.append(["role": "user", "content": .string(user)])
            messages.append(["role": "assistant", "content": .string(output)])
            self.init(messages: messages, tools: tools, format: .alpaca)
        } else if o["prompt"] != nil || o["completion"] != nil {
            guard let p = o["prompt"] else { throw .missingField("'prompt'") }
            guard let c = o["completion"] else { throw .missingField("'completion'") }
            func part(_ v: TemplateValue, _ name: String, role: String) throws(ChatRecordError) -> [TemplateValue] {
                switch v {
                case .string(let s): return [["role": .string(role), "content": .string(s)]]
                case .array(let list): return try Self.checked(list, field: name)
                default: throw .missingField("'\(name)' must be a string or a list of messages")
                }
            }
            self.init(messages: try part(p, "prompt", role: "user") + part(c, "completion", role: "assistant"),
                      tools: tools, format: .promptCompletion)
        } else {
            let keys = o.keys.prefix(8).map { "'\($0)'" }.joined(separator: ", ")
            throw .unknownFormat("no 'messages', 'conversations', 'instruction'/'output' or 'prompt'/'completion' (keys: \(keys.isEmpty ? "none" : keys))")
        }
    }

    /// Checks a message list: objects with a known string `role`, and `content` unless the
    /// message is an assistant message with tool calls.
    static func checked(_ list: [TemplateValue], field: String = "messages") throws(ChatRecordError) -> [TemplateValue] {
        for (i, m) in list.enumerated() {
            guard case .object(let o) = m else { throw .missingField("\(field)[\(i)] must be an object") }
            guard case .string(let role)? = o["role"] else { throw .missingField("\(field)[\(i)].role") }
            guard knownRoles.contains(role) else { throw .unknownRole(message: i, role: role) }
            if o["content"] == nil && o["tool_calls"] == nil { throw .missingField("\(field)[\(i)].content") }
        }
        return list
    }

    static func kind(_ v: TemplateValue) -> String {
        switch v {
        case .none: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }

    /// The role of message `i`.
    func role(_ i: Int) -> String? {
        if case .object(let o) = messages[i], case .string(let r)? = o["role"] { return r }
        return nil
    }

    /// The text parts of message `i`'s content (a string, or the `text` of content parts).
    func texts(_ i: Int) -> [String] {
        guard case .object(let o) = messages[i] else { return [] }
        switch o["content"] {
        case .string(let s)?: return s.isEmpty ? [] : [s]
        case .array(let parts)?:
            return parts.compactMap { p in
                if case .object(let po) = p, case .string(let t)? = po["text"], !t.isEmpty { return t }
                return nil
            }
        default: return []
        }
    }
}

/// A tokenized supervised example: ids and their labels (−100 where there is no loss).
public struct ChatExample: Sendable, Equatable {
    /// The token ids of the rendered conversation.
    public var ids: [Int32]
    /// One label per token: the id where the model learns, −100 elsewhere.
    public var labels: [Int32]
    /// Turns removed from the start to make the conversation fit (truncation by turns).
    public var droppedTurns: Int
    /// Tokens cut from the end (right truncation).
    public var cutTokens: Int

    /// Creates an example.
    public init(ids: [Int32], labels: [Int32], droppedTurns: Int = 0, cutTokens: Int = 0) {
        self.ids = ids
        self.labels = labels
        self.droppedTurns = droppedTurns
        self.cutTokens = cutTokens
    }
}

/// Turns conversations into supervised fine-tuning examples: render with a chat template,
/// tokenize, and label only the assistant's text.
///
/// Which tokens are learned:
/// - a template with `{% generation %}` blocks: exactly the tokens `transformers` marks with
///   `apply_chat_template(..., return_assistant_tokens_mask=True)`: each token that starts
///   before a block's end and ends after its start;
/// - any other template: the tokens that overlap each assistant message's text by the same
///   rule, the text found in the rendered conversation in message order;
/// - ``Configuration/trainOnPrompt``: every token;
/// - ``Configuration/trainOnEOS``: also the EOS token that directly follows a learned stretch
///   (whitespace-only tokens between them are skipped), for templates that end a turn with EOS.
///
/// The first token of every example is never learned: nothing precedes it, and in a packed row
/// it would be predicted from another conversation.
///
/// ```swift
/// let folder = try ModelFolder(contentsOf: "models/qwen2.5")
/// let encoder = ChatExampleEncoder(template: try folder.chatTemplate(), tokenizer: folder.tokenizer,
///                                  specialTokens: folder.templateVariables, eos: 151645)
/// let example = try encoder.example(try ChatConversation(record: record))
/// ```
public struct ChatExampleEncoder: Sendable {
    /// How a conversation longer than ``Configuration/maxLength`` is handled.
    public enum Truncation: String, Sendable, CaseIterable {
        /// Reject the record (counted, written to the rejected file).
        case drop
        /// Remove the earliest exchanges (after any system message) until it fits; reject it
        /// when even the last exchange does not fit.
        case turns
        /// Cut the tokens past the limit (TRL's truncation); reject it when nothing learned is
        /// left.
        case right
    }

    /// The settings.
    public struct Configuration: Sendable, Equatable {
        /// The longest example in tokens (nil: no limit).
        public var maxLength: Int?
        /// Learn every token, the prompt included.
        public var trainOnPrompt = false
        /// Learn the EOS token that ends each assistant turn.
        public var trainOnEOS = false
        /// What happens to a conversation longer than ``maxLength``.
        public var truncation = Truncation.turns
        /// Creates the defaults.
        public init(maxLength: Int? = nil, trainOnPrompt: Bool = false, trainOnEOS: Bool = false, truncation: Truncation = .turns) {
            self.maxLength = maxLength
            self.trainOnPrompt = trainOnPrompt
            self.trainOnEOS = trainOnEOS
            self.truncation = truncation
        }
    }

    /// The chat template.
    public let template: ChatTemplate
    /// The tokenizer.
    public let tokenizer: any Tokenizer
    /// The variables the template sees (`bos_token`, `eos_token`, …).
    public let specialTokens: [String: String]
    /// The EOS id (for ``Configuration/trainOnEOS``).
    public let eos: Int32?
    /// The settings.
    public let configuration: Configuration
    /// The time `strftime_now` sees (fixed for a run, so that every thread renders the same).
    public let clock: ChatTemplate.Clock

    /// Creates an encoder.
    public init(template: ChatTemplate, tokenizer: any Tokenizer, specialTokens: [String: String] = [:], eos: Int32? = nil,
                configuration: Configuration = Configuration(), clock: ChatTemplate.Clock = .now) {
        self.template = template
        self.tokenizer = tokenizer
        self.specialTokens = specialTokens
        self.eos = eos
        self.configuration = configuration
        self.clock = clock
    }

    /// One thread's working memory: the tokenizer's scratch memory and word caches, kept from
    /// example to example (many conversations encode much faster with one). Not thread-safe:
    /// make one per thread with ``makeSession()``.
    public final class Session {
        let encoder: TokenEncoder
        /// The token offsets of the record being labelled (kept between records: no allocation each).
        var offsets: [Range<Int>] = []
        init(_ encoder: TokenEncoder) { self.encoder = encoder }
    }

    /// A new session for one thread.
    public func makeSession() -> Session { Session(tokenizer.makeEncoder(options: Self.encodeOptions)) }

    /// The encoder's options: the texts it encodes are rendered templates, whose UTF-8 is
    /// made of whole Swift strings and so well-formed by construction, so the tokenizer need
    /// not check them again; and the masks compare token offsets with byte spans, so the
    /// offsets come in bytes (no character counting per token).
    static var encodeOptions: EncodeOptions {
        var options = EncodeOptions()
        options.inputIsWellFormedUTF8 = true
        options.offsetsInBytes = true
        return options
    }

    /// Renders, tokenizes, labels and truncates one conversation; pass a ``Session`` per
    /// thread when encoding many.
    ///
    /// - Throws: ``ChatRecordError`` (template errors, no assistant text, too long, …).
    public func example(_ conversation: ChatConversation, session: Session? = nil) throws(ChatRecordError) -> ChatExample {
        var conversation = conversation
        var dropped = 0
        while true {
            var e = try label(conversation, session: session)
            guard let limit = configuration.maxLength, e.ids.count > limit else {
                e.droppedTurns = dropped
                return e
            }
            switch configuration.truncation {
            case .drop:
                throw .tooLong(tokens: e.ids.count, maximum: limit)
            case .right:
                let cut = e.ids.count - limit
                e.ids.removeLast(cut)
                e.labels.removeLast(cut)
                guard e.labels.contains(where: { $0 != -100 }) else { throw .tooLong(tokens: e.ids.count + cut, maximum: limit) }
                e.cutTokens = cut
                e.droppedTurns = dropped
                return e
            case .turns:
                guard let range = Self.firstExchange(conversation) else { throw .tooLong(tokens: e.ids.count, maximum: limit) }
                conversation.messages.removeSubrange(range)
                dropped += 1
            }
        }
    }

    /// The messages of the earliest exchange after the leading system messages: from the first
    /// non-system message up to the next user message. Nil when there is only one exchange.
    static func firstExchange(_ c: ChatConversation) -> Range<Int>? {
        var start = 0
        while start < c.messages.count, let r = c.role(start), r == "system" || r == "developer" { start += 1 }
        var end = start + 1
        // Skip to the next user message after at least one assistant message.
        var sawAssistant = false
        while end < c.messages.count {
            let r = c.role(end)
            if r == "assistant" { sawAssistant = true }
            if r == "user" && sawAssistant { break }
            end += 1
        }
        guard end < c.messages.count, start < end else { return nil }
        // Never remove the last assistant message: there would be nothing left to learn.
        guard c.messages[end...].contains(where: { m in
            if case .object(let o) = m, case .string("assistant")? = o["role"] { return true }
            return false
        }) else { return nil }
        return start..<end
    }

    /// Renders and labels without truncation.
    func label(_ c: ChatConversation, session: Session?) throws(ChatRecordError) -> ChatExample {
        let rendered: ChatTemplate.Rendered
        do {
            rendered = try template.render(messages: c.messages, tools: c.tools, specialTokens: specialTokens, clock: clock)
        } catch {
            throw .template(error.description)
        }
        var ids: [Int32] = []
        // UTF-8 byte offsets of the tokens (``encodeOptions``). Every bound is a character
        // start, as are the spans' bounds, and byte and character positions of character starts
        // are in the same order: the masks are those transformers computes in characters.
        var offsets: [Range<Int>] = []
        // The rendered UTF-8 as it is (no string made of it).
        let text = rendered.utf8
        // Room for every token at once (Korean prose takes about one token per 3-4 bytes with
        // byte-level vocabularies), so that the arrays are not regrown a dozen times a record.
        let expected = text.count / 2 + 16
        ids.reserveCapacity(expected)
        if let session { swap(&offsets, &session.offsets); offsets.removeAll(keepingCapacity: true) }
        offsets.reserveCapacity(expected)
        defer { if let session { swap(&offsets, &session.offsets) } }
        let encoded: Result<Void, TokkiError> = text.withUnsafeBufferPointer { bytes in
            do throws(TokkiError) {
                if let session {
                    try session.encoder.encodeIDs(bytes, into: &ids, characterOffsets: &offsets)
                } else {
                    try tokenizer.makeEncoder(options: Self.encodeOptions).encodeIDs(bytes, into: &ids, characterOffsets: &offsets)
                }
                return .success(())
            } catch { return .failure(error) }
        }
        if case .failure(let error) = encoded { throw .tokenizer(error.description) }
        let n = ids.count
        var learn = [Bool](repeating: false, count: n)
        if configuration.trainOnPrompt {
            for i in 0..<n { learn[i] = true }
        } else if template.hasGenerationBlocks {
            Self.maskGenerationSpans(rendered.generationByteSpans, offsets: offsets, into: &learn)
        } else {
            try Self.maskAssistantText(c, text: text, byteOffsets: offsets, into: &learn)
        }
        if configuration.trainOnEOS, !configuration.trainOnPrompt, let eos {
            Self.addEOS(eos, ids: ids, byteOffsets: offsets, text: text, to: &learn)
        }
        if n > 0 { learn[0] = false }
        // The labels in one pass: the id where the token is learned, else -100.
        var learned = false
        let labels = [Int32](unsafeUninitializedCapacity: n) { out, initialized in
            ids.withUnsafeBufferPointer { id in
                learn.withUnsafeBufferPointer { m in
                    assert(out.count >= n && id.count == n && m.count == n)
                    var any = false
                    for k in 0..<n {
                        out[k] = m[k] ? id[k] : -100
                        any = any || m[k]
                    }
                    learned = any
                }
            }
            initialized = n
        }
        guard learned else {
            throw .noAssistant(c.messages.contains { m in
                if case .object(let o) = m, case .string("assistant")? = o["role"] { return true }
                return false
            } ? "no assistant text was rendered to learn from" : "the conversation has no assistant message")
        }
        return ChatExample(ids: ids, labels: labels)
    }

    /// transformers' `return_assistant_tokens_mask` (5.x): one pass over the tokens and the
    /// spans (both in order); a token is marked when it starts before the current span's end
    /// and ends after its start — so a token with an empty range inside a span (a trimmed
    /// space) is marked too.
    /// `spans` and `offsets` in one unit: both in characters, or both in UTF-8 bytes.
    static func maskGenerationSpans(_ spans: [Range<Int>], offsets: [Range<Int>], into learn: inout [Bool]) {
        markOverlaps(spans, offsets: offsets, into: &learn)
    }

    /// Marks the tokens that overlap `spans` (sorted) by transformers' rule.
    static func markOverlaps(_ spans: [Range<Int>], offsets: [Range<Int>], into learn: inout [Bool]) {
        precondition(learn.count >= offsets.count)
        guard !spans.isEmpty else { return }
        spans.withUnsafeBufferPointer { spans in
            offsets.withUnsafeBufferPointer { offsets in
                learn.withUnsafeMutableBufferPointer { learn in
                    var s = 0
                    var span = spans[0]
                    for t in 0..<offsets.count {
                        let o = offsets[t]
                        while o.lowerBound >= span.upperBound {
                            s += 1
                            if s == spans.count { return }
                            span = spans[s]
                        }
                        assert(t < learn.count)
                        if o.upperBound > span.lowerBound { learn[t] = true }
                    }
                }
            }
        }
    }

    /// The tokens overlapping each assistant message's text, found in message order. Every
    /// message's text moves the search forward, so an assistant answer repeated from the user's
    /// question is found in the answer.
    /// `byteOffsets`: the tokens' offsets in UTF-8 bytes of `text`.
    static func maskAssistantText(_ c: ChatConversation, text: [UInt8], byteOffsets: [Range<Int>], into learn: inout [Bool]) throws(ChatRecordError) {
        var cursor = 0
        var spans: [Range<Int>] = []
        for i in c.messages.indices {
            let isAssistant = c.role(i) == "assistant"
            for part in c.texts(i) {
                let needle = Array(part.utf8)
                var found = ByteSearch.find(needle, in: text, from: cursor)
                if found == nil, isAssistant {
                    // Templates often strip the answer ({{ content | trim }}).
                    let trimmed = ByteSearch.trimmed(needle)
                    if !trimmed.isEmpty { found = ByteSearch.find(Array(trimmed), in: text, from: cursor) }
                }
                guard let range = found else {
                    if isAssistant { throw .assistantTextNotFound(message: i) }
                    continue
                }
                cursor = range.upperBound
                if isAssistant { spans.append(range) }
            }
        }
        // The spans are byte ranges of whole messages' texts, so their bounds are character
        // starts, like the offsets'.
        markOverlaps(spans, offsets: byteOffsets, into: &learn)
    }

    /// Marks the EOS token that follows each learned stretch (skipping whitespace-only tokens).
    /// `byteOffsets`: the tokens' offsets in UTF-8 bytes of `text` (every bound a character start).
    static func addEOS(_ eos: Int32, ids: [Int32], byteOffsets: [Range<Int>], text: [UInt8], to learn: inout [Bool]) {
        var t = 0
        let n = ids.count
        while t < n {
            guard learn[t] else { t += 1; continue }
            while t < n && learn[t] { t += 1 }
            var u = t
            while u < n, ids[u] != eos, !byteOffsets[u].isEmpty, byteOffsets[u].upperBound <= text.count,
                  String(decoding: text[byteOffsets[u]], as: UTF8.self).unicodeScalars.allSatisfy({ $0.properties.isWhitespace }) {
                u += 1
            }
            if u < n, ids[u] == eos { learn[u] = true; t = u + 1 }
        }
    }
}

/// Byte-string search for the assistant-text masks.
enum ByteSearch {
    /// The first occurrence of `needle` in `haystack` at or after `from`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Range<Int>? {
        let m = needle.count, n = haystack.count
        guard m > 0, from >= 0, n - from >= m else { return nil }
        let first = needle[0]
        var i = from
        let last = n - m
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < m && haystack[i + j] == needle[j] { j += 1 }
                if j == m { return i..<(i + m) }
            }
            i += 1
        }
        return nil
    }

    /// `s` without leading and trailing ASCII whitespace (Python's `str.strip()` for ASCII).
    static func trimmed(_ s: [UInt8]) -> ArraySlice<UInt8> {
        func space(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 || b == 0x0B || b == 0x0C }
        var lo = 0, hi = s.count
        while lo < hi && space(s[lo]) { lo += 1 }
        while hi > lo && space(s[hi - 1]) { hi -= 1 }
        return s[lo..<hi]
    }
}
