import Tokki

/// Piece texts as Unicode scalar values, the form the SentencePiece-style trainers work in.
enum PieceText {
    /// The scalars of well-formed UTF-8 (normalizer output); a malformed byte gives U+FFFD.
    static func scalars(of bytes: [UInt8]) -> [UInt32] {
        var out: [UInt32] = []
        bytes.withUnsafeBufferPointer { appendScalars(of: $0, to: &out) }
        return out
    }

    /// Appends the scalars of `b` to `out` (see ``scalars(of:)``).
    static func appendScalars(of b: UnsafeBufferPointer<UInt8>, to out: inout [UInt32]) {
        out.reserveCapacity(out.count + b.count)
        let n = b.count
        var i = 0
        while i < n {
            let b0 = UInt32(b[i])
            var v: UInt32, len: Int
            if b0 < 0x80 { v = b0; len = 1 }
            else if b0 >= 0xF0 { v = b0 & 0x07; len = 4 }
            else if b0 >= 0xE0 { v = b0 & 0x0F; len = 3 }
            else if b0 >= 0xC0 { v = b0 & 0x1F; len = 2 }
            else { v = 0xFFFD; len = 1 }
            if len > 1 {
                if i + len > n { v = 0xFFFD; len = 1 } else {
                    for k in 1..<len { v = v << 6 | UInt32(b[i + k] & 0x3F) }
                }
            }
            out.append(v)
            i += len
        }
    }

    /// The text of `scalars` (values that are not scalars are left out).
    static func string(_ scalars: some Collection<UInt32>) -> String {
        var view = String.UnicodeScalarView()
        for v in scalars { if let s = Unicode.Scalar(v) { view.append(s) } }
        return String(view)
    }
}

/// ``PieceRule/isValid(_:_:_:)`` decided from 64-bit summaries of the two halves, so that
/// the merge loop never builds a text to check a pair. A summary holds what the rule needs:
/// the length; whether the piece starts with `▁`; whether it holds a digit; the script of
/// its first character that does not take the previous one's (Inherited: 0 = none, else
/// script + 2 with 1 = any); the script in force after its last character (same code).
/// Nil (as a summary: `invalid`): the piece may not exist.
struct PieceRule: Sendable {
    let configuration: TrainerConfiguration
    let classes: CharacterClasses

    init(_ configuration: TrainerConfiguration, classes: CharacterClasses) {
        self.configuration = configuration
        self.classes = classes
    }

    /// SentencePiece's piece validity (`IsValidSentencePiece`): length, `▁` only at the
    /// start, one Unicode script per piece (Common counts as a script; Inherited takes the
    /// previous one; Hiragana and Katakana count as Han), digits alone when split.
    static func isValid(_ scalars: [UInt32], _ c: TrainerConfiguration, _ classes: CharacterClasses? = nil) -> Bool {
        guard !scalars.isEmpty, scalars.count <= c.maxPieceLength else { return false }
        let any: Int32 = -1
        var previous = any
        for (i, v) in scalars.enumerated() {
            if v == 0x2581 {
                if i > 0 { return false }
                continue
            }
            guard v != 0, v != 0x20, Unicode.Scalar(v) != nil else { return false }
            let cls = classes?.classes(of: v) ?? CharacterClasses.compute(v)
            var script = cls.0
            let isDigit = cls.1
            if script == 20 || script == 22 || v == 0x30FC { script = 17 }   // Hiragana, Katakana → Han
            else if script == 1 { script = previous }                        // Inherited
            if !c.splitByNumber && isDigit { script = any }
            if c.splitDigits && isDigit && scalars.count > 1 { return false }
            if c.splitByUnicodeScript && script != any && previous != any && previous != script { return false }
            previous = script
        }
        return true
    }

    static let invalid: UInt64 = 1 << 63
    private static let none: UInt64 = 0, any: UInt64 = 1

    private static func pack(length: Int, meta: Bool, digit: Bool, first: UInt64, last: UInt64) -> UInt64 {
        UInt64(length) | (meta ? 1 << 16 : 0) | (digit ? 1 << 17 : 0) | first << 20 | last << 40
    }

    /// The summary of the one-character piece `v`.
    func summary(of v: UInt32) -> UInt64 {
        let c = configuration
        guard c.maxPieceLength >= 1 else { return Self.invalid }
        if v == 0x2581 { return Self.pack(length: 1, meta: true, digit: false, first: Self.none, last: Self.any) }
        guard v != 0, v != 0x20, Unicode.Scalar(v) != nil else { return Self.invalid }
        let (rawScript, isDigit) = classes.classes(of: v)
        var script: UInt64?   // nil: takes the previous character's
        if rawScript == 20 || rawScript == 22 || v == 0x30FC { script = 17 + 2 }
        else if rawScript == 1 { script = nil }
        else if rawScript >= -1 && rawScript < 0xFFFF - 2 { script = UInt64(rawScript + 2) }
        else { return Self.invalid }
        if !c.splitByNumber && isDigit { script = Self.any }
        if let s = script { return Self.pack(length: 1, meta: false, digit: isDigit, first: s, last: s) }
        return Self.pack(length: 1, meta: false, digit: isDigit, first: Self.none, last: Self.any)
    }

    /// The summary of piece `x` followed by piece `y`; nil when that piece is not valid.
    func combine(_ x: UInt64, _ y: UInt64) -> UInt64? {
        guard x & Self.invalid == 0, y & Self.invalid == 0 else { return nil }
        let c = configuration
        let length = Int(x & 0xFFFF) + Int(y & 0xFFFF)
        guard length <= c.maxPieceLength, length <= 0xFFFF, y & (1 << 16) == 0 else { return nil }   // `▁` only first
        let digit = (x | y) & (1 << 17) != 0
        if c.splitDigits && digit { return nil }
        let xFirst = x >> 20 & 0xF_FFFF, xLast = x >> 40 & 0xF_FFFF
        let yFirst = y >> 20 & 0xF_FFFF, yLast = y >> 40 & 0xF_FFFF
        if c.splitByUnicodeScript && yFirst != Self.none && yFirst != Self.any && xLast != Self.any && yFirst != xLast { return nil }
        return Self.pack(length: length, meta: x & (1 << 16) != 0, digit: digit,
                         first: xFirst != Self.none ? xFirst : yFirst, last: yFirst != Self.none ? yLast : xLast)
    }
}

/// The Unicode script and decimal-digit class of characters, for piece validity: looked up
/// once for the characters given (BMP), computed through ICU for any other.
struct CharacterClasses: Sendable {
    /// Per BMP code point: 0 when not precomputed, else (script + 2) | digit << 15.
    private var bmp: [UInt16]

    init(_ scalars: some Sequence<UInt32>) {
        bmp = [UInt16](repeating: 0, count: 0x10000)
        for v in scalars where v < 0x10000 && Unicode.Scalar(v) != nil {
            let (script, isDigit) = Self.compute(v)
            guard script >= -1, script < 0x7FFD else { continue }
            bmp[Int(v)] = UInt16(script + 2) | (isDigit ? 0x8000 : 0)
        }
    }

    /// The script (ICU's code) and whether `v` is a decimal digit.
    @inline(__always)
    func classes(of v: UInt32) -> (Int32, Bool) {
        if v < 0x10000 {
            let e = bmp[Int(v)]
            if e != 0 { return (Int32(e & 0x7FFF) - 2, e & 0x8000 != 0) }
        }
        return Self.compute(v)
    }

    static func compute(_ v: UInt32) -> (Int32, Bool) {
        guard let s = Unicode.Scalar(v) else { return (0, false) }
        return (UnicodeNames.script(of: s), s.properties.numericType == .decimal)
    }
}
