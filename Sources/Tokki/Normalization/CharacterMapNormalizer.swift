/// A normalizer defined by a function from each scalar to its replacement (nil = keep):
/// the building block of `Lowercase`, `StripAccents`, `BertNormalizer` and friends.
struct ScalarMapNormalizer: Normalizer {
    let map: @Sendable (Unicode.Scalar) -> [UInt8]?

    func normalize(utf8 input: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> NormalizedText {
        var b = NormalizedTextBuilder(capacity: input.count + 8)
        guard let p = input.baseAddress else { return b.finish(input) }
        var i = 0
        let n = input.count
        while i < n {
            let (v, len) = decodeScalar(p, i, n)
            if let scalar = Unicode.Scalar(v), let new = map(scalar) {
                b.replace(bytes: i..<(i + len), with: new)
            } else {
                b.copy(input, i..<(i + len))
            }
            i += len
        }
        return b.finish(input)
    }
}

/// Hugging Face's `Lowercase` normalizer (Unicode full lowercase mapping, not contextual).
public struct Lowercase: Normalizer {
    /// Creates the normalizer.
    public init() {}

    /// Lowercases every character.
    public func normalize(utf8 input: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> NormalizedText {
        try ScalarMapNormalizer { s in
            let v = s.value
            if v < 0x80 { return (v >= 0x41 && v <= 0x5A) ? [UInt8(v + 0x20)] : nil }
            if v < 0x10000 && Self.bmpChanges[Int(v >> 6)] & (1 << UInt64(v & 63)) == 0 { return nil }
            guard s.properties.changesWhenLowercased else { return nil }
            return Array(s.properties.lowercaseMapping.utf8)
        }.normalize(utf8: input)
    }

    /// Which code points of the Basic Multilingual Plane change when lowercased, one bit each
    /// (the property lookup is slow; most text never needs it).
    static let bmpChanges: [UInt64] = {
        var bits = [UInt64](repeating: 0, count: 0x10000 / 64)
        for v in 0..<0x10000 {
            if let s = Unicode.Scalar(UInt32(v)), s.properties.changesWhenLowercased { bits[v >> 6] |= 1 << UInt64(v & 63) }
        }
        return bits
    }()
}

extension Lowercase {
    /// For each BMP code point that changes when lowercased, its lowercase when that is one
    /// BMP code point; 0 otherwise (unchanged, or a longer full mapping such as U+0130's).
    static let bmpSimpleLowercase: [UInt16] = {
        var table = [UInt16](repeating: 0, count: 0x10000)
        for (k, word) in bmpChanges.enumerated() where word != 0 {
            for bit in 0..<64 where word & (1 << UInt64(bit)) != 0 {
                guard let s = Unicode.Scalar(UInt32(k * 64 + bit)) else { continue }
                let mapped = s.properties.lowercaseMapping.unicodeScalars
                if mapped.count == 1, let m = mapped.first, m.value < 0x10000 { table[k * 64 + bit] = UInt16(m.value) }
            }
        }
        return table
    }()
}

/// Hugging Face's `StripAccents`: removes combining marks (categories Mn, Mc and Me, as
/// `tokenizers`' `is_combining_mark`). Apply NFD first to strip the accents of precomposed
/// letters. (``BertNormalizer`` removes only Mn, as `tokenizers` does there.)
public struct StripAccents: Normalizer {
    /// Creates the normalizer.
    public init() {}

    /// Removes every combining mark.
    public func normalize(utf8 input: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> NormalizedText {
        try ScalarMapNormalizer { s in
            guard s.value >= 0x300 else { return nil }   // no combining mark below U+0300
            switch ICU.category(s.value) {
            case 6, 7, 8: return []   // Mn Me Mc
            default: return nil
            }
        }.normalize(utf8: input)
    }
}

/// Hugging Face's `Strip`: removes whitespace at the start and/or end.
public struct Strip: Normalizer {
    /// Strip leading whitespace.
    public let left: Bool
    /// Strip trailing whitespace.
    public let right: Bool

    /// Creates the normalizer.
    public init(left: Bool = true, right: Bool = true) {
        self.left = left
        self.right = right
    }

    /// Strips the ends.
    public func normalize(utf8 input: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> NormalizedText {
        var b = NormalizedTextBuilder(capacity: input.count + 8)
        guard let p = input.baseAddress else { return b.finish(input) }
        let n = input.count
        var start = 0, end = n
        if left {
            while start < n {
                let (v, len) = decodeScalar(p, start, n)
                guard Unicode.Scalar(v)?.properties.isWhitespace == true else { break }
                start += len
            }
        }
        if right {
            while end > start {
                var k = end - 1
                while k > start && p[k] & 0xC0 == 0x80 { k -= 1 }
                let (v, _) = decodeScalar(p, k, n)
                guard Unicode.Scalar(v)?.properties.isWhitespace == true else { break }
                end = k
            }
        }
        if start > 0 { b.replace(bytes: 0..<start, with: []) }
        b.copy(input, start..<end)
        if end < n { b.replace(bytes: end..<n, with: []) }
        return b.finish(input)
    }
}

/// Hugging Face's `Prepend`: puts a string in front of non-empty text.
public struct Prepend: Normalizer {
    /// The prefix.
    public let prefix: String

    /// Creates the normalizer.
    public init(_ prefix: String) { self.prefix = prefix }

    /// Prepends the prefix (the prefix maps back to the first character).
    public func normalize(utf8 input: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> NormalizedText {
        var b = NormalizedTextBuilder(capacity: input.count + 8)
        guard let p = input.baseAddress, input.count > 0 else { return b.finish(input) }
        let first = min(input.count, BPEModel.utf8Length(p[0]))
        b.replace(bytes: 0..<first, with: Array(prefix.utf8) + UnsafeBufferPointer(rebasing: input[0..<first]))
        b.copy(input, first..<input.count)
        return b.finish(input)
    }
}

/// Hugging Face's `Replace`: every match of a literal string or a regular expression is
/// replaced by `content`.
public struct Replace: Normalizer {
    /// What to look for.
    public enum Pattern: Sendable {
        /// A literal string.
        case string(String)
        /// A regular expression (Oniguruma syntax as in `tokenizer.json`).
        case regex(String)
    }

    /// The pattern.
    public let pattern: Pattern
    /// The replacement.
    public let content: String
    let literal: [UInt8]
    let regex: ICU.Regex?

    /// Creates the normalizer.
    public init(_ pattern: Pattern, content: String) throws(TokkiError) {
        self.pattern = pattern
        self.content = content
        switch pattern {
        case .string(let s):
            literal = Array(s.utf8); regex = nil
            guard !literal.isEmpty else { throw .invalidConfiguration("Replace: the pattern is empty") }
        case .regex(let r):
            literal = []; regex = try ICU.Regex(RegexSplit.fromOniguruma(r))
        }
    }

    /// The byte ranges of the matches in `input`.
    func matches(_ input: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> [Range<Int>] {
        if let regex { return try regex.matches(in: input).filter { !$0.isEmpty } }
        var out: [Range<Int>] = []
        let m = literal.count
        guard let p = input.baseAddress, input.count >= m else { return out }
        var i = 0
        let first = literal[0]
        while i + m <= input.count {
            if p[i] == first && literal.withUnsafeBufferPointer({ l in (1..<m).allSatisfy { p[i + $0] == l[$0] } }) {
                out.append(i..<(i + m)); i += m
            } else {
                i += 1
            }
        }
        return out
    }

    /// Replaces every match.
    public func normalize(utf8 input: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> NormalizedText {
        var b = NormalizedTextBuilder(capacity: input.count + 8)
        let new = Array(content.utf8)
        var last = 0
        for r in try matches(input) {
            b.copy(input, last..<r.lowerBound)
            // As tokenizers: the matched characters are removed and the replacement is
            // inserted after them, sharing the alignment of the last removed character.
            var lastChar = r.upperBound - 1
            while lastChar > r.lowerBound && input[lastChar] & 0xC0 == 0x80 { lastChar -= 1 }
            if lastChar > r.lowerBound { b.replace(bytes: r.lowerBound..<lastChar, with: [UInt8]()) }
            b.replace(bytes: lastChar..<r.upperBound, with: new)
            last = r.upperBound
        }
        b.copy(input, last..<input.count)
        return b.finish(input)
    }
}

/// Hugging Face's `BertNormalizer`: control characters removed and whitespace made spaces
/// (`cleanText`), CJK ideographs padded with spaces, accents stripped (NFD, then Mn
/// removed — which also splits Hangul syllables into conjoining jamo), lowercase.
public struct BertNormalizer: Normalizer {
    /// Remove control characters, U+0000 and U+FFFD; whitespace becomes a space.
    public let cleanText: Bool
    /// Surround CJK ideographs with spaces.
    public let handleChineseCharacters: Bool
    /// Strip accents (nil: when lowercasing).
    public let stripAccents: Bool?
    /// Lowercase.
    public let lowercase: Bool
    let nfd: ICUNormalizer

    /// Creates the normalizer (defaults as `tokenizers`).
    public init(cleanText: Bool = true, handleChineseCharacters: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) throws(TokkiError) {
        self.cleanText = cleanText
        self.handleChineseCharacters = handleChineseCharacters
        self.stripAccents = stripAccents
        self.lowercase = lowercase
        nfd = try ICUNormalizer(.nfd)
    }

    /// Whether `cleanText` removes `v` (not U+0000 / U+FFFD, handled before): a control (Cc),
    /// format (Cf), private-use (Co) or surrogate (Cs) character as `tokenizers` classifies it.
    /// Its Unicode tables are older than ICU 72's: unassigned code points (Cn) are kept, and so
    /// are the format characters it does not know (those added in Unicode 11–15, listed here;
    /// `scripts/fixtures/check_bert_clean_text.py` lists what `tokenizers` keeps).
    static func cleanTextRemoves(_ v: UInt32) -> Bool {
        switch ICU.category(v) {
        case 15, 17, 18: return true                      // Cc Co Cs
        case 16:                                          // Cf
            return !(v == 0x890 || v == 0x891 || v == 0x8E2 || v == 0x110CD || (0x13430...0x1343F).contains(v))
        default: return false
        }
    }

    static func isChinese(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B920...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }

    /// Runs the enabled steps in `tokenizers`' order.
    public func normalize(utf8 input: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> NormalizedText {
        var stages: [any Normalizer] = []
        if cleanText {
            stages.append(ScalarMapNormalizer { s in
                let v = s.value
                if v == 0x09 || v == 0x0A || v == 0x0D { return [0x20] }
                if v == 0 || v == 0xFFFD { return [] }
                if v >= 0x21 && v < 0x7F { return nil }   // printable ASCII: unchanged
                if Self.cleanTextRemoves(v) { return [] }
                if ICU.isWhiteSpace(v) { return v == 0x20 ? nil : [0x20] }
                return nil
            })
        }
        if handleChineseCharacters {
            stages.append(ScalarMapNormalizer { s in
                guard Self.isChinese(s.value) else { return nil }
                var out: [UInt8] = [0x20]
                appendUTF8(s.value, to: &out)
                out.append(0x20)
                return out
            })
        }
        if stripAccents ?? lowercase {
            stages.append(nfd)
            stages.append(ScalarMapNormalizer { s in s.value >= 0x300 && ICU.category(s.value) == 6 ? [] : nil })  // Mn
        }
        if lowercase { stages.append(Lowercase()) }
        return try NormalizerSequence(stages).normalize(utf8: input)
    }
}
