/// A text with `{name}` placeholders, as the instruction templates of an
/// ``InstructionTemplateSet`` write them (Python's `str.format` without format specs).
///
/// A placeholder is `{` + a name + `}`; a name is ASCII letters, digits and `_`, not starting
/// with a digit. `{{` and `}}` stand for literal braces. Anything else with a brace (an
/// unclosed `{`, a lone `}`, `{}` or `{a b}`) is an error naming the character position.
///
/// ```swift
/// let text = try PlaceholderText("{law} 제{article}조 {{원문}}")
/// text.placeholders                                         // ["law", "article"]
/// text.render { ["law": "민법", "article": "750"][$0] }     // "민법 제750조 {원문}"
/// ```
public struct PlaceholderText: Sendable, Equatable, CustomStringConvertible {
    /// A run of literal text or a placeholder.
    public enum Segment: Sendable, Equatable {
        /// Literal text (braces already unescaped).
        case literal(String)
        /// A `{name}` placeholder.
        case placeholder(String)
    }

    /// The text as written (with its escapes).
    public let source: String
    /// The literal runs and placeholders in order.
    public let segments: [Segment]

    /// The placeholder names in order of first appearance, without repeats.
    public var placeholders: [String] {
        var seen = Set<String>()
        var out: [String] = []
        for case .placeholder(let name) in segments where seen.insert(name).inserted { out.append(name) }
        return out
    }

    /// The source text.
    public var description: String { source }

    /// Parses `source`.
    ///
    /// - Throws: ``PlaceholderText/SyntaxError`` with the 0-based character position of the
    ///   offending brace.
    public init(_ source: String) throws(SyntaxError) {
        self.source = source
        var segments: [Segment] = []
        var literal = ""
        let chars = Array(source)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "{" {
                if i + 1 < chars.count, chars[i + 1] == "{" {
                    literal.append("{"); i += 2; continue
                }
                guard let close = chars[(i + 1)...].firstIndex(where: { $0 == "}" || $0 == "{" }), chars[close] == "}" else {
                    throw SyntaxError(position: i, problem: "unclosed '{' (write {{ for a literal brace)")
                }
                let name = String(chars[(i + 1)..<close])
                guard Self.isName(name) else {
                    throw SyntaxError(position: i, problem: "'{\(name)}' is not a placeholder: a name is ASCII letters, digits and _ (write {{ for a literal brace)")
                }
                if !literal.isEmpty { segments.append(.literal(literal)); literal = "" }
                segments.append(.placeholder(name))
                i = close + 1
            } else if c == "}" {
                guard i + 1 < chars.count, chars[i + 1] == "}" else {
                    throw SyntaxError(position: i, problem: "single '}' (write }} for a literal brace)")
                }
                literal.append("}"); i += 2
            } else {
                literal.append(c); i += 1
            }
        }
        if !literal.isEmpty { segments.append(.literal(literal)) }
        self.segments = segments
    }

    /// A text from parsed parts.
    init(source: String, segments: [Segment]) {
        self.source = source
        self.segments = segments
    }

    /// `- {option}`: FLAN's option line.
    static let defaultOptionItem = PlaceholderText(source: "- {option}", segments: [.literal("- "), .placeholder("option")])

    /// Whether `name` is a valid placeholder name.
    static func isName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(0x30...0x39).contains(first) else { return false }
        return name.utf8.allSatisfy { b in
            (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == 0x5F
        }
    }

    /// The text with each placeholder replaced by `value(name)`; a name for which `value`
    /// returns nil throws ``PlaceholderText/MissingValue``.
    public func render(_ value: (String) -> String?) throws(MissingValue) -> String {
        var out = ""
        for segment in segments {
            switch segment {
            case .literal(let s): out += s
            case .placeholder(let name):
                guard let v = value(name) else { throw MissingValue(name: name) }
                out += v
            }
        }
        return out
    }

    /// A brace that is neither a placeholder nor an escape.
    public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        /// 0-based position (in `Character`s) of the brace in the text.
        public let position: Int
        /// What is wrong.
        public let problem: String
        /// "character N: problem".
        public var description: String { "character \(position): \(problem)" }
    }

    /// A placeholder with no value.
    public struct MissingValue: Error, Sendable, Equatable {
        /// The placeholder name.
        public let name: String
    }
}
