import Synchronization

/// Hugging Face's `Split` pre-tokenizer with a regular expression, on the system ICU regex
/// engine: the matches of `pattern` (or, with `invert`, the text between them) are handled
/// according to `behavior`, and empty pieces are dropped.
///
/// ```swift
/// let split = try RegexSplit(pattern: PretokenizationPattern.gpt2, behavior: .isolated)
/// try split.pieces("Hello world's 123")   // ["Hello", " world", "'s", " 123"]
/// ```
public struct RegexSplit: PreTokenizer {
    /// Which engine's reading of the pattern to reproduce.
    public enum Dialect: Sendable {
        /// ICU, tiktoken (fancy-regex) and Python `regex`: `X{n,m}+` is possessive.
        case standard
        /// Oniguruma, the engine of Hugging Face `tokenizers` (`tokenizer.json` patterns):
        /// `X{n,m}+` means "`X{n,m}`, one or more times". Patterns are rewritten so ICU
        /// matches what Oniguruma does.
        case oniguruma
    }

    /// The regular expression (ICU syntax, which covers the `\p{…}`, possessive and
    /// look-ahead forms tokenizer patterns use).
    public var pattern: String { regex.pattern }
    /// What happens to the matches.
    public let behavior: SplitBehavior
    /// Treat the text between matches as the delimiters instead.
    public let invert: Bool
    private let regex: LazyRegex
    /// A hand-written scanner giving the same matches, for the well-known patterns.
    let scanner: PatternScanner?

    /// Compiles `pattern` (a well-known pattern, which a hand-written scanner matches, is
    /// compiled only if the regex engine is ever asked for its matches: compiling the `\p{…}`
    /// classes of a tokenizer pattern costs one to two milliseconds of every load).
    ///
    /// - Throws: ``TokkiError/invalidConfiguration(_:)`` naming the offset of a bad pattern.
    public init(pattern: String, behavior: SplitBehavior, invert: Bool = false, dialect: Dialect = .standard) throws(TokkiError) {
        let icuPattern = dialect == .oniguruma ? try Self.fromOniguruma(pattern) : pattern
        scanner = PatternScanner.forPattern(icuPattern)
        regex = scanner == nil ? LazyRegex(try ICU.Regex(icuPattern)) : LazyRegex(pattern: icuPattern)
        self.behavior = behavior
        self.invert = invert
    }

    /// An ICU regex compiled at first use (once, whichever thread asks first).
    final class LazyRegex: Sendable {
        let pattern: String
        private let compiled = AtomicLazyReference<ICU.Regex>()

        /// A regex compiled already.
        init(_ regex: ICU.Regex) {
            pattern = regex.pattern
            _ = compiled.storeIfNil(regex)
        }

        /// A pattern compiled at first use: one that ``PatternScanner/forPattern(_:)`` knows
        /// (every one of them compiles; a test checks them against the regex engine).
        init(pattern: String) { self.pattern = pattern }

        /// The byte ranges of all non-overlapping matches in well-formed UTF-8 `text`.
        func matches(in text: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> [Range<Int>] {
            if let r = compiled.load() { return try r.matches(in: text) }
            return try compiled.storeIfNil(try ICU.Regex(pattern)).matches(in: text)
        }
    }

    /// Rewrites Oniguruma's `X{1,m}+` (an interval repeated one or more times, i.e. `X+`) for
    /// ICU, where `{1,m}+` would be possessive. Other `{n,m}+` forms are rejected as unsupported.
    static func fromOniguruma(_ pattern: String) throws(TokkiError) -> String {
        var out: [Character] = []
        let chars = Array(pattern)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\\", i + 1 < chars.count {
                out.append(c); out.append(chars[i + 1]); i += 2; continue
            }
            if c == "{", let close = chars[i...].firstIndex(of: "}"), close + 1 < chars.count, chars[close + 1] == "+" {
                let body = String(chars[(i + 1)..<close])
                let bounds = body.split(separator: ",", omittingEmptySubsequences: false)
                if bounds.count <= 2, bounds.allSatisfy({ $0.allSatisfy(\.isNumber) }), let low = Int(bounds[0]) {
                    guard low == 1 else {
                        throw .invalidConfiguration("unsupported Oniguruma quantifier {\(body)}+ in pattern \(pattern)")
                    }
                    out.append("+")
                    i = close + 2
                    continue
                }
            }
            out.append(c)
            i += 1
        }
        return String(out)
    }

    /// The matches of the pattern: from the scanner when there is one, else from ICU.
    func matches(_ text: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> [Range<Int>] {
        if let scanner { return scanner.matches(text) }
        return try regex.matches(in: text)
    }

    /// The matches of the pattern from the ICU regex engine (for differential tests).
    func regexMatches(_ text: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> [Range<Int>] {
        try regex.matches(in: text)
    }

    /// Whether ``forEachPiece(_:_:)`` can split: a hand-written scanner, with the matches
    /// and the gaps between them as pieces (`isolated`) or the matches only (tiktoken's
    /// `removed` with `invert`).
    var scansPieces: Bool { scanner != nil && (behavior == .isolated && !invert || behavior == .removed && invert) }

    /// Calls `body(start, end)` for each piece of `text`, in order, without building a list;
    /// only when ``scansPieces`` (else nothing is called).
    @inline(__always)
    func forEachPiece(_ text: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
        guard let scanner else { return }
        if behavior == .removed && invert {
            // The scanner's matches are never empty.
            scanner.forEachMatch(text, body)
            return
        }
        guard behavior == .isolated && !invert else { return }
        var previous = 0
        scanner.forEachMatch(text) { start, end in
            if previous != start { body(previous, start) }
            body(start, end)
            previous = end
        }
        if previous != text.count { body(previous, text.count) }
    }

    /// The pieces of ``forEachPiece(_:_:)`` one at a time, for loops that must not run in a
    /// closure; nil when this split does not ``scansPieces``.
    @inline(__always)
    func pieceCursor(_ text: UnsafeBufferPointer<UInt8>) -> PieceCursor? {
        guard let scanner, scansPieces else { return nil }
        return PieceCursor(scanner: scanner, text: text, gaps: behavior == .isolated)
    }

    /// Appends the pieces of `text`, shifted by `offset` (isolated splits by a hand-written
    /// scanner go straight into `pieces`).
    public func split(_ text: UnsafeBufferPointer<UInt8>, offset: Int, appendingTo pieces: inout [Range<Int>]) throws(TokkiError) {
        guard scanner != nil, behavior == .isolated, !invert else {
            for r in try split(text) { pieces.append((r.lowerBound + offset)..<(r.upperBound + offset)) }
            return
        }
        forEachPiece(text) { start, end in pieces.append((start + offset)..<(end + offset)) }
    }

    /// The byte ranges of the pieces of `text`.
    public func split(_ text: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> [Range<Int>] {
        let n = text.count
        guard n > 0 else { return [] }
        if behavior == .isolated {
            // Matches and gaps alike become pieces: one pass, one array.
            var pieces: [Range<Int>] = []
            var previous = 0
            for m in try matches(text) {
                // An empty match still cuts the text around it.
                if previous != m.lowerBound { pieces.append(previous..<m.lowerBound) }
                if !m.isEmpty { pieces.append(m) }
                previous = m.upperBound
            }
            if previous != n { pieces.append(previous..<n) }
            return pieces
        }
        if behavior == .removed && invert {
            // tiktoken's find_iter: the matches are the pieces.
            return try matches(text).filter { !$0.isEmpty }
        }
        // Matches and the gaps between them, in order, as (range, isMatch).
        var parts: [(Range<Int>, Bool)] = []
        var previous = 0
        for m in try matches(text) {
            if previous != m.lowerBound { parts.append((previous..<m.lowerBound, invert)) }
            parts.append((m, !invert))
            previous = m.upperBound
        }
        if previous != n { parts.append((previous..<n, invert)) }

        var pieces: [Range<Int>] = []
        switch behavior {
        case .isolated:
            pieces = parts.map(\.0)
        case .removed:
            pieces = parts.filter { !$0.1 }.map(\.0)
        case .contiguous:
            var previousMatch = false
            for (r, isMatch) in parts {
                if isMatch == previousMatch, let last = pieces.last {
                    pieces[pieces.count - 1] = last.lowerBound..<r.upperBound
                } else {
                    pieces.append(r)
                }
                previousMatch = isMatch
            }
        case .mergedWithPrevious:
            var previousMatch = false
            for (r, isMatch) in parts {
                if isMatch && !previousMatch, let last = pieces.last {
                    pieces[pieces.count - 1] = last.lowerBound..<r.upperBound
                } else {
                    pieces.append(r)
                }
                previousMatch = isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            for (r, isMatch) in parts.reversed() {
                if isMatch && !previousMatch, let last = pieces.last {
                    pieces[pieces.count - 1] = r.lowerBound..<last.upperBound
                } else {
                    pieces.append(r)
                }
                previousMatch = isMatch
            }
            pieces.reverse()
        }
        return pieces.filter { !$0.isEmpty }
    }
}

/// The pieces of a ``RegexSplit`` that ``RegexSplit/scansPieces``, one at a time, in the order
/// of ``RegexSplit/forEachPiece(_:_:)``: its scanner's matches, and with `gaps` the text
/// between them too. Never an empty piece.
struct PieceCursor {
    let scanner: PatternScanner
    let p: UnsafePointer<UInt8>?
    let n: Int
    let gaps: Bool
    let table = PatternScanner.bmpTable
    /// Where the scan goes on, and where the last piece given ended.
    var i = 0, previous = 0
    /// A match found after a gap, given by the next call (-1: none).
    var pendingStart = -1, pendingEnd = -1

    init(scanner: PatternScanner, text: UnsafeBufferPointer<UInt8>, gaps: Bool) {
        self.scanner = scanner
        p = text.baseAddress
        n = text.count
        self.gaps = gaps
    }

    /// The next piece (`start < end`), or nil after the last.
    @inline(__always)
    mutating func next() -> (start: Int, end: Int)? {
        if pendingStart >= 0 {
            defer { pendingStart = -1 }
            return (pendingStart, pendingEnd)
        }
        guard let p else { return nil }
        while i < n {
            let start = i
            let end = scanner.matchEnd(p, start, n, table)
            guard end > start else {
                i += BPEModel.utf8Length(p[i])   // no match here: the regex tries the next character
                continue
            }
            i = end
            let gapStart = previous
            previous = end
            if gaps && gapStart != start {
                pendingStart = start; pendingEnd = end
                return (gapStart, start)
            }
            return (start, end)
        }
        if gaps && previous != n {
            defer { previous = n }
            return (previous, n)
        }
        return nil
    }
}
