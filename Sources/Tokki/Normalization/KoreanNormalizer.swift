/// The Korean-safe normalization preset (see <doc:KoreanNormalization>).
///
/// Plain NFKC damages Korean text: it turns `수고ㄳ` into `수곣`, `ㅋㅋ` into lone leading
/// jamo, `①` into `1`, `㉮` into the syllable `가`, and even NFC collapses the reading-specific
/// CJK compatibility ideographs (U+F914 낙, U+F95C 락, U+F9BF 요 all become 樂). This preset
/// runs, in one pass plus one ICU call:
///
/// 1. a byte-level pre-pass that removes controls, zero-width characters, the soft hyphen
///    and the Hangul fillers, maps halfwidth Hangul to compatibility jamo and folds the
///    middle-dot and tilde families;
/// 2. ICU NFKC (or NFC) *filtered* so that it never touches compatibility jamo, halfwidth
///    Hangul, enclosed alphanumerics (①), enclosed CJK (㈜ ㉠ ㉮), CJK compatibility
///    ideographs or square units (㎡). Everything else still gets full NFKC: fullwidth ASCII,
///    `｢｣`, U+3000, NBSP, decomposed (NFD) Hangul is composed.
///
/// Every rule is an ``Options`` flag; the defaults are documented on each flag.
///
/// ```swift
/// let korean = KoreanNormalizer()
/// try korean.normalize("ＡＢＣ ｢민법｣ 제3조 ① 수고ㄳ 정치ㆍ경제")
/// // "ABC 「민법」 제3조 ① 수고ㄳ 정치·경제"
/// ```
public struct KoreanNormalizer: Normalizer {
    /// The rules of the preset. Each default is the recommended setting for Korean
    /// (legal) text.
    public struct Options: Sendable, Equatable, Hashable {
        /// Remove C0 and C1 control characters other than tab and newline. Default `true`.
        public var removeControlCharacters = true
        /// Remove zero-width characters: U+200B, U+200D, U+2060, U+FEFF. Default `true`.
        public var removeZeroWidthCharacters = true
        /// Keep U+200D ZERO WIDTH JOINER inside emoji sequences (between two pictographs,
        /// e.g. 👩‍💻), so they stay one emoji. Only matters when zero-width characters are
        /// removed. Default `true`.
        public var keepEmojiJoiners = true
        /// Remove U+00AD SOFT HYPHEN. Default `true`.
        public var removeSoftHyphen = true
        /// Remove the four Hangul fillers U+115F, U+1160, U+3164, U+FFA0 (invisible
        /// "letters"). Default `true`.
        public var removeHangulFillers = true
        /// Map halfwidth Hangul (U+FFA1–U+FFDC, from legacy conversions) to the matching
        /// compatibility jamo (ﾡ → ㄱ). Default `true`.
        public var mapHalfwidthHangul = true
        /// Apply compatibility folding (filtered NFKC). When `false`, only canonical
        /// composition (filtered NFC) is applied. Default `true`.
        public var compatibilityFolding = true
        /// Keep Hangul compatibility jamo U+3130–U+318F (and halfwidth Hangul) out of
        /// NFKC, so `ㅋㅋ`, `ㄳ`, `ㄱㅏ` stay as written. Default `true`.
        public var keepCompatibilityJamo = true
        /// Keep enclosed alphanumerics U+2460–U+24FF (①, ⑴, ⒈) out of NFKC. Default `true`.
        public var keepEnclosedAlphanumerics = true
        /// Keep enclosed CJK letters U+3200–U+32FF (㈜, ㈔, ㉠, ㉮, ㉑) out of NFKC. Default `true`.
        public var keepEnclosedCJK = true
        /// Keep CJK compatibility ideographs (U+F900–U+FAFF, U+2F800–U+2FA1F) out of NFC and
        /// NFKC, preserving their Korean readings. Default `true`.
        public var keepCompatibilityIdeographs = true
        /// Keep CJK square units U+3380–U+33FF (㎡, ㎞, ℃ is not among them) out of NFKC,
        /// so `㎡` does not become `m2`. Default `true`.
        public var keepSquareUnits = true
        /// Fold the middle-dot family ・ (U+30FB), ･ (U+FF65), ‧ (U+2027), ⋅ (U+22C5),
        /// ∙ (U+2219) to · (U+00B7). Default `true`.
        public var foldMiddleDots = true
        /// Fold the araea ㆍ (U+318D) to · (U+00B7) where it is used as an interpunct, i.e.
        /// when neither neighbour is a compatibility jamo letter (`정치ㆍ경제` → `정치·경제`,
        /// but `ㅎㆍㄴ` is kept). Default `true`.
        public var foldAraeaInterpunct = true
        /// Fold ∼ (U+223C) and ～ (U+FF5E) to ~. Default `true`.
        public var foldTildes = true
        /// Fold curly quotes ‘ ’ to ' and “ ” to ". Default `false`.
        public var foldQuotes = false

        /// The recommended defaults.
        public init() {}
    }

    /// The rules in effect.
    public let options: Options
    private let icu: ICUNormalizer?
    private let icuError: TokkiError?
    /// One bit per BMP code point: the character starts a normalization segment and is
    /// unchanged on its own under the filtered ICU stage. Text made only of such characters
    /// is already normalized, so the ICU call can be skipped.
    private let stableBMP: [UInt64]
    /// Testing aid: always run the ICU stage, even on text made only of stable starters.
    var alwaysRunICU = false

    /// Creates the preset with the given rules (the recommended defaults when omitted).
    public init(options: Options = Options()) {
        self.options = options
        var kept: [String] = []
        if options.keepCompatibilityJamo { kept += ["\\u3130-\\u318F", "\\uFFA0-\\uFFDC"] }
        if options.keepCompatibilityIdeographs { kept += ["\\uF900-\\uFAFF", "\\U0002F800-\\U0002FA1F"] }
        let form: ICUNormalizer.Form
        if options.compatibilityFolding {
            form = .nfkc
            if options.keepEnclosedAlphanumerics { kept.append("\\u2460-\\u24FF") }
            if options.keepEnclosedCJK { kept.append("\\u3200-\\u32FF") }
            if options.keepSquareUnits { kept.append("\\u3380-\\u33FF") }
        } else {
            form = .nfc
        }
        let filter = kept.isEmpty ? nil : "[^" + kept.map { "[\($0)]" }.joined() + "]"
        var bits = [UInt64](repeating: 0, count: 1024)
        do {
            let normalizer = try ICUNormalizer(form, filter: filter)
            bits = normalizer.handle.stableStarterBitmap()
            icu = normalizer
            icuError = nil
        } catch {
            icu = nil
            icuError = error
        }
        stableBMP = bits
    }

    /// The ICU UnicodeSet pattern of the code points the ICU stage may change.
    public var icuFilter: String? { icu?.filter }

    /// Normalizes well-formed UTF-8 with the preset.
    public func normalize(utf8 input: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> NormalizedText {
        guard let icu else { throw icuError ?? .invalidConfiguration("ICU normalizer unavailable") }
        var inert = true
        let first = prepass(input, allInert: &inert)
        guard let first else {
            // Every character starts its own segment and is unchanged on its own: ICU would
            // return the text unchanged, so skip it.
            if inert && !alwaysRunICU { return NormalizedText(unchanged: Array(input)) }
            return try icu.normalize(utf8: input)
        }
        return try icu.normalize(first)
    }

    // MARK: - Pre-pass

    private enum Action { case keep, delete, replace(UInt32) }

    @inline(__always)
    private static func isCompatibilityJamoLetter(_ c: UInt32) -> Bool {
        c >= 0x3131 && c <= 0x318E && c != 0x318D
    }

    @inline(__always)
    private static func halfwidthToCompatibilityJamo(_ c: UInt32) -> UInt32? {
        switch c {
        case 0xFFA1...0xFFBE: return c - 0xFFA1 + 0x3131
        case 0xFFC2...0xFFC7: return c - 0xFFC2 + 0x314F
        case 0xFFCA...0xFFCF: return c - 0xFFCA + 0x3155
        case 0xFFD2...0xFFD7: return c - 0xFFD2 + 0x315B
        case 0xFFDA...0xFFDC: return c - 0xFFDA + 0x3161
        default: return nil
        }
    }

    /// Decodes the scalar at `i`, or 0 at the end.
    @inline(__always)
    private static func scalar(at i: Int, _ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32 {
        i < n ? decodeScalar(p, i, n).0 : 0
    }

    @inline(__always)
    private func action(_ c: UInt32, previous: UInt32, nextAt next: Int,
                        _ p: UnsafePointer<UInt8>, _ n: Int) -> Action {
        let o = options
        switch c {
        case 0x80...0x9F:
            return o.removeControlCharacters ? .delete : .keep
        case 0xAD:
            return o.removeSoftHyphen ? .delete : .keep
        case 0x115F, 0x1160, 0x3164, 0xFFA0:
            return o.removeHangulFillers ? .delete : .keep
        case 0x200B, 0x2060, 0xFEFF:
            return o.removeZeroWidthCharacters ? .delete : .keep
        case 0x200D:
            guard o.removeZeroWidthCharacters else { return .keep }
            if o.keepEmojiJoiners {
                let prevOK = previous == 0xFE0F || (0x1F3FB...0x1F3FF).contains(previous)
                    || (previous > 0x7F && ICU.isExtendedPictographic(previous))
                if prevOK {
                    let following = Self.scalar(at: next, p, n)
                    if following > 0x7F && ICU.isExtendedPictographic(following) { return .keep }
                }
            }
            return .delete
        case 0x30FB, 0xFF65, 0x2027, 0x22C5, 0x2219:
            return o.foldMiddleDots ? .replace(0xB7) : .keep
        case 0x318D:
            guard o.foldAraeaInterpunct, !Self.isCompatibilityJamoLetter(previous) else { return .keep }
            let following = Self.scalar(at: next, p, n)
            return Self.isCompatibilityJamoLetter(following) ? .keep : .replace(0xB7)
        case 0x223C, 0xFF5E:
            return o.foldTildes ? .replace(0x7E) : .keep
        case 0x2018, 0x2019:
            return o.foldQuotes ? .replace(0x27) : .keep
        case 0x201C, 0x201D:
            return o.foldQuotes ? .replace(0x22) : .keep
        case 0xFFA1...0xFFDC:
            guard o.mapHalfwidthHangul, let m = Self.halfwidthToCompatibilityJamo(c) else { return .keep }
            return .replace(m)
        default:
            return .keep
        }
    }

    /// Whether `c` starts its own segment and is unchanged on its own by the ICU stage.
    @inline(__always)
    private func isStable(_ c: UInt32) -> Bool {
        if c >= 0x10000 { return icu?.handle.isStableStarter(c) ?? false }
        return stableBMP[Int(c >> 6)] & (1 << UInt64(c & 63)) != 0
    }

    /// Applies the byte-level rules; returns nil when nothing changed. `allInert` is cleared
    /// when some character may be changed by, or interact with its neighbours in, the ICU stage.
    private func prepass(_ input: UnsafeBufferPointer<UInt8>, allInert: inout Bool) -> NormalizedText? {
        guard let p = input.baseAddress else { return nil }
        let n = input.count
        let removeControls = options.removeControlCharacters
        var builder: NormalizedTextBuilder? = nil
        var runStart = 0
        var previous: UInt32 = 0
        var i = 0
        while i < n {
            let b = p[i]
            if b < 0x80 {
                if (b >= 0x20 && b != 0x7F) || b == 0x09 || b == 0x0A || !removeControls {
                    if allInert && !isStable(UInt32(b)) { allInert = false }
                    previous = UInt32(b); i += 1; continue
                }
                if builder == nil { builder = NormalizedTextBuilder(capacity: n) }
                builder!.copy(input, runStart..<i)
                builder!.replace(i..<(i + 1), with: nil)
                previous = UInt32(b); i += 1; runStart = i
                continue
            }
            // Hangul syllables (lead bytes EA–ED) and most other scripts need nothing here.
            if (b >= 0xEA && b <= 0xED) || (b >= 0xE4 && b <= 0xE9) {
                if allInert && i + 2 < n {
                    let c = (UInt32(b & 0x0F) << 12) | (UInt32(p[i + 1] & 0x3F) << 6) | UInt32(p[i + 2] & 0x3F)
                    if !isStable(c) { allInert = false }
                }
                previous = 0xAC00; i += 3; continue
            }
            let (c, len) = decodeScalar(p, i, n)
            if allInert && !isStable(c) { allInert = false }
            switch action(c, previous: previous, nextAt: i + len, p, n) {
            case .keep:
                break
            case .delete:
                if builder == nil { builder = NormalizedTextBuilder(capacity: n) }
                builder!.copy(input, runStart..<i)
                builder!.replace(i..<(i + len), with: nil)
                runStart = i + len
            case .replace(let r):
                if builder == nil { builder = NormalizedTextBuilder(capacity: n) }
                builder!.copy(input, runStart..<i)
                builder!.replace(i..<(i + len), with: r)
                runStart = i + len
            }
            previous = c
            i += len
        }
        guard var builder else { return nil }
        if runStart < n { builder.copy(input, runStart..<n) }
        return NormalizedText(original: Array(input), normalized: builder.output, edits: builder.edits)
    }
}
