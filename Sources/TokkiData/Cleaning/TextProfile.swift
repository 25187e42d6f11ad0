/// Character, word and line statistics of one document, computed in one pass over its UTF-8
/// bytes; every quality filter reads from it.
///
/// Characters are Unicode scalars. Words are maximal runs of non-whitespace (for Korean, the
/// eojeol). Lines are separated by `\n`; paragraphs by blank lines.
public struct TextProfile: Sendable {
    /// The document's bytes.
    public let bytes: [UInt8]
    /// The scalars.
    public let scalars: [Unicode.Scalar]
    /// Characters that are not whitespace.
    public private(set) var nonSpace = 0
    /// Letters of any script (general category L*).
    public private(set) var letters = 0
    /// Hangul syllables and jamo.
    public private(set) var hangul = 0
    /// Han ideographs.
    public private(set) var han = 0
    /// Latin letters.
    public private(set) var latin = 0
    /// Letters of other scripts.
    public private(set) var otherLetters = 0
    /// Decimal digits (Nd).
    public private(set) var digits = 0
    /// Punctuation (P*).
    public private(set) var punctuation = 0
    /// Symbols (S*).
    public private(set) var symbols = 0
    /// Control characters other than the ASCII whitespace ones (tab, LF, VT, FF, CR) (Cc).
    public private(set) var controls = 0
    /// U+FFFD replacement characters (the trace of a broken decoding).
    public private(set) var replacements = 0
    /// Private-use, unassigned and non-character code points.
    public private(set) var invalid = 0
    /// Word ranges (scalar indices).
    public private(set) var words: [Range<Int>] = []
    /// Line ranges (scalar indices, without the newline).
    public private(set) var lines: [Range<Int>] = []

    /// Profiles well-formed UTF-8 `bytes`.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(bytes.count)
        var decoder = UTF8()
        var it = bytes.makeIterator()
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue(let s): scalars.append(s)
            case .emptyInput: break loop
            case .error: scalars.append("\u{FFFD}")
            }
        }
        self.scalars = scalars
        var wordStart = -1
        var lineStart = 0
        for (i, s) in scalars.enumerated() {
            let v = s.value
            let space = v == 0x20 || (v >= 0x09 && v <= 0x0D) || v == 0x3000 || (v > 0x7F && s.properties.isWhitespace)
            if space {
                if wordStart >= 0 { words.append(wordStart..<i); wordStart = -1 }
                if v == 0x0A { lines.append(lineStart..<i); lineStart = i + 1 }
                continue
            }
            if wordStart < 0 { wordStart = i }
            nonSpace += 1
            classify(s)
        }
        if wordStart >= 0 { words.append(wordStart..<scalars.count) }
        if lineStart < scalars.count || lines.isEmpty { lines.append(lineStart..<scalars.count) }
    }

    private mutating func classify(_ s: Unicode.Scalar) {
        let v = s.value
        if v < 0x80 {
            switch v {
            case 0x41...0x5A, 0x61...0x7A: letters += 1; latin += 1
            case 0x30...0x39: digits += 1
            case 0x00...0x1F, 0x7F: controls += 1
            case 0x24, 0x2B, 0x3C...0x3E, 0x5E, 0x60, 0x7C, 0x7E: symbols += 1
            default: punctuation += 1
            }
            return
        }
        if (0xAC00...0xD7A3).contains(v) || (0x1100...0x11FF).contains(v) || (0x3130...0x318F).contains(v)
            || (0xA960...0xA97F).contains(v) || (0xD7B0...0xD7FF).contains(v) {
            letters += 1; hangul += 1
            return
        }
        if v == 0xFFFD { replacements += 1; symbols += 1; return }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            letters += 1
            if (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0xF900...0xFAFF).contains(v) || (0x20000...0x3FFFF).contains(v) {
                han += 1
            } else if (0x00C0...0x024F).contains(v) || (0x1E00...0x1EFF).contains(v) || (0xFF21...0xFF5A).contains(v) {
                latin += 1
            } else {
                otherLetters += 1
            }
        case .decimalNumber: digits += 1
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation:
            punctuation += 1
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol: symbols += 1
        case .control: controls += 1
        case .privateUse, .unassigned, .surrogate: invalid += 1
        default:
            if s.properties.isNoncharacterCodePoint { invalid += 1 }
        }
    }

    /// The text of scalar range `r`.
    public func text(_ r: Range<Int>) -> String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars[r])
        return String(s)
    }

    /// Characters in words (whitespace excluded).
    public var wordCharacters: Int { words.reduce(0) { $0 + $1.count } }
}
