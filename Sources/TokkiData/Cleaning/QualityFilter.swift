import Tokki

/// Why a document was removed: the rule's name (as in reports) and a short detail with the
/// measured value and the threshold.
public struct Rejection: Sendable, Equatable {
    /// The rule (`length`, `hangul_ratio`, `repetition`, …).
    public var rule: String
    /// What was measured, e.g. `hangul ratio 0.12 < 0.30`.
    public var detail: String
    /// Creates a rejection.
    public init(rule: String, detail: String) {
        self.rule = rule
        self.detail = detail
    }
}

/// One quality rule: it looks at a document's profile and either keeps it (nil) or says why
/// it goes.
public protocol QualityFilter: Sendable {
    /// The rule's name in reports.
    var name: String { get }
    /// nil to keep the document, else why it is removed.
    func evaluate(_ profile: TextProfile) -> Rejection?
}

func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }
func format(_ x: Double) -> String {
    let scaled = (x * 1000).rounded() / 1000
    return String(scaled)
}

/// Document length in characters (non-space) and in words.
public struct LengthFilter: QualityFilter {
    /// Fewest non-space characters (default 10).
    public var minCharacters: Int? = 10
    /// Most non-space characters (default: none).
    public var maxCharacters: Int? = nil
    /// Fewest words (default: none; Gopher uses 50 for web pages).
    public var minWords: Int? = nil
    /// Most words (Gopher: 100,000).
    public var maxWords: Int? = 100_000
    /// Creates the filter with the defaults.
    public init() {}
    /// `length`.
    public var name: String { "length" }
    /// Checks the bounds.
    public func evaluate(_ p: TextProfile) -> Rejection? {
        if let m = minCharacters, p.nonSpace < m { return Rejection(rule: name, detail: "\(p.nonSpace) characters < \(m)") }
        if let m = maxCharacters, p.nonSpace > m { return Rejection(rule: name, detail: "\(p.nonSpace) characters > \(m)") }
        if let m = minWords, p.words.count < m { return Rejection(rule: name, detail: "\(p.words.count) words < \(m)") }
        if let m = maxWords, p.words.count > m { return Rejection(rule: name, detail: "\(p.words.count) words > \(m)") }
        return nil
    }
}

/// Script mix: the share of Hangul among letters, and the share of letters of scripts other than
/// Hangul, Han and Latin (mis-decoded or foreign text).
public struct ScriptFilter: QualityFilter {
    /// Least share of Hangul among letters (default 0.3; Korean legal text mixes in Han and Latin).
    public var minHangulRatio: Double? = 0.3
    /// Most share of other scripts among letters (default 0.3).
    public var maxOtherScriptRatio: Double? = 0.3
    /// Creates the filter with the defaults.
    public init() {}
    /// `script`.
    public var name: String { "script" }
    /// Checks the ratios (documents without letters pass; the symbol rule catches them).
    public func evaluate(_ p: TextProfile) -> Rejection? {
        guard p.letters > 0 else { return nil }
        let h = ratio(p.hangul, p.letters), o = ratio(p.otherLetters, p.letters)
        if let m = minHangulRatio, h < m { return Rejection(rule: name, detail: "hangul ratio \(format(h)) < \(m)") }
        if let m = maxOtherScriptRatio, o > m { return Rejection(rule: name, detail: "other-script ratio \(format(o)) > \(m)") }
        return nil
    }
}

/// Shares of symbols, digits and punctuation among non-space characters.
public struct CharacterClassFilter: QualityFilter {
    /// Most symbols (default 0.1).
    public var maxSymbolRatio: Double? = 0.1
    /// Most digits (default 0.3; statutes are full of article numbers and dates).
    public var maxDigitRatio: Double? = 0.3
    /// Most punctuation (default 0.3).
    public var maxPunctuationRatio: Double? = 0.3
    /// Creates the filter with the defaults.
    public init() {}
    /// `character_classes`.
    public var name: String { "character_classes" }
    /// Checks the ratios.
    public func evaluate(_ p: TextProfile) -> Rejection? {
        let n = p.nonSpace
        if let m = maxSymbolRatio, ratio(p.symbols, n) > m { return Rejection(rule: name, detail: "symbol ratio \(format(ratio(p.symbols, n))) > \(m)") }
        if let m = maxDigitRatio, ratio(p.digits, n) > m { return Rejection(rule: name, detail: "digit ratio \(format(ratio(p.digits, n))) > \(m)") }
        if let m = maxPunctuationRatio, ratio(p.punctuation, n) > m {
            return Rejection(rule: name, detail: "punctuation ratio \(format(ratio(p.punctuation, n))) > \(m)")
        }
        return nil
    }
}

/// Mean word length in characters (Gopher keeps 3–10 for English; Korean eojeol average about
/// 3–4 syllables, so the defaults are wider).
public struct WordLengthFilter: QualityFilter {
    /// Shortest mean (default 1.5).
    public var minMean: Double? = 1.5
    /// Longest mean (default 15: runs of base64, URLs, glued text).
    public var maxMean: Double? = 15
    /// Creates the filter with the defaults.
    public init() {}
    /// `word_length`.
    public var name: String { "word_length" }
    /// Checks the mean.
    public func evaluate(_ p: TextProfile) -> Rejection? {
        guard !p.words.isEmpty else { return nil }
        let mean = Double(p.wordCharacters) / Double(p.words.count)
        if let m = minMean, mean < m { return Rejection(rule: name, detail: "mean word length \(format(mean)) < \(m)") }
        if let m = maxMean, mean > m { return Rejection(rule: name, detail: "mean word length \(format(mean)) > \(m)") }
        return nil
    }
}

/// Broken text: U+FFFD replacement characters, control characters, private-use or unassigned
/// code points.
public struct InvalidCharacterFilter: QualityFilter {
    /// Most replacement characters (default 0).
    public var maxReplacements: Int? = 0
    /// Most control characters other than tab, LF, VT, FF, CR (default 0; form feeds from
    /// converted documents are whitespace).
    public var maxControls: Int? = 0
    /// Most private-use / unassigned code points (default 0).
    public var maxInvalid: Int? = 0
    /// Creates the filter with the defaults.
    public init() {}
    /// `invalid_characters`.
    public var name: String { "invalid_characters" }
    /// Checks the counts.
    public func evaluate(_ p: TextProfile) -> Rejection? {
        if let m = maxReplacements, p.replacements > m { return Rejection(rule: name, detail: "\(p.replacements) U+FFFD > \(m)") }
        if let m = maxControls, p.controls > m { return Rejection(rule: name, detail: "\(p.controls) control characters > \(m)") }
        if let m = maxInvalid, p.invalid > m { return Rejection(rule: name, detail: "\(p.invalid) private-use/unassigned > \(m)") }
        return nil
    }
}

/// Gopher's repetition rules (Rae et al. 2021, table A1): duplicate lines and paragraphs, the
/// most frequent word 2-, 3-, 4-gram, and the characters covered by repeated 5- to 10-grams.
public struct RepetitionFilter: QualityFilter {
    /// Most share of lines that repeat an earlier line (0.3).
    public var maxDuplicateLineFraction: Double? = 0.3
    /// Most share of characters in repeated lines (0.2).
    public var maxDuplicateLineCharacterFraction: Double? = 0.2
    /// Most share of paragraphs that repeat an earlier one (0.3).
    public var maxDuplicateParagraphFraction: Double? = 0.3
    /// Most share of characters in repeated paragraphs (0.2).
    public var maxDuplicateParagraphCharacterFraction: Double? = 0.2
    /// For n = 2, 3, 4: most share of characters in the most frequent n-gram (0.20, 0.18, 0.16).
    public var maxTopNGramFraction: [Int: Double] = [2: 0.20, 3: 0.18, 4: 0.16]
    /// For n = 5 … 10: most share of characters in repeated n-grams (0.15 … 0.10).
    public var maxDuplicateNGramFraction: [Int: Double] = [5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10]
    /// The n-gram rules apply to documents of at least this many words (Gopher's documents have
    /// at least 50): in one sentence of a statute, "법률이 정하는 바에 의하여" may well occur twice.
    public var minWordsForNGramRules = 50
    /// Creates the filter with Gopher's thresholds.
    public init() {}
    /// `repetition`.
    public var name: String { "repetition" }

    /// Checks every rule in turn.
    public func evaluate(_ p: TextProfile) -> Rejection? {
        let total = max(1, p.scalars.count)
        // Lines.
        let lines = p.lines.filter { !$0.isEmpty }
        if lines.count > 1 {
            let (count, chars) = Self.duplicates(lines.map { p.scalars[$0] })
            if let m = maxDuplicateLineFraction, ratio(count, lines.count) > m {
                return Rejection(rule: name, detail: "duplicate line fraction \(format(ratio(count, lines.count))) > \(m)")
            }
            if let m = maxDuplicateLineCharacterFraction, ratio(chars, total) > m {
                return Rejection(rule: name, detail: "duplicate line characters \(format(ratio(chars, total))) > \(m)")
            }
        }
        // Paragraphs: runs of lines separated by blank lines.
        var paragraphs: [ArraySlice<Unicode.Scalar>] = []
        var start: Int? = nil, end = 0
        for l in p.lines {
            if l.isEmpty || p.scalars[l].allSatisfy({ $0.properties.isWhitespace }) {
                if let s = start { paragraphs.append(p.scalars[s..<end]); start = nil }
            } else {
                if start == nil { start = l.lowerBound }
                end = l.upperBound
            }
        }
        if let s = start { paragraphs.append(p.scalars[s..<end]) }
        if paragraphs.count > 1 {
            let (count, chars) = Self.duplicates(paragraphs)
            if let m = maxDuplicateParagraphFraction, ratio(count, paragraphs.count) > m {
                return Rejection(rule: name, detail: "duplicate paragraph fraction \(format(ratio(count, paragraphs.count))) > \(m)")
            }
            if let m = maxDuplicateParagraphCharacterFraction, ratio(chars, total) > m {
                return Rejection(rule: name, detail: "duplicate paragraph characters \(format(ratio(chars, total))) > \(m)")
            }
        }
        // Word n-grams.
        let words = p.words
        let wordChars = max(1, p.wordCharacters)
        var ids: [Int] = []
        var table: [ArraySlice<Unicode.Scalar>: Int] = [:]
        for w in words {
            let s = p.scalars[w]
            if let id = table[s] { ids.append(id) } else { table[s] = table.count; ids.append(table.count - 1) }
        }
        guard words.count >= minWordsForNGramRules else { return nil }
        for n in maxTopNGramFraction.keys.sorted() where words.count >= n {
            guard let m = maxTopNGramFraction[n] else { continue }
            var best = 0, bestStart = 0
            Self.forEachNGram(ids, n) { i, c in
                if c > best { best = c; bestStart = i }
            }
            let length = (bestStart..<(bestStart + n)).reduce(0) { $0 + words[$1].count }
            let fraction = best > 1 ? ratio(length * best, wordChars) : 0
            if fraction > m { return Rejection(rule: name, detail: "top \(n)-gram characters \(format(fraction)) > \(m)") }
        }
        for n in maxDuplicateNGramFraction.keys.sorted() where words.count >= n {
            guard let m = maxDuplicateNGramFraction[n] else { continue }
            // Characters of words inside an n-gram seen before (each word counted once).
            var covered = [Bool](repeating: false, count: words.count)
            Self.forEachNGram(ids, n) { i, c in
                if c > 1 { for k in i..<(i + n) { covered[k] = true } }
            }
            let chars = zip(words, covered).reduce(0) { $0 + ($1.1 ? $1.0.count : 0) }
            let fraction = ratio(chars, wordChars)
            if fraction > m { return Rejection(rule: name, detail: "duplicate \(n)-gram characters \(format(fraction)) > \(m)") }
        }
        return nil
    }

    /// Calls `body(i, c)` for every n-gram of `ids`, in order: `ids[i..<i + n]` is its
    /// `c`-th occurrence so far. The n-grams are compared in place (no key arrays).
    static func forEachNGram(_ ids: [Int], _ n: Int, _ body: (Int, Int) -> Void) {
        guard n > 0, ids.count >= n else { return }
        let count = ids.count - n + 1
        var size = 16
        while size < 2 * count { size *= 2 }
        let mask = size - 1
        var starts = [Int](repeating: -1, count: size)   // first start of the n-gram in a slot
        var seen = [Int](repeating: 0, count: size)      // its occurrences so far
        ids.withUnsafeBufferPointer { w in
            for i in 0..<count {
                var h: UInt64 = 0xCBF2_9CE4_8422_2325
                for k in i..<(i + n) { h = (h ^ UInt64(bitPattern: Int64(w[k]))) &* 0x100_0000_01B3 }
                var slot = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
                while true {
                    let j = starts[slot]
                    if j < 0 {
                        starts[slot] = i
                        seen[slot] = 1
                        break
                    }
                    var same = true
                    for k in 0..<n where w[j + k] != w[i + k] { same = false; break }
                    if same { seen[slot] += 1; break }
                    slot = (slot + 1) & mask
                }
                body(i, seen[slot])
            }
        }
    }

    /// How many items repeat an earlier one, and their characters.
    static func duplicates(_ items: [ArraySlice<Unicode.Scalar>]) -> (count: Int, characters: Int) {
        var seen = Set<ArraySlice<Unicode.Scalar>>()
        var count = 0, chars = 0
        for item in items where !seen.insert(item).inserted {
            count += 1
            chars += item.count
        }
        return (count, chars)
    }
}

/// Boilerplate: the share of lines that look like site furniture (copyright notices, menus,
/// login and terms links, "reproduction prohibited" notices).
public struct BoilerplateFilter: QualityFilter {
    /// Phrases that mark a boilerplate line (matched ignoring ASCII case).
    public var phrases: [String] = BoilerplateFilter.defaultPhrases {
        didSet { lowered = Self.lowercased(phrases) }
    }
    /// The phrases as lowercased scalars, computed once rather than per document.
    private var lowered = BoilerplateFilter.lowercased(BoilerplateFilter.defaultPhrases)

    /// The default phrases: copyright and reproduction notices, login and terms links.
    public static let defaultPhrases = [
        "copyright", "all rights reserved", "©", "ⓒ", "무단전재", "무단 전재", "재배포 금지", "재배포금지",
        "이용약관", "개인정보처리방침", "개인정보 처리방침", "로그인", "회원가입", "바로가기",
        "맨 위로", "top으로", "privacy policy", "terms of use", "cookie",
    ]

    static func lowercased(_ phrases: [String]) -> [[Unicode.Scalar]] {
        phrases.map { Array($0.lowercased().unicodeScalars) }
    }

    /// Lines of at most this many words whose items are joined by `|`, `›`, `»` or `>`
    /// (`홈 | 소개 | 문의`, `홈 > 법령 > 헌법`) count as menus. The middle dot `·` is not a
    /// separator: Korean statutes enumerate with it (`보통·평등·직접·비밀선거`).
    public var menuMaxWords = 12
    /// A line with a boilerplate phrase counts only when it has at most this many words: a
    /// sentence of the Copyright Act that mentions copyright is not a footer.
    public var phraseLineMaxWords = 15
    /// Most share of boilerplate lines (default 0.5).
    public var maxFraction: Double = 0.5
    /// Creates the filter with the defaults.
    public init() {}
    /// `boilerplate`.
    public var name: String { "boilerplate" }

    /// Checks the share of boilerplate lines.
    public func evaluate(_ p: TextProfile) -> Rejection? {
        let lines = p.lines.filter { !$0.isEmpty }
        guard !lines.isEmpty else { return nil }
        var hits = 0
        for l in lines {
            let text = Array(p.scalars[l]).map { s -> Unicode.Scalar in
                (s.value >= 0x41 && s.value <= 0x5A) ? Unicode.Scalar(s.value + 32)! : s
            }
            let words = text.split { $0 == " " }.count
            var boiler = words <= phraseLineMaxWords && lowered.contains { phrase in Self.contains(text, phrase) }
            if !boiler {
                // Menus: several short items joined by |, ›, » or >.
                let separators = text.filter { ["|", "›", "»", ">"].contains($0) }.count
                boiler = separators >= 2 && words <= menuMaxWords && separators * 2 >= words - 1
            }
            if boiler { hits += 1 }
        }
        let f = ratio(hits, lines.count)
        return f > maxFraction ? Rejection(rule: name, detail: "boilerplate lines \(format(f)) > \(maxFraction)") : nil
    }

    static func contains(_ text: [Unicode.Scalar], _ phrase: [Unicode.Scalar]) -> Bool {
        guard !phrase.isEmpty, text.count >= phrase.count else { return false }
        outer: for i in 0...(text.count - phrase.count) {
            for k in 0..<phrase.count where text[i + k] != phrase[k] { continue outer }
            return true
        }
        return false
    }
}

/// A block list: documents containing any listed phrase (case-insensitive for ASCII) or
/// matching any listed regular expression are removed.
///
/// The file format: one entry per line; blank lines and lines starting with `#` are ignored; a
/// line starting with `re:` is an ICU regular expression, any other line a phrase.
public struct BlockListFilter: QualityFilter {
    /// Phrases, lowercased.
    public let phrases: [[UInt8]]
    /// Regular expressions.
    package let patterns: [RegularExpression]
    /// The file's name (for reports).
    public let source: String

    /// Parses a block-list file's content.
    public init(contents: [UInt8], source: String) throws(DataError) {
        var phrases: [[UInt8]] = [], patterns: [RegularExpression] = []
        for (k, raw) in contents.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            var line = Array(raw)
            if line.last == 0x0D { line.removeLast() }
            guard let text = String(validating: line, as: UTF8.self) else {
                throw .invalidFormat(path: source, problem: "line \(k + 1): invalid UTF-8")
            }
            let trimmed = text.trimmingSpaces()
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if trimmed.hasPrefix("re:") {
                do { patterns.append(try RegularExpression(String(trimmed.dropFirst(3)))) } catch {
                    throw .invalidFormat(path: source, problem: "line \(k + 1): \(error.description)")
                }
            } else {
                phrases.append(Array(trimmed.utf8).map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 })
            }
        }
        self.phrases = phrases
        self.patterns = patterns
        self.source = source
    }

    /// `block_list`.
    public var name: String { "block_list" }

    /// Looks for the phrases, then the patterns.
    public func evaluate(_ p: TextProfile) -> Rejection? {
        let lowered = p.bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 }
        for phrase in phrases where lowered.firstRange(of: phrase) != nil {
            return Rejection(rule: name, detail: "contains \"\(String(decoding: phrase, as: UTF8.self))\"")
        }
        for re in patterns {
            if (try? re.contains(p.bytes)) ?? false { return Rejection(rule: name, detail: "matches /\(re.pattern)/") }
        }
        return nil
    }
}

extension String {
    func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}

/// A list of filters applied in order; the first that rejects a document names the reason.
public struct QualityPipeline: Sendable {
    /// The filters.
    public var filters: [any QualityFilter]

    /// Creates a pipeline.
    public init(_ filters: [any QualityFilter]) { self.filters = filters }

    /// The recommended set for Korean text, with every default threshold: invalid characters,
    /// length, script mix, character classes, word length, repetition, boilerplate, offensive
    /// language.
    public static var recommended: QualityPipeline {
        QualityPipeline([InvalidCharacterFilter(), LengthFilter(), ScriptFilter(), CharacterClassFilter(),
                         WordLengthFilter(), RepetitionFilter(), BoilerplateFilter(), OffensiveLanguageFilter()])
    }

    /// nil to keep the document, else the first rule that removes it.
    public func evaluate(_ text: [UInt8]) -> Rejection? {
        let profile = TextProfile(text)
        for f in filters { if let r = f.evaluate(profile) { return r } }
        return nil
    }
}
