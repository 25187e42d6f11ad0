/// Hanja (Chinese characters in Korean text) read in Hangul: `民法 第750條` → `민법 제750조`.
///
/// A run of Hanja is cut into the longest words libhangul's dictionary knows (234,319
/// words); a word takes its dictionary reading, a character outside any word its own reading
/// (Unihan's kHangul: the reading of the basic education list, else the KS X 1001 one). The
/// reading follows the rules of standard Korean:
/// - the initial-sound rule (두음법칙) at the start of a word: `歷史` → 역사, `勞動` → 노동,
///   `女子` → 여자, `理由` → 이유 — but `先例` → 선례, `男女` → 남녀 inside a word;
/// - 렬/률 → 열/율 after a vowel or ㄴ: `比率` → 비율, `規律` → 규율, but `確率` → 확률;
/// - `不` reads 부 before ㄷ or ㅈ (`不當` → 부당, `不動産` → 부동산), 불 otherwise.
/// Where the dictionary has the word, its reading wins (`音樂` → 음악, `樂園` → 낙원,
/// `快樂` → 쾌락). CJK compatibility ideographs (U+F900–U+FAFF), which KS X 1001 encodes
/// once per reading, keep the reading they were encoded for (U+F914 `樂` → 낙).
///
/// Hanja without any known reading are kept as they are. Each read character is one edit
/// of the alignment (one Hanja ↔ one syllable), so offsets map back exactly.
public struct HanjaNormalizer: Normalizer {
    /// What becomes of Hanja.
    public enum Mode: String, Sendable, CaseIterable {
        /// Nothing changes.
        case keep
        /// Hanja are replaced by their readings: `民法` → `민법`.
        case hangul
        /// Each run of Hanja is followed by its reading in parentheses: `民法(민법)`.
        case annotate
    }

    /// The mode.
    public let mode: Mode

    /// A Hanja stage in `mode`.
    public init(_ mode: Mode) { self.mode = mode }

    /// Whether `scalar` is a Hanja: a CJK unified ideograph (extensions A to H included) or a
    /// CJK compatibility ideograph.
    public static func isHanja(_ scalar: Unicode.Scalar) -> Bool { HanjaReader.isHanja(scalar.value) }

    /// The Hanja that ``Mode/hangul`` reads the same way in every context (no initial-sound or
    /// 렬/률 rule, not 不, no dictionary word reading them otherwise), with their readings:
    /// what a per-character table such as a SentencePiece charsmap can hold exactly. The
    /// others need word context.
    public static var contextFreeReadings: [(hanja: Unicode.Scalar, reading: Unicode.Scalar)] {
        HanjaReader.exactReadings.compactMap { p in
            guard let h = Unicode.Scalar(p.hanja), let r = Unicode.Scalar(p.reading) else { return nil }
            return (h, r)
        }
    }

    /// How many Hanja have a reading at all (the context-free ones included).
    public static var readableCount: Int {
        let reader = HanjaReader.shared
        var n = 0
        for c in HanjaReader.bmpLow...HanjaReader.bmpHigh where reader.reading(c) != 0 { n += 1 }
        for c in HanjaReader.compatLow...HanjaReader.compatHigh where reader.reading(c) != 0 { n += 1 }
        return n + reader.characters.keys.filter { $0 > HanjaReader.compatHigh }.count
    }

    /// The Hanja of `text` that no table reads (the stage keeps them as they are), in order.
    public static func unreadable(in text: String) -> [Unicode.Scalar] {
        let reader = HanjaReader.shared
        return text.unicodeScalars.filter { HanjaReader.isHanja($0.value) && !reader.hasReading($0.value) }
    }

    /// Reads the Hanja of an earlier stage's output; `text` itself when it holds no Hanja (no
    /// copy, no alignment to compose).
    public func normalize(_ text: NormalizedText) throws(TokkiError) -> NormalizedText {
        let skip = mode == .keep || text.normalized.withUnsafeBufferPointer { !HanjaReader.mayContainHanja($0) }
        if skip { return text }
        let next = try text.normalized.withUnsafeBufferPointer { (b) throws(TokkiError) in try normalize(utf8: b) }
        return text.followed(by: next)
    }

    /// Reads the Hanja of `input` as ``mode`` says.
    public func normalize(utf8 input: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> NormalizedText {
        var builder = NormalizedTextBuilder(capacity: input.count + input.count / 2)
        guard mode != .keep, HanjaReader.mayContainHanja(input) else {
            builder.copy(input, 0..<input.count)
            return builder.finish(input)
        }
        let reader = HanjaReader.shared
        let mode = self.mode
        // One edit per Hanja (at most one per 3 bytes); growing the list as it fills costs
        // more than this guess when Hanja are frequent.
        builder.edits.reserveCapacity(input.count / 6)
        // A Hanja takes 3 or 4 bytes: at most n / 3 of them; the run and its readings live in
        // temporary buffers (on the stack for ordinary lines), so a line costs no allocation
        // beyond its output.
        let capacity = input.count / 3 + 1
        return try reader.withWords { (words) throws(TokkiError) in
            try withUnsafeTemporaryAllocation(of: HanjaReader.Character.self, capacity: capacity) { (run) throws(TokkiError) in
                try withUnsafeTemporaryAllocation(of: UInt32.self, capacity: capacity) { (syllables) throws(TokkiError) in
                    var copied = 0
                    var count = 0
                    var i = 0
                    let n = input.count
                    func flush() {
                        guard count > 0 else { return }
                        let chars = UnsafeBufferPointer(rebasing: run[0..<count])
                        reader.read(chars, input, words: words, into: syllables)
                        let start = chars[0].start, end = chars[count - 1].end
                        builder.copy(input, copied..<start)
                        switch mode {
                        case .hangul:
                            for k in 0..<count { builder.replace(chars[k].start..<chars[k].end, with: syllables[k]) }
                        case .annotate:
                            builder.copy(input, start..<end)
                            var text: [UInt8] = [0x28]
                            for k in 0..<count { appendUTF8(syllables[k], to: &text) }
                            text.append(0x29)
                            builder.replace(bytes: end..<end, with: text)
                        case .keep:
                            builder.copy(input, start..<end)
                        }
                        copied = end
                        count = 0
                    }
                    while i < n {
                        let b = input[i]
                        if b < 0x80 { if count > 0 { flush() }; i += 1; continue }
                        let (scalar, length) = decodeScalar(input, i)
                        if reader.reading(scalar) != 0 {
                            // At most one entry per 3 input bytes: below `capacity`.
                            assert(count < capacity)
                            (run.baseAddress! + count).initialize(to: .init(scalar: scalar, start: i, end: i + length))
                            count += 1
                        } else if count > 0 {
                            flush()
                        }
                        i += length
                    }
                    flush()
                    builder.copy(input, copied..<n)
                    return builder.finish(input)
                }
            }
        }
    }

    /// The scalar at `i` of well-formed UTF-8 and its length.
    @inline(__always)
    private func decodeScalar(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int) {
        let b = UInt32(p[i])
        if b < 0xE0 { return ((b & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F), 2) }
        if b < 0xF0 { return ((b & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F), 3) }
        return ((b & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6 | UInt32(p[i + 3] & 0x3F), 4)
    }
}

/// The tables and rules behind ``HanjaNormalizer``, built on first use from
/// `HanjaTables` (generated by `scripts/fixtures/make_hanja_tables.py`, which implements the
/// same rules to decide which dictionary words need their reading stored).
final class HanjaReader: Sendable {
    /// One Hanja of a run: its scalar and its bytes in the input.
    struct Character {
        var scalar: UInt32
        var start: Int
        var end: Int
    }

    static let shared = HanjaReader()

    /// The Hanja whose reading never depends on context, with that reading: not 不, no
    /// initial-sound or 렬/률 change (compatibility ideographs are exempt from both), and no
    /// dictionary word that stores another reading for them. A per-character mapping (a
    /// SentencePiece charsmap) reads exactly these as ``HanjaNormalizer/Mode/hangul`` does.
    static let exactReadings: [(hanja: UInt32, reading: UInt32)] = {
        let reader = HanjaReader.shared
        var inexact = Set<UInt32>([buScalar])
        // Words with a stored reading (`WORD\tREADING` lines): a character read otherwise there
        // needs the word.
        for line in HanjaTables.words.split(separator: "\n") {
            let parts = line.split(separator: "\t")
            guard parts.count == 2 else { continue }
            let chars = Array(parts[0].unicodeScalars), readings = Array(parts[1].unicodeScalars)
            guard chars.count == readings.count else { chars.forEach { inexact.insert($0.value) }; continue }
            for (c, r) in zip(chars, readings) where reader.reading(c.value) != r.value { inexact.insert(c.value) }
        }
        var out: [(UInt32, UInt32)] = []
        func consider(_ c: UInt32) {
            let r = reader.reading(c)
            guard r != 0, !inexact.contains(c) else { return }
            if !isCompatibility(c) {
                let (i, m, f) = parts(r)
                if initialSound(r) != r { return }
                if i == rieul && (m == 6 || m == 17) && f == 8 { return }   // 렬/률
            }
            out.append((c, r))
        }
        for c in bmpLow...bmpHigh { consider(c) }
        for c in compatLow...compatHigh { consider(c) }
        for c in reader.characters.keys.sorted() where c > compatHigh { consider(c) }
        return out
    }()

    /// Reading (a Hangul syllable) by character.
    let characters: [UInt32: UInt32]
    /// The same for U+3400–U+9FFF and U+F900–U+FAFF, flat (syllable − U+AC00 + 1; 0: none).
    let bmp: [UInt16]
    static let bmpLow: UInt32 = 0x3400, bmpHigh: UInt32 = 0x9FFF, compatLow: UInt32 = 0xF900, compatHigh: UInt32 = 0xFAFF
    static let bmpCount = Int(bmpHigh - bmpLow + 1)
    /// The word list's UTF-8 bytes: keys are looked up in place.
    let pool: [UInt8]
    /// Word (UTF-8) → offset in `pool` of its stored reading, or -1: read by the rules.
    let words: ByteStringTable?
    /// The longest word, in characters.
    let longestWord: Int
    /// The longest word starting with a given character, flat over U+3400–U+9FFF (0: none):
    /// most positions of a run start no word, or only short ones. Other first characters
    /// (compatibility ideographs, planes 2 and 3) take ``longestWord``.
    let longestFrom: [UInt8]

    init() {
        var characters: [UInt32: UInt32] = [:]
        var pending: UInt32? = nil
        for s in HanjaTables.characters.unicodeScalars {
            if let c = pending { characters[c] = s.value; pending = nil } else { pending = s.value }
        }
        self.characters = characters
        var bmp = [UInt16](repeating: 0, count: Self.bmpCount + Int(Self.compatHigh - Self.compatLow + 1))
        for (c, r) in characters {
            if c >= Self.bmpLow && c <= Self.bmpHigh { bmp[Int(c - Self.bmpLow)] = UInt16(r - Self.syllableBase + 1) }
            if c >= Self.compatLow && c <= Self.compatHigh { bmp[Self.bmpCount + Int(c - Self.compatLow)] = UInt16(r - Self.syllableBase + 1) }
        }
        self.bmp = bmp
        let pool = Array(HanjaTables.words.utf8)
        var starts: [Int32] = [], lengths: [Int32] = [], values: [Int32] = []
        var longest = 0
        var longestFrom = [UInt8](repeating: 0, count: Self.bmpCount)
        var i = 0
        while i < pool.count {
            var j = i, scalars = 0
            var pair: (UInt32, UInt32) = (0, 0)
            while j < pool.count && pool[j] != 0x0A && pool[j] != 0x09 {
                if pool[j] & 0xC0 != 0x80 {
                    // A lead byte: the scalar it starts (words are Hanja: 3 or 4 bytes).
                    if scalars < 2 {
                        var v = UInt32(pool[j] & (pool[j] >= 0xF0 ? 0x07 : 0x0F))
                        var k = j + 1
                        while k < pool.count && pool[k] & 0xC0 == 0x80 { v = v << 6 | UInt32(pool[k] & 0x3F); k += 1 }
                        if scalars == 0 { pair.0 = v } else { pair.1 = v }
                    }
                    scalars += 1
                }
                j += 1
            }
            if scalars >= 2 && pair.0 >= Self.bmpLow && pair.0 <= Self.bmpHigh {
                let k = Int(pair.0 - Self.bmpLow)
                longestFrom[k] = max(longestFrom[k], UInt8(min(scalars, 255)))
            }
            var value: Int32 = -1
            var end = j
            if j < pool.count && pool[j] == 0x09 {
                value = Int32(j + 1)
                end = j + 1
                while end < pool.count && pool[end] != 0x0A { end += 1 }
            }
            if j > i {
                starts.append(Int32(i)); lengths.append(Int32(j - i)); values.append(value)
                longest = max(longest, scalars)
            }
            i = end + 1
        }
        self.pool = pool
        switch ByteStringTable.build(pool: pool, starts: starts, lengths: lengths, values: values) {
        case .success(let table): words = table
        case .failure: words = nil   // a duplicate would be a generator bug: read by characters
        }
        longestWord = longest
        self.longestFrom = longestFrom
    }

    /// Whether `input` may hold a Hanja (a cheap pre-check on the first two bytes of each
    /// multi-byte sequence: U+3400–U+9FFF, U+F900–U+FAFF and the supplementary planes 2 and 3;
    /// Hangul, CJK punctuation, compatibility jamo and enclosed letters do not pass).
    static func mayContainHanja(_ input: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = input.count
        var i = 0
        while i < n {
            let b = input[i]
            if b < 0xE3 { i += 1; continue }
            // Hangul syllables (and the rest of U+A000–U+EFFF): skip the whole sequence.
            if b >= 0xEA && b <= 0xEE { i += 3; continue }
            let next = i + 1 < n ? input[i + 1] : 0
            if (b == 0xE3 && next >= 0x90) || (b >= 0xE4 && b <= 0xE9) || (b == 0xEF && next >= 0xA4 && next <= 0xAB)
                || (b == 0xF0 && next >= 0xA0 && next <= 0xB3) {
                return true
            }
            i += 1
        }
        return false
    }

    /// CJK unified ideographs (with extensions A to H) and compatibility ideographs.
    @inline(__always)
    static func isHanja(_ s: UInt32) -> Bool {
        (s >= 0x3400 && s <= 0x4DBF) || (s >= 0x4E00 && s <= 0x9FFF) || (s >= 0xF900 && s <= 0xFAFF)
            || (s >= 0x20000 && s <= 0x3134F) || (s >= 0x2F800 && s <= 0x2FA1F)
    }

    @inline(__always)
    static func isCompatibility(_ s: UInt32) -> Bool { (s >= 0xF900 && s <= 0xFAFF) || (s >= 0x2F800 && s <= 0x2FA1F) }

    @inline(__always)
    func hasReading(_ s: UInt32) -> Bool { reading(s) != 0 }

    /// The reading of a character (a Hangul syllable), or 0 when it is no Hanja or has none.
    @inline(__always)
    func reading(_ s: UInt32) -> UInt32 {
        if s >= Self.bmpLow && s <= Self.bmpHigh {
            let v = bmp[Int(s - Self.bmpLow)]
            return v == 0 ? 0 : Self.syllableBase + UInt32(v) - 1
        }
        if s >= Self.compatLow && s <= Self.compatHigh {
            let v = bmp[Self.bmpCount + Int(s - Self.compatLow)]
            return v == 0 ? 0 : Self.syllableBase + UInt32(v) - 1
        }
        return s >= 0x20000 && Self.isHanja(s) ? characters[s] ?? 0 : 0
    }

    // Hangul syllable arithmetic: initial, medial, final.
    static let syllableBase: UInt32 = 0xAC00
    static let rieul: UInt32 = 5, nieun: UInt32 = 2, ieung: UInt32 = 11, digeut: UInt32 = 3, jieut: UInt32 = 12

    @inline(__always)
    static func parts(_ s: UInt32) -> (initial: UInt32, medial: UInt32, final: UInt32) {
        let v = s - syllableBase
        return (v / 588, (v % 588) / 28, v % 28)
    }

    @inline(__always)
    static func syllable(_ i: UInt32, _ m: UInt32, _ f: UInt32) -> UInt32 { syllableBase + i * 588 + m * 28 + f }

    /// Medials before which ㄹ and ㄴ become ㅇ at a word's start: ㅑㅒㅕㅖㅛㅠㅣ.
    @inline(__always)
    static func isYMedial(_ m: UInt32) -> Bool { m == 2 || m == 3 || m == 6 || m == 7 || m == 12 || m == 17 || m == 20 }

    /// The initial-sound rule (두음법칙): ㄹ → ㅇ before ㅑㅒㅕㅖㅛㅠㅣ, else ㄴ; ㄴ → ㅇ before them.
    static func initialSound(_ s: UInt32) -> UInt32 {
        let (i, m, f) = parts(s)
        if i == rieul { return syllable(isYMedial(m) ? ieung : nieun, m, f) }
        if i == nieun && isYMedial(m) { return syllable(ieung, m, f) }
        return s
    }

    /// 렬/률 → 열/율 after a syllable without a final or with final ㄴ.
    static func afterVowelOrNieun(_ s: UInt32, previous: UInt32) -> UInt32 {
        let (i, m, f) = parts(s)
        let pf = parts(previous).final
        if i == rieul && (m == 6 || m == 17) && f == 8 && (pf == 0 || pf == 4) { return syllable(ieung, m, f) }
        return s
    }

    /// 不 before the syllable `next`: 부 before ㄷ or ㅈ, 불 otherwise.
    static func bu(before next: UInt32) -> UInt32 {
        let i = parts(next).initial
        return i == digeut || i == jieut ? 0xBD80 /* 부 */ : 0xBD88 /* 불 */
    }

    static let buScalar: UInt32 = 0x4E0D   // 不

    /// Runs `body` with a raw view of the word table (no reference counting per look-up).
    func withWords<R>(_ body: (UnsafeByteStringLookup?) throws(TokkiError) -> R) throws(TokkiError) -> R {
        guard let words else { return try body(nil) }
        let r: Result<R, TokkiError> = words.withUnsafeLookup { lookup in
            do throws(TokkiError) { return .success(try body(lookup)) } catch { return .failure(error) }
        }
        return try r.get()
    }

    /// Marks a reading that came from a character alone (the run's rules still apply to it).
    static let singleFlag: UInt32 = 1 << 31

    /// The readings of `run` (characters that all have a reading) into `out[0..<run.count]`,
    /// one syllable per character: dictionary words (longest first), then characters, with
    /// the rules. `words` is ``withWords(_:)``'s view of the word table.
    func read(_ run: UnsafeBufferPointer<Character>, _ input: UnsafeBufferPointer<UInt8>, words: UnsafeByteStringLookup?,
              into out: UnsafeMutableBufferPointer<UInt32>) {
        let n = run.count
        // Every write below is out[0..<n] (the buffer's subscript checks it in debug builds).
        assert(out.count >= n)
        var i = 0
        while i < n {
            var matched = 0
            let first = run[i].scalar
            let most = first >= Self.bmpLow && first <= Self.bmpHigh ? Int(longestFrom[Int(first - Self.bmpLow)]) : longestWord
            if let words, n - i >= 2, most >= 2 {
                var length = min(most, n - i)
                while length >= 2 {
                    let start = run[i].start, end = run[i + length - 1].end
                    if let value = words.value(input.baseAddress! + start, end - start) {
                        writeWord(run, i, length, stored: Int(value), into: out)
                        matched = length
                        break
                    }
                    length -= 1
                }
            }
            if matched > 0 { i += matched; continue }
            out[i] = reading(run[i].scalar) | Self.singleFlag
            i += 1
        }
        for k in 0..<n where out[k] & Self.singleFlag != 0 && !Self.isCompatibility(run[k].scalar) {
            let s = out[k] & ~Self.singleFlag
            out[k] = (k == 0 ? Self.initialSound(s) : Self.afterVowelOrNieun(s, previous: out[k - 1] & ~Self.singleFlag)) | Self.singleFlag
        }
        for k in 0..<(n - 1) where out[k] & Self.singleFlag != 0 && run[k].scalar == Self.buScalar {
            out[k] = Self.bu(before: out[k + 1] & ~Self.singleFlag) | Self.singleFlag
        }
        for k in 0..<n { out[k] &= ~Self.singleFlag }
    }

    /// A dictionary word's reading (`run[at..<at + length]`): the stored one (at `stored` in the
    /// pool), or the rules'.
    private func writeWord(_ run: UnsafeBufferPointer<Character>, _ at: Int, _ length: Int, stored: Int,
                           into out: UnsafeMutableBufferPointer<UInt32>) {
        if stored >= 0 {
            // Hangul syllables: 3 bytes each, as many as the word has characters.
            var p = stored
            for k in 0..<length {
                out[at + k] = UInt32(pool[p] & 0x0F) << 12 | UInt32(pool[p + 1] & 0x3F) << 6 | UInt32(pool[p + 2] & 0x3F)
                p += 3
            }
            return
        }
        for k in 0..<length { out[at + k] = reading(run[at + k].scalar) }
        Self.applyWordRules(UnsafeMutableBufferPointer(rebasing: out[at..<(at + length)]), count: length) { run[at + $0].scalar }
    }

    /// The rules for a whole word of `count` characters (`scalar(k)`) whose character
    /// readings are `out[0..<count]`.
    @inline(__always)
    static func applyWordRules(_ out: UnsafeMutableBufferPointer<UInt32>, count n: Int, scalar: (Int) -> UInt32) {
        for k in 0..<n where !isCompatibility(scalar(k)) {
            out[k] = k == 0 ? initialSound(out[0]) : afterVowelOrNieun(out[k], previous: out[k - 1])
        }
        for k in 0..<max(0, n - 1) where scalar(k) == buScalar {
            out[k] = bu(before: out[k + 1])
        }
    }
}
