import CSupport

/// A Unicode normalization form computed by the system ICU.
///
/// ```swift
/// let nfkc = try ICUNormalizer(.nfkc)
/// try nfkc.normalize("①")   // "1"
/// ```
public struct ICUNormalizer: Normalizer {
    /// The normalization forms ICU provides.
    public enum Form: String, Sendable, CaseIterable {
        /// Canonical decomposition, then canonical composition.
        case nfc
        /// Canonical decomposition.
        case nfd
        /// Compatibility decomposition, then canonical composition.
        case nfkc
        /// Compatibility decomposition.
        case nfkd
        /// NFKC with case folding and removal of default-ignorable code points (NFKC_Casefold).
        case nfkcCasefold = "nfkc_cf"

        var icu: ICU.Form {
            switch self {
            case .nfc: .nfc
            case .nfd: .nfd
            case .nfkc: .nfkc
            case .nfkd: .nfkd
            case .nfkcCasefold: .nfkcCasefold
            }
        }
    }

    /// The form this normalizer applies.
    public let form: Form
    /// When set, only code points in this ICU UnicodeSet pattern are normalized; the rest
    /// pass through unchanged and act as normalization boundaries.
    public let filter: String?
    let handle: ICU.NormalizerHandle

    /// Creates a normalizer for `form`, optionally limited to the code points of the ICU
    /// UnicodeSet pattern `filter` (e.g. `"[^\\u3130-\\u318F]"` keeps compatibility jamo).
    ///
    /// - Throws: ``TokkiError/icu(operation:status:name:)`` when ICU rejects the pattern.
    public init(_ form: Form, filter: String? = nil) throws(TokkiError) {
        self.form = form
        self.filter = filter
        if let filter {
            handle = try ICU.NormalizerHandle(form: form.icu, filter: filter)
        } else {
            handle = try ICU.NormalizerHandle(form: form.icu)
        }
    }

    /// Whether `scalar` always starts a normalization segment and is unchanged on its own:
    /// a string made only of such characters is already normalized.
    public func isStableStarter(_ scalar: Unicode.Scalar) -> Bool { handle.isStableStarter(scalar.value) }

    /// Normalizes well-formed UTF-8 with ICU (a quick check skips text already normalized).
    public func normalize(utf8 input: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> NormalizedText {
        try handle.normalize(input)
    }

    /// Whether `input` is already in this form (ICU's quick check).
    public func isNormalized(utf8 input: UnsafeBufferPointer<UInt8>) -> Bool {
        if input.isEmpty { return true }
        if (form == .nfc || form == .nfkc) && filter == nil && Self.isASCIIOrHangulSyllables(input) { return true }
        return handle.isNormalized(input)
    }

    /// Whether well-formed UTF-8 holds only ASCII and precomposed Hangul syllables (U+AC00–
    /// U+D7A3): each is unchanged by NFC and NFKC and never composes with the character before
    /// it, so such text is in both forms (the common Korean case, without a call into ICU).
    static func isASCIIOrHangulSyllables(_ input: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let p = input.baseAddress else { return true }
        let n = input.count
        var i = 0
        // Sixteen bytes at a time. In well-formed UTF-8 every byte from C0 on starts a
        // character, so text of only ASCII and syllables has no byte in C0–E9 or EE–FF: its
        // leads are EA–ED. EB and EC lead syllables only (U+B000–U+CFFF); EA and ED also lead
        // characters on either side of the syllables (U+A000–U+ABFF, U+D7A4–U+D7FF), so those
        // are checked one by one (a syllable's other bytes may lie in the next block).
        while i + 16 <= n {
            let flags = tk_hangul_block(p + i)
            if flags & 1 != 0 { return false }
            var marks = flags >> 1
            while marks != 0 {
                guard UTF8Validation.isHangulSyllable(p, i + marks.trailingZeroBitCount, n) else { return false }
                marks &= marks - 1
            }
            i += 16
        }
        // The rest from the start of the character the blocks ended in.
        while i > 0 && i < n && p[i] & 0xC0 == 0x80 { i -= 1 }
        while i < n {
            // Eight ASCII bytes at a time.
            if i + 8 <= n, UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { i += 8; continue }
            if p[i] < 0x80 { i += 1; continue }
            // A run of syllables (U+AC00–U+D7A3), then the ASCII bytes after it, without trying
            // eight ASCII bytes at every syllable (Korean words are a few syllables between spaces).
            repeat {
                if p[i] < 0x80 { i += 1; continue }
                guard UTF8Validation.isHangulSyllable(p, i, n) else { return false }
                i += 3
            } while i < n && (p[i] >= 0x80 || i + 8 > n || p[i + 1] >= 0x80)
        }
        return true
    }
}

/// A Unicode normalization form with Hugging Face's character alignment: every output
/// character maps back to the one input character that produced its first code point
/// (a composed syllable points at its leading jamo; characters absorbed by a composition
/// map to nothing), as `tokenizers`' `NFC`/`NFD`/`NFKC`/`NFKD` normalizers report offsets.
///
/// ICU reports changes per normalization segment; this type refines each changed segment
/// character by character.
public struct CharacterAlignedNormalizer: Normalizer {
    /// The underlying ICU normalizer.
    public let base: ICUNormalizer
    let decomposer: ICUNormalizer

    /// Creates the normalizer for `form` (NFC, NFD, NFKC or NFKD).
    public init(_ form: ICUNormalizer.Form) throws(TokkiError) {
        base = try ICUNormalizer(form)
        decomposer = try ICUNormalizer(form == .nfc || form == .nfd ? .nfd : .nfkd)
    }

    /// Normalizes, then splits every changed segment into per-character edits.
    public func normalize(utf8 input: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> NormalizedText {
        let coarse = try base.normalize(utf8: input)
        guard coarse.isChanged else { return coarse }
        var edits: [NormalizedText.Edit] = []
        edits.reserveCapacity(coarse.edits.count)
        for edit in coarse.edits {
            if let fine = try refine(edit, input, coarse.normalized) { edits += fine } else { edits.append(edit) }
        }
        return NormalizedText(original: coarse.original, normalized: coarse.normalized, edits: edits)
    }

    /// Scalars of `bytes` with their byte ranges.
    private func scalars(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> [(UInt32, Range<Int>)] {
        var out: [(UInt32, Range<Int>)] = []
        guard let p = bytes.baseAddress else { return out }
        var i = range.lowerBound
        while i < range.upperBound {
            let (v, len) = decodeScalar(p, i, range.upperBound)
            out.append((v, i..<(i + len)))
            i += len
        }
        return out
    }

    private func decompositionLength(_ v: UInt32) throws(TokkiError) -> Int {
        guard let s = Unicode.Scalar(v) else { return 1 }
        return try decomposer.normalize(String(Character(s))).unicodeScalars.count
    }

    private func refine(_ edit: NormalizedText.Edit, _ input: UnsafeBufferPointer<UInt8>, _ output: [UInt8]) throws(TokkiError) -> [NormalizedText.Edit]? {
        let sources = scalars(input, edit.originalRange)
        guard sources.count > 1 || edit.normalizedLength > 0 else { return nil }
        let outs = output.withUnsafeBufferPointer { scalars($0, edit.normalizedRange) }
        // The decomposed source stream: which source character owns each element.
        var owners: [Int] = []
        for (k, s) in sources.enumerated() {
            owners.append(contentsOf: repeatElement(k, count: try decompositionLength(s.0)))
        }
        // Each output character owns the source character of its first decomposed element.
        var position = 0
        var outOwner: [Int] = []
        for o in outs {
            guard position < owners.count else { return nil }
            outOwner.append(owners[position])
            position += try decompositionLength(o.0)
        }
        guard position == owners.count, zip(outOwner, outOwner.dropFirst()).allSatisfy({ $0 <= $1 }) else { return nil }
        var edits: [NormalizedText.Edit] = []
        var j = 0
        for (k, s) in sources.enumerated() {
            let first = j
            while j < outs.count && outOwner[j] == k { j += 1 }
            let start = first < outs.count ? outs[first].1.lowerBound : edit.normalizedRange.upperBound
            let end = j > first ? outs[j - 1].1.upperBound : start
            edits.append(.init(originalStart: s.1.lowerBound, originalLength: s.1.count, normalizedStart: start, normalizedLength: end - start))
        }
        return edits
    }
}
