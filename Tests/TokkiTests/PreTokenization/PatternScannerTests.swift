import Testing
@testable import Tokki
import TokkiTestSupport

/// The hand-written scanners must find exactly the matches of the regular expressions
/// (ICU's engine) on every input: random strings over an alphabet of the characters the
/// patterns treat specially.
@Suite struct PatternScannerTests {
    static let patterns: [(String, String)] = [
        ("gpt2", PretokenizationPattern.gpt2), ("r50k", PretokenizationPattern.r50k),
        ("cl100k", PretokenizationPattern.cl100k), ("llama3", PretokenizationPattern.llama3),
        ("qwen2", PretokenizationPattern.qwen2), ("o200k", PretokenizationPattern.o200k),
        ("tekken", PretokenizationPattern.tekken), ("digits3", #"\p{N}{1,3}"#),
        ("deepseekCJK", PretokenizationPattern.deepseekCJK), ("deepseek", PretokenizationPattern.deepseek),
        ("whiteSpace", #"\p{White_Space}"#), ("bertPunctuation", PretokenizationPattern.bertPunctuation),
        ("clip", PatternScanner.clipPattern),
    ]

    /// Letters (ASCII, Hangul, jamo, CJK, supplementary), digits of several kinds, every
    /// kind of whitespace, apostrophes and contraction letters in both cases, long s,
    /// ligatures, punctuation, marks, emoji, controls.
    static let alphabet: [String] = [
        "a", "b", "s", "S", "t", "T", "r", "R", "e", "E", "v", "V", "m", "M", "l", "L", "d", "D", "x", "ſ", "ﬅ", "ﬆ", "K",
        "'", "’", "한", "국", "ㄱ", "ᄀ", "ᅡ", "漢", "𝐀", "é", "\u{301}", "\u{302}", "ß", "İ", "ǅ", "ʰ", "Ａ", "ａ", "Ⓐ", "ⓐ", "ᵃ", "Σ", "ς",
        "0", "7", "٣", "Ⅻ", "½", "²", "𝟘",
        " ", " ", " ", "\t", "\n", "\n", "\r", "\r\n", "\u{0B}", "\u{0C}", "\u{85}", "\u{A0}", "\u{2028}", "\u{3000}", "\u{1C}",
        ".", ",", "!", "?", "-", "「", "」", "…", "$", "+", "/", "//", "_", "©", "€", "^", "`", "\\", "あ", "ア", "ゟ", "ー", "㐀", "龥", "龦", "一", "@", "👍", "🏽", "\u{200D}", "\u{FEFF}", "\u{0}", "\u{7F}",
        "*", "%", "[", "]", "{", "~", "·", "¿", "§", "‐", "〔", "・", "｡", "𝄞", "𐄀", "\u{1680}", "\u{205F}",
    ]

    /// A random string over ``alphabet``: up to 10 symbols, up to 40 on every tenth trial.
    static func randomText(_ trial: Int, _ rng: inout SplitMixGenerator) -> String {
        var s = ""
        for _ in 0..<Int.random(in: 0...(trial % 10 == 0 ? 40 : 10), using: &rng) { s += alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] }
        return s
    }

    /// Appending pieces with an offset gives `split`'s pieces shifted, for scanner splits
    /// (streamed) and regex splits of every behaviour (through the default).
    @Test func appendingSplitEqualsSplit() throws {
        var splitters: [RegexSplit] = []
        for (_, pattern) in Self.patterns { splitters.append(try RegexSplit(pattern: pattern, behavior: .isolated)) }
        for behavior in SplitBehavior.allCases { splitters.append(try RegexSplit(pattern: #"\s+|\p{N}"#, behavior: behavior)) }
        splitters.append(try RegexSplit(pattern: #"\p{L}+"#, behavior: .removed, invert: true))
        #expect(splitters.contains { $0.scanner != nil } && splitters.contains { $0.scanner == nil })
        var rng = SplitMixGenerator(seed: 77)
        for trial in 0..<2_000 {
            let s = Self.randomText(trial, &rng)
            let bytes = Array(s.utf8)
            for split in splitters {
                try bytes.withUnsafeBufferPointer { (b) throws(TokkiError) in
                    var appended: [Range<Int>] = [0..<0]
                    try split.split(b, offset: 5, appendingTo: &appended)
                    let expected = [0..<0] + (try split.split(b)).map { ($0.lowerBound + 5)..<($0.upperBound + 5) }
                    #expect(appended == expected, "\(split.behavior) \(s.debugDescription)")
                }
            }
        }
    }

    /// ``PieceCursor`` gives the pieces of the split (scanner splits: matches and gaps, and
    /// the matches only of an inverted `removed` split) one at a time, on random strings, and
    /// none on empty text; other splits have no cursor.
    @Test func pieceCursorGivesTheSplitsPieces() throws {
        var splitters: [RegexSplit] = []
        for (_, pattern) in Self.patterns { splitters.append(try RegexSplit(pattern: pattern, behavior: .isolated)) }
        splitters.append(try RegexSplit(pattern: PretokenizationPattern.gpt2, behavior: .removed, invert: true))
        #expect(try RegexSplit(pattern: #"\s+|\p{N}"#, behavior: .isolated).pieceCursor(UnsafeBufferPointer(start: nil, count: 0)) == nil)
        #expect(try RegexSplit(pattern: PretokenizationPattern.gpt2, behavior: .mergedWithPrevious).pieceCursor(UnsafeBufferPointer(start: nil, count: 0)) == nil)
        var rng = SplitMixGenerator(seed: 78)
        var checked = 0
        for trial in 0..<2_000 {
            let s = Self.randomText(trial, &rng)
            let bytes = Array(s.utf8)
            for split in splitters {
                try bytes.withUnsafeBufferPointer { (b) throws(TokkiError) in
                    guard var cursor = split.pieceCursor(b) else { Issue.record("no cursor for \(split.behavior)"); return }
                    var pieces: [Range<Int>] = []
                    while let (start, end) = cursor.next() {
                        #expect(start < end)
                        pieces.append(start..<end)
                    }
                    #expect(cursor.next() == nil)
                    let expected = try split.split(b)
                    #expect(pieces == expected, "\(split.behavior) \(s.debugDescription)")
                    checked += pieces.count
                }
            }
        }
        #expect(checked > 10_000)
    }

    @Test(arguments: patterns)
    func scannerAgreesWithTheRegex(name: String, pattern: String) throws {
        let split = try RegexSplit(pattern: pattern, behavior: .isolated)
        #expect(split.scanner != nil, "\(name) should have a scanner")
        var rng = SplitMixGenerator(seed: 0x5EED_0000 + UInt64(name.utf8.count))
        var failures: [String] = []
        for trial in 0..<20_000 {
            let length = Int.random(in: 0...(trial % 10 == 0 ? 60 : 12), using: &rng)
            var s = ""
            for _ in 0..<length { s += Self.alphabet[Int.random(in: 0..<Self.alphabet.count, using: &rng)] }
            let bytes = Array(s.utf8)
            let (scanned, regexed) = try bytes.withUnsafeBufferPointer { (b) throws(TokkiError) in
                (split.scanner!.matches(b), try split.regexMatches(b))
            }
            if scanned != regexed {
                failures.append("\(s.unicodeScalars.map { String($0.value, radix: 16) }): scanner \(scanned) regex \(regexed)")
                if failures.count > 5 { break }
            }
        }
        #expect(failures.isEmpty, Comment(rawValue: "\(name):\n" + failures.joined(separator: "\n")))
    }

    /// The class table asks ICU for White_Space only of separators and controls: every
    /// White_Space code point is one, so the space bit is the property's, everywhere.
    @Test func spaceClassIsWhiteSpace() {
        var spaces = 0
        for v in UInt32(0)..<0x11_0000 where !(0xD800...0xDFFF).contains(v) {
            let white = ICU.isWhiteSpace(v)
            if white { spaces += 1 }
            #expect(white == (PatternScanner.classify(v) & PatternScanner.space != 0), "U+\(String(v, radix: 16))")
            if v < 0x10000 { #expect(PatternScanner.bmp[Int(v)] == PatternScanner.classify(v)) }
        }
        #expect(spaces == 25)
    }

    /// The plane-wide tables are made from ICU's ranges of equal category
    /// (``ICU/bmpCategories()``): every code point of the plane, surrogates included, gets
    /// the category, class and punctuation flag that its own look-up gives.
    @Test func planeTablesAgreeWithSingleLookUps() {
        let categories = ICU.bmpCategories()
        #expect(categories.count == 0x10000)
        var wrong: [String] = []
        for v in 0..<0x10000 where wrong.count < 5 {
            let category = ICU.category(UInt32(v))
            let punctuation = [19, 20, 21, 22, 23, 28, 29].contains(category)
            if Int32(categories[v]) != category || PatternScanner.bmp[v] != PatternScanner.classify(UInt32(v))
                || PatternScanner.bmpPunctuation[v] != punctuation {
                wrong.append("U+\(String(v, radix: 16)): category \(categories[v]) / \(category)")
            }
        }
        #expect(wrong.isEmpty, Comment(rawValue: wrong.joined(separator: "\n")))
        // Several categories, so a table of one value could not pass.
        #expect(Set(categories).count > 20)
    }

    @Test func otherPatternsHaveNoScanner() throws {
        #expect(try RegexSplit(pattern: #"\s+"#, behavior: .isolated).scanner == nil)
    }
}
