// The `tokenizer.json` pre-tokenizers that are a ``RegexSplit``, read and (`Split`) written (the
// `"type"` is dispatched in TokenizerJSON+PreTokenizer.swift).

extension SplitBehavior {
    /// A `behavior` field (`"Removed"`, `"Isolated"`, …), or `d` when absent.
    init(json v: JSONValue?, default d: SplitBehavior) throws(TokkiError) {
        guard let v else { self = d; return }
        switch try v.string() {
        case "Removed": self = .removed
        case "Isolated": self = .isolated
        case "MergedWithPrevious": self = .mergedWithPrevious
        case "MergedWithNext": self = .mergedWithNext
        case "Contiguous": self = .contiguous
        case let other: throw v.error("unknown split behavior '\(other)'")
        }
    }

    /// The `behavior` field's spelling.
    var jsonName: String {
        switch self {
        case .removed: "Removed"
        case .isolated: "Isolated"
        case .mergedWithPrevious: "MergedWithPrevious"
        case .mergedWithNext: "MergedWithNext"
        case .contiguous: "Contiguous"
        }
    }
}

extension RegexSplit {
    /// BERT's punctuation class (the `Punctuation` and `BertPreTokenizer` pre-tokenizers).
    static let bertPunctuation = PretokenizationPattern.bertPunctuation

    /// A `{"type": "Split", "pattern": …, "behavior": …, "invert": …}` pre-tokenizer (Oniguruma
    /// regex syntax; a `String` pattern is matched literally).
    init(splitJSON v: JSONValue) throws(TokkiError) {
        let regex: String
        switch try TokenizerJSON.pattern(try v.required("pattern")) {
        case .string(let s): regex = "\\Q" + s.replacingAll("\\E", with: "\\E\\\\E\\Q") + "\\E"
        case .regex(let r): regex = r
        }
        do {
            try self.init(pattern: regex, behavior: try SplitBehavior(json: v.required("behavior"), default: .isolated),
                          invert: try v.optional("invert")?.bool() ?? false, dialect: .oniguruma)
        } catch { throw v.error(error.description) }
    }

    /// Writes a `{"type": "Split", "pattern": …, "behavior": …, "invert": …}` pre-tokenizer. A
    /// static writer: a ``RegexSplit`` keeps only the compiled regex (and stands for several
    /// pre-tokenizer types), so the `Split` fields are given.
    static func writeSplitJSON(pattern: Replace.Pattern, behavior: SplitBehavior, invert: Bool, to w: inout JSONWriter) {
        w.object { s in
            s.string("type", "Split")
            s.member("pattern") { pattern.writeJSON(to: &$0) }
            s.string("behavior", behavior.jsonName); s.bool("invert", invert)
        }
    }

    /// The `Whitespace` pre-tokenizer: runs of word characters and runs of other non-spaces.
    static func whitespace() throws(TokkiError) -> RegexSplit {
        try RegexSplit(pattern: #"\w+|[^\w\p{White_Space}]+"#, behavior: .removed, invert: true)
    }

    /// The `WhitespaceSplit` pre-tokenizer: split at (and drop) white space.
    static func whitespaceSplit() throws(TokkiError) -> RegexSplit {
        try RegexSplit(pattern: #"\p{White_Space}"#, behavior: .removed)
    }

    /// A `{"type": "Punctuation", "behavior": …}` pre-tokenizer.
    init(punctuationJSON v: JSONValue) throws(TokkiError) {
        try self.init(pattern: Self.bertPunctuation, behavior: try SplitBehavior(json: v.optional("behavior"), default: .isolated))
    }

    /// A `{"type": "Digits", "individual_digits": …}` pre-tokenizer.
    init(digitsJSON v: JSONValue) throws(TokkiError) {
        let individual = try v.optional("individual_digits")?.bool() ?? false
        try self.init(pattern: #"\p{N}"#, behavior: individual ? .isolated : .contiguous)
    }

    /// A `{"type": "CharDelimiterSplit", "delimiter": …}` pre-tokenizer.
    init(charDelimiterJSON v: JSONValue) throws(TokkiError) {
        let d = try v.required("delimiter").string()
        try self.init(pattern: "\\Q" + d + "\\E", behavior: .removed)
    }
}
