/// Hand-written scanners for the pre-tokenization patterns of GPT-2 / r50k / p50k, cl100k,
/// and Llama 3 / Qwen 2: the same matches as the regular expressions (a differential test
/// over random Unicode strings checks this against ICU), without a regex engine.
///
/// Character classes come from the system ICU (the same data its regex engine uses):
/// `\p{L}`, `\p{N}`, `\s` (White_Space) and CR/LF.
struct PatternScanner: Sendable {
    enum Kind: Sendable, Equatable {
        /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
        /// (GPT-2; r50k/p50k's possessive form matches the same).
        case gpt2
        /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,k}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
        /// (Llama 3 with k = 3, Qwen 2 with k = 1); with `trailingSpace`, cl100k's extra
        /// `\s++$` before the newline alternative.
        case llama3(maxDigits: Int, trailingSpace: Bool)
        /// o200k's case-aware words (`[^\r\n\p{L}\p{N}]?U*W+C?|[^\r\n\p{L}\p{N}]?U+W*C?` with
        /// U = [Lu Lt Lm Lo M], W = [Ll Lm Lo M], C an optional contraction), digits by up to
        /// `maxDigits`, `[\r\n/]*` after punctuation (o200k, Llama 4; Tekken without
        /// contractions and with single digits).
        case o200k(maxDigits: Int, contractions: Bool)
        /// DeepSeek V3's three splits: `\p{N}{1,3}`, `[一-龥぀-ゟ゠-ヿ]+` and
        /// `[ASCII punctuation][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
        /// (these leave gaps: text no alternative matches).
        case digitGroups(Int)
        case cjkRuns
        case deepseek
        /// `\p{White_Space}`: every whitespace character alone (BERT's and `Whitespace`'s split).
        case whiteSpace
        /// `[\p{P}!-/:-@\[-`{-~]`: every punctuation character (Unicode P, or an ASCII
        /// symbol) alone (BERT's and `Punctuation`'s split).
        case bertPunctuation
        /// `'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+` (CLIP; whitespace is
        /// left between the matches).
        case clip
    }

    /// CLIP's pattern (`Split` with `invert`, before byte-level BPE).
    static let clipPattern = #"'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"#

    let kind: Kind

    /// The scanner for `pattern`, when it is one of the known patterns.
    static func forPattern(_ pattern: String) -> PatternScanner? {
        switch pattern {
        case PretokenizationPattern.gpt2, PretokenizationPattern.r50k: return PatternScanner(kind: .gpt2)
        case PretokenizationPattern.llama3: return PatternScanner(kind: .llama3(maxDigits: 3, trailingSpace: false))
        case PretokenizationPattern.qwen2: return PatternScanner(kind: .llama3(maxDigits: 1, trailingSpace: false))
        case PretokenizationPattern.cl100k: return PatternScanner(kind: .llama3(maxDigits: 3, trailingSpace: true))
        case PretokenizationPattern.o200k: return PatternScanner(kind: .o200k(maxDigits: 3, contractions: true))
        case PretokenizationPattern.tekken: return PatternScanner(kind: .o200k(maxDigits: 1, contractions: false))
        case #"\p{N}{1,3}"#: return PatternScanner(kind: .digitGroups(3))
        case PretokenizationPattern.deepseekCJK: return PatternScanner(kind: .cjkRuns)
        case PretokenizationPattern.deepseek: return PatternScanner(kind: .deepseek)
        case #"\p{White_Space}"#: return PatternScanner(kind: .whiteSpace)
        case PretokenizationPattern.bertPunctuation: return PatternScanner(kind: .bertPunctuation)
        case clipPattern: return PatternScanner(kind: .clip)
        default: return nil
        }
    }

    // MARK: Character classes

    static let letter: UInt8 = 1, number: UInt8 = 2, space: UInt8 = 4, newline: UInt8 = 8
    /// o200k's "upper" class [Lu Lt Lm Lo M] and "lower" class [Ll Lm Lo M].
    static let upper: UInt8 = 16, lower: UInt8 = 32
    /// Marks (M) and punctuation or symbols (P, S).
    static let mark: UInt8 = 64, punctOrSymbol: UInt8 = 128

    /// Unicode punctuation (P) or an ASCII symbol, as BERT's `_is_punctuation`.
    @inline(__always)
    static func isBertPunctuation(_ v: UInt32) -> Bool {
        if v < 0x80 {
            return (0x21...0x2F).contains(v) || (0x3A...0x40).contains(v) || (0x5B...0x60).contains(v) || (0x7B...0x7E).contains(v)
        }
        if v < 0x10000 { return bmpPunctuation[Int(v)] }
        switch ICU.category(v) {
        case 19...23, 28, 29: return true    // Pd Ps Pe Pc Po Pi Pf
        default: return false
        }
    }

    /// Unicode punctuation (P) in the Basic Multilingual Plane.
    static let bmpPunctuation: [Bool] = ICU.bmpCategories().map { category in
        switch category {
        case 19...23, 28, 29: return true
        default: return false
        }
    }

    /// Classes of the Basic Multilingual Plane, one byte per code point (``classify(_:)`` of
    /// each, from the categories of the whole plane read at once: every process that loads a
    /// model with a split pattern makes this table).
    static let bmp: [UInt8] = {
        let categories = ICU.bmpCategories()
        guard categories.count == 0x10000 else { return (0..<0x10000).map { classify(UInt32($0)) } }
        // The class bits each category gives, then White_Space and CR/LF per code point.
        let byCategory = (0..<32).map { classBits(category: Int32($0)) }
        return (0..<0x10000).map { v in
            let category = Int(categories[v])
            var c = category < byCategory.count ? byCategory[category] : 0
            if (12...15).contains(category) && ICU.isWhiteSpace(UInt32(v)) { c |= space }
            if v == 0x0A || v == 0x0D { c |= newline }
            return c
        }
    }()
    /// ``bmp`` at a fixed address, read by the scanners (``forEachMatch(_:_:)``, ``PieceCursor``)
    /// without a closure (made once and never freed: 64 KB, read-only).
    nonisolated(unsafe) static let bmpTable: UnsafePointer<UInt8> = {
        let t = UnsafeMutablePointer<UInt8>.allocate(capacity: 0x10000)
        bmp.withUnsafeBufferPointer { b in t.initialize(from: b.baseAddress!, count: 0x10000) }
        return UnsafePointer(t)
    }()

    static func classify(_ v: UInt32) -> UInt8 {
        let category = ICU.category(v)
        var c = classBits(category: category)
        // Every White_Space code point is a separator (Zs Zl Zp) or a control (Cc).
        if (12...15).contains(category) && ICU.isWhiteSpace(v) { c |= space }
        if v == 0x0A || v == 0x0D { c |= newline }
        return c
    }

    /// The class bits that a general category alone decides (all but ``space`` and ``newline``).
    static func classBits(category: Int32) -> UInt8 {
        var c: UInt8 = 0
        switch category {
        case 1...5: c |= letter          // Lu Ll Lt Lm Lo
        case 9...11: c |= number         // Nd Nl No
        default: break
        }
        switch category {
        case 6, 7, 8: c |= mark                       // Mn Me Mc
        case 19...29: c |= punctOrSymbol              // Pd Ps Pe Pc Po Sm Sc Sk So Pi Pf
        default: break
        }
        switch category {
        case 1, 3: c |= upper            // Lu Lt
        case 2: c |= lower               // Ll
        case 4, 5, 6, 7, 8: c |= upper | lower   // Lm Lo Mn Me Mc
        default: break
        }
        return c
    }

    /// The class and byte length of the character at `i` (well-formed UTF-8).
    @inline(__always)
    static func at(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, _ table: UnsafePointer<UInt8>) -> (UInt8, Int) {
        let b = p[i]
        if b < 0x80 { return (table[Int(b)], 1) }
        let (v, len) = decodeScalar(p, i, n)
        return (v < 0x10000 ? table[Int(v)] : classify(v), len)
    }

    // MARK: Scanning

    /// The matches of the pattern in `text`, in order (they cover the text).
    func matches(_ text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        out.reserveCapacity(text.count / 4 + 1)
        forEachMatch(text) { out.append($0..<$1) }
        return out
    }

    /// The end of the match at `i` in `p[0..<n]` (`i` when none starts there).
    @inline(__always)
    func matchEnd(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, _ table: UnsafePointer<UInt8>) -> Int {
        switch kind {
        case .gpt2: return gpt2(p, i, n, table)
        case .llama3(let digits, let trailing): return llama3(p, i, n, table, maxDigits: digits, trailingSpace: trailing)
        case .o200k(let digits, let contractions): return o200k(p, i, n, table, maxDigits: digits, contractions: contractions)
        case .digitGroups(let most): return digitGroup(p, i, n, table, most: most)
        case .cjkRuns: return cjkRun(p, i, n)
        case .deepseek: return deepseek(p, i, n, table)
        case .whiteSpace:
            let (c, len) = Self.at(p, i, n, table)
            return c & Self.space != 0 ? i + len : i
        case .bertPunctuation:
            let (v, len) = decodeScalar(p, i, n)
            return Self.isBertPunctuation(v) ? i + len : i
        case .clip: return clip(p, i, n, table)
        }
    }

    /// Calls `body(start, end)` for every match of the pattern in `text`, in order.
    @inline(__always)
    func forEachMatch(_ text: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
        guard let p = text.baseAddress, text.count > 0 else { return }
        let table = Self.bmpTable
        var i = 0
        let n = text.count
        while i < n {
            let end = matchEnd(p, i, n, table)
            if end > i {
                body(i, end)
                i = end
            } else {
                i += BPEModel.utf8Length(p[i])   // no match here: the regex tries the next character
            }
        }
    }

    /// End of the run of characters from `i` whose class has a bit of `mask` (set) or has
    /// none of it (`!set`).
    @inline(__always)
    func run(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, _ t: UnsafePointer<UInt8>, _ mask: UInt8, _ set: Bool) -> Int {
        var j = i
        // Hangul syllables (U+AC00...U+D7A3) all have one class, that of U+AC00. When it
        // continues the run, a syllable is recognised from its three bytes at once.
        let hangulContinues = (t[0xAC00] & mask != 0) == set
        while j < n {
            let b = p[j]
            if b < 0x80 {
                if (t[Int(b)] & mask != 0) != set { break }
                j += 1
                continue
            }
            if hangulContinues && UTF8Validation.isHangulSyllable(p, j, n) { j += 3; continue }
            let (c, len) = Self.at(p, j, n, t)
            if (c & mask != 0) != set { break }
            j += len
        }
        return j
    }

    /// The end of a whitespace-only match at `i` (the `\s` alternatives), given `newlines`
    /// (the `\s*[\r\n]+` alternative) and `trailingSpace` (`\s++$`).
    @inline(__always)
    func whitespace(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, _ t: UnsafePointer<UInt8>, newlines: Bool, trailingSpace: Bool) -> Int {
        // The whitespace run i..<j, its last newline and its last character.
        var j = i, lastNewline = -1, lastStart = i
        while j < n {
            let (c, len) = Self.at(p, j, n, t)
            if c & Self.space == 0 { break }
            if c & Self.newline != 0 { lastNewline = j }
            lastStart = j
            j += len
        }
        if trailingSpace && j == n { return n }                 // \s++$
        if newlines && lastNewline >= 0 { return lastNewline + 1 } // \s*[\r\n]+
        if j == n { return n }                                  // \s+(?!\S) at the end
        if lastStart > i { return lastStart }                   // \s+(?!\S): give back one
        return j                                                // \s+ / \s: one character
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d` after an apostrophe at `i`: the match length, or 0.
    @inline(__always)
    func contraction(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, caseInsensitive: Bool) -> Int {
        guard i + 1 < n else { return 0 }
        // Letters as lowercase ASCII; with (?i), 'S' and U+017F (long s) fold to 's'.
        func letter(_ k: Int) -> (UInt8, Int) {
            guard k < n else { return (0, 0) }
            let b = p[k]
            if caseInsensitive {
                if b >= 0x41 && b <= 0x5A { return (b + 0x20, 1) }
                if b == 0xC5 && k + 1 < n && p[k + 1] == 0xBF { return (0x73, 2) }
            }
            return (b, 1)
        }
        let (a, la) = letter(i + 1)
        switch a {
        case 0x73, 0x74, 0x6D, 0x64: return 1 + la                      // s t m d
        case 0x72, 0x76:                                                // re ve
            let (e, le) = letter(i + 1 + la)
            return e == 0x65 ? 1 + la + le : 0
        case 0x6C:                                                      // ll
            let (l, ll) = letter(i + 1 + la)
            return l == 0x6C ? 1 + la + ll : 0
        default: return 0
        }
    }

    func clip(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, _ t: UnsafePointer<UInt8>) -> Int {
        if p[i] == 0x27 {
            let c = contraction(p, i, n, caseInsensitive: false)
            if c > 0 { return i + c }
        }
        let (c, len) = Self.at(p, i, n, t)
        if c & Self.letter != 0 { return run(p, i, n, t, Self.letter, true) }   // [\p{L}]+
        if c & Self.number != 0 { return i + len }                            // [\p{N}]
        if c & Self.space == 0 { return run(p, i, n, t, Self.space | Self.letter | Self.number, false) }
        return i                                                              // whitespace: no match
    }

    func gpt2(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, _ t: UnsafePointer<UInt8>) -> Int {
        if p[i] == 0x27 {
            let c = contraction(p, i, n, caseInsensitive: false)
            if c > 0 { return i + c }
        }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
        let k = p[i] == 0x20 && i + 1 < n ? i + 1 : i
        let (c, _) = Self.at(p, k, n, t)
        if k > i || c & Self.space == 0 {
            if c & Self.letter != 0 { return run(p, k, n, t, Self.letter, true) }
            if c & Self.number != 0 { return run(p, k, n, t, Self.number, true) }
            if c & Self.space == 0 { return run(p, k, n, t, Self.space | Self.letter | Self.number, false) }
        }
        return whitespace(p, i, n, t, newlines: false, trailingSpace: false)
    }

    func llama3(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, _ t: UnsafePointer<UInt8>, maxDigits: Int, trailingSpace: Bool) -> Int {
        // The commonest piece of Korean text, a Hangul syllable after a space or none: the
        // letters alternative below, without classifying the space and the syllable one by one.
        let k0 = p[i] == 0x20 ? i + 1 : i
        if UTF8Validation.isHangulSyllable(p, k0, n) { return run(p, k0 + 3, n, t, Self.letter, true) }
        if p[i] == 0x27 {
            let c = contraction(p, i, n, caseInsensitive: true)
            if c > 0 { return i + c }
        }
        let (c0, l0) = Self.at(p, i, n, t)
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if c0 & Self.letter != 0 { return run(p, i, n, t, Self.letter, true) }
        if c0 & (Self.newline | Self.number) == 0 && i + l0 < n {
            let (c1, _) = Self.at(p, i + l0, n, t)
            if c1 & Self.letter != 0 { return run(p, i + l0, n, t, Self.letter, true) }
        }
        // \p{N}{1,k}
        if c0 & Self.number != 0 { return digitGroup(p, i, n, t, most: maxDigits) }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        let k = p[i] == 0x20 && i + 1 < n ? i + 1 : i
        let (ck, _) = Self.at(p, k, n, t)
        if ck & (Self.space | Self.letter | Self.number) == 0 {
            var j = run(p, k, n, t, Self.space | Self.letter | Self.number, false)
            while j < n && (p[j] == 0x0A || p[j] == 0x0D) { j += 1 }
            return j
        }
        return whitespace(p, i, n, t, newlines: true, trailingSpace: trailingSpace)
    }

    /// `U*W+` at `s` (with the regex's backtracking: U* gives back characters until W+ can
    /// start), returning the end, or -1.
    @inline(__always)
    func upperThenLower(_ p: UnsafePointer<UInt8>, _ s: Int, _ n: Int, _ t: UnsafePointer<UInt8>) -> Int {
        // U-run s..<k; remember the last character in it that is also in W.
        var k = s, lastBoth = -1, lastBothEnd = -1
        while k < n {
            let (c, len) = Self.at(p, k, n, t)
            if c & Self.upper == 0 { break }
            if c & Self.lower != 0 { lastBoth = k; lastBothEnd = k + len }
            k += len
        }
        if k < n {
            let (c, _) = Self.at(p, k, n, t)
            if c & Self.lower != 0 { return run(p, k, n, t, Self.lower, true) }
        }
        // Backtrack: W+ starts at the last character of the U-run that is also in W; the
        // characters after it are U-only, so W+ is that one character.
        return lastBoth >= 0 ? lastBothEnd : -1
    }

    /// `U+W*` at `s`: the end, or -1.
    @inline(__always)
    func upperRun(_ p: UnsafePointer<UInt8>, _ s: Int, _ n: Int, _ t: UnsafePointer<UInt8>) -> Int {
        let k = run(p, s, n, t, Self.upper, true)
        return k > s ? run(p, k, n, t, Self.lower, true) : -1
    }

    func o200k(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, _ t: UnsafePointer<UInt8>, maxDigits: Int, contractions: Bool) -> Int {
        let (c0, l0) = Self.at(p, i, n, t)
        let optional = c0 & (Self.letter | Self.number | Self.newline) == 0   // [^\r\n\p{L}\p{N}]
        func withContraction(_ e: Int) -> Int {
            guard contractions, e < n, p[e] == 0x27 else { return e }
            return e + contraction(p, e, n, caseInsensitive: true)
        }
        // Alternative 1 (optional prefix taken, then not), then alternative 2 likewise.
        if optional && i + l0 < n {
            let e = upperThenLower(p, i + l0, n, t)
            if e >= 0 { return withContraction(e) }
        }
        var e = upperThenLower(p, i, n, t)
        if e >= 0 { return withContraction(e) }
        if optional && i + l0 < n {
            e = upperRun(p, i + l0, n, t)
            if e >= 0 { return withContraction(e) }
        }
        e = upperRun(p, i, n, t)
        if e >= 0 { return withContraction(e) }
        // \p{N}{1,k}
        if c0 & Self.number != 0 { return digitGroup(p, i, n, t, most: maxDigits) }
        // ` ?[^\s\p{L}\p{N}]+[\r\n/]*`
        let k = p[i] == 0x20 && i + 1 < n ? i + 1 : i
        let (ck, _) = Self.at(p, k, n, t)
        if ck & (Self.space | Self.letter | Self.number) == 0 {
            var j = run(p, k, n, t, Self.space | Self.letter | Self.number, false)
            while j < n && (p[j] == 0x0A || p[j] == 0x0D || p[j] == 0x2F) { j += 1 }
            return j
        }
        return whitespace(p, i, n, t, newlines: true, trailingSpace: false)
    }

    // MARK: DeepSeek V3

    /// `\p{N}{1,k}` at `i`: the end, or `i` when there is no digit.
    func digitGroup(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, _ t: UnsafePointer<UInt8>, most: Int) -> Int {
        var j = i, count = 0
        while j < n && count < most {
            let (c, len) = Self.at(p, j, n, t)
            guard c & Self.number != 0 else { break }
            j += len; count += 1
        }
        return j
    }

    /// `[一-龥぀-ゟ゠-ヿ]+` at `i`.
    func cjkRun(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int {
        var j = i
        while j < n {
            let (v, len) = decodeScalar(p, j, n)
            guard (0x4E00...0x9FA5).contains(v) || (0x3040...0x30FF).contains(v) else { break }
            j += len
        }
        return j
    }

    func deepseek(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, _ t: UnsafePointer<UInt8>) -> Int {
        @inline(__always) func asciiLetter(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
        @inline(__always) func asciiPunct(_ b: UInt8) -> Bool {
            (b >= 0x21 && b <= 0x2F) || (b >= 0x3A && b <= 0x40) || (b >= 0x5B && b <= 0x60) || (b >= 0x7B && b <= 0x7E)
        }
        // [ASCII punctuation][A-Za-z]+
        if asciiPunct(p[i]) && i + 1 < n && asciiLetter(p[i + 1]) {
            var j = i + 1
            while j < n && asciiLetter(p[j]) { j += 1 }
            return j
        }
        let (c0, l0) = Self.at(p, i, n, t)
        // [^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+ (the optional part may be a mark: try with, then without)
        let optional = c0 & (Self.newline | Self.letter | Self.punctOrSymbol) == 0
        if optional && i + l0 < n {
            let e = run(p, i + l0, n, t, Self.letter | Self.mark, true)
            if e > i + l0 { return e }
        }
        if c0 & (Self.letter | Self.mark) != 0 { return run(p, i, n, t, Self.letter | Self.mark, true) }
        // ` ?[\p{P}\p{S}]+[\r\n]*`
        let k = p[i] == 0x20 && i + 1 < n ? i + 1 : i
        let (ck, _) = Self.at(p, k, n, t)
        if ck & Self.punctOrSymbol != 0 {
            var j = run(p, k, n, t, Self.punctOrSymbol, true)
            while j < n && (p[j] == 0x0A || p[j] == 0x0D) { j += 1 }
            return j
        }
        // The whitespace alternatives; anything else is not matched here.
        guard c0 & Self.space != 0 else { return i }
        return whitespace(p, i, n, t, newlines: true, trailingSpace: false)
    }
}
