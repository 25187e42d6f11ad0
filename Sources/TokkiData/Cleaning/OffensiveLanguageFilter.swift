/// Korean offensive language: a lexicon rule (`offensive`) that sees through spacing,
/// punctuation and jamo tricks (`시 발`, `씨.발`, `ㅅㅣ발`, `ㅅㅂ`).
///
/// The text is read as a stream of jamo: a Hangul syllable is its initial, medial and final
/// jamo, a compatibility jamo (`ㅅ`, `ㅣ`) is itself, and everything else inside a
/// space-separated token (punctuation, digits, Latin letters, emoji) is skipped. A lexicon
/// word matches that stream:
/// - inside one token anywhere (`개새끼야` holds `개새끼`), unless an allowed word covers the
///   match (`시발점`, 始發點; `병신년`, 丙申年);
/// - across spaces only when every token it touches is wholly part of it (`시 발` and
///   `씨 발 놈` match, but `사고 발생 시 발견` does not: `발견` goes on);
/// - bare-jamo entries (`ㅅㅂ`) match bare jamo only, never the initials of full syllables
///   (so `사범` is not `ㅅㅂ`).
///
/// The shipped lexicon (``defaultLexicon``) was written for Tokki and is distributed under the
/// project's licence; it leaves out words that are also ordinary Korean (`보지` "not seeing",
/// `씹다` "to chew", `졸라매다` "to tighten", `염병` "typhus"). Add entries with ``init(lexicon:allowed:)``.
public struct OffensiveLanguageFilter: QualityFilter {
    /// Words removed wherever they match (Hangul; bare jamo for abbreviations).
    public static let defaultLexicon = [
        "시발", "씨발", "씨빨", "씨팔", "시팔", "씨바", "씨부랄", "시부랄", "썅", "쌍놈", "쌍년",
        "개새끼", "개새기", "개색기", "개색히", "개색끼", "개쌔끼", "새끼야", "개자식", "개년", "개놈",
        "병신", "븅신", "빙신", "병쉰", "좆", "좃같", "존나", "존니", "지랄", "니미럴", "느금마", "니애미", "니에미",
        "애미뒤진", "후레자식", "호로자식", "호로새끼", "미친놈", "미친년", "미친새끼", "또라이", "씹새끼", "씹새",
        "씹할", "씹년", "엿먹어", "꺼져버려", "닥쳐라", "등신새끼",
        "ㅅㅂ", "ㅆㅂ", "ㅄ", "ㅂㅅ", "ㅈㄹ", "ㅈㄴ", "ㅁㅊ", "ㄲㅈ", "ㅅㄲ", "ㄱㅅㄲ", "ㅆㅍ",
    ]
    /// Ordinary words that contain a lexicon word.
    public static let defaultAllowed = [
        "시발점", "시발역", "시발택시", "시발적", "시발차", "시발전", "병신년", "병신일", "병신월", "병신생", "병신춘",
        "병신자", "병신정변", "지랄병",
    ]

    /// One lexicon word as jamo, and whether it is bare jamo (an abbreviation).
    struct Entry: Sendable {
        var text: String
        var jamo: [UInt32]
        var bare: Bool
    }

    let entries: [Entry]
    /// Entries by their first jamo.
    let byFirst: [UInt32: [Int]]
    let allowed: [[UInt32]]
    /// The longest entry in jamo.
    let longest: Int

    /// The filter with the shipped lexicon plus `lexicon`, and the shipped allowed words plus `allowed`.
    public init(lexicon: [String] = [], allowed: [String] = []) {
        var entries: [Entry] = []
        for w in Self.defaultLexicon + lexicon {
            let j = Self.jamo(of: w)
            guard !j.jamo.isEmpty else { continue }
            entries.append(Entry(text: w, jamo: j.jamo, bare: j.allBare))
        }
        self.entries = entries
        var byFirst: [UInt32: [Int]] = [:]
        for (k, e) in entries.enumerated() { byFirst[e.jamo[0] & ~Self.bareFlag, default: []].append(k) }
        self.byFirst = byFirst
        self.allowed = (Self.defaultAllowed + allowed).map { Self.jamo(of: $0).jamo }.filter { !$0.isEmpty }
        longest = entries.map(\.jamo.count).max() ?? 0
    }

    /// Parses a lexicon file: one word per line, `#` comments, `allow:` for an allowed word.
    public init(file contents: [UInt8], source: String) throws(DataError) {
        var lexicon: [String] = [], allowed: [String] = []
        for (k, raw) in contents.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            var line = Array(raw)
            if line.last == 0x0D { line.removeLast() }
            guard let text = String(validating: line, as: UTF8.self) else {
                throw .invalidFormat(path: source, problem: "line \(k + 1): invalid UTF-8")
            }
            let t = text.trimmingSpaces()
            if t.isEmpty || t.hasPrefix("#") { continue }
            if t.hasPrefix("allow:") { allowed.append(String(t.dropFirst(6)).trimmingSpaces()) } else { lexicon.append(t) }
        }
        self.init(lexicon: lexicon, allowed: allowed)
    }

    /// `offensive`.
    public var name: String { "offensive" }

    // Jamo: initials U+1100+, medials U+1161+, finals U+11A8+ (as Unicode's conjoining jamo);
    // compatibility jamo are mapped to them, marked bare.
    static let bareFlag: UInt32 = 1 << 31

    /// Compatibility jamo (U+3131–U+318E) → conjoining jamo: consonants as initials (finals
    /// only when there is no initial), vowels as medials.
    static let compatibility: [UInt32] = {
        var map = [UInt32](repeating: 0, count: 0x318F - 0x3131)
        // ㄱ ㄲ ㄳ ㄴ ㄵ ㄶ ㄷ ㄸ ㄹ ㄺ ㄻ ㄼ ㄽ ㄾ ㄿ ㅀ ㅁ ㅂ ㅃ ㅄ ㅅ ㅆ ㅇ ㅈ ㅉ ㅊ ㅋ ㅌ ㅍ ㅎ
        let consonants: [UInt32] = [0x1100, 0x1101, 0x11AA, 0x1102, 0x11AC, 0x11AD, 0x1103, 0x1104, 0x1105, 0x11B0, 0x11B1, 0x11B2,
                                    0x11B3, 0x11B4, 0x11B5, 0x11B6, 0x1106, 0x1107, 0x1108, 0x11B9, 0x1109, 0x110A, 0x110B, 0x110C,
                                    0x110D, 0x110E, 0x110F, 0x1110, 0x1111, 0x1112]
        for (k, c) in consonants.enumerated() { map[k] = c }
        for v in 0..<21 { map[30 + v] = 0x1161 + UInt32(v) }   // ㅏ … ㅣ
        return map
    }()

    /// The jamo of `s` (syllables decomposed, compatibility jamo bare, other characters skipped).
    static func jamo(of s: String) -> (jamo: [UInt32], allBare: Bool) {
        var out: [UInt32] = []
        var allBare = true
        for u in s.unicodeScalars { appendJamo(u.value, to: &out, bare: &allBare) }
        return (out, allBare)
    }

    /// Appends the jamo of one scalar; false when it is no Hangul (a skipped character).
    @inline(__always)
    @discardableResult
    static func appendJamo(_ v: UInt32, to out: inout [UInt32], bare allBare: inout Bool) -> Bool {
        if v >= 0xAC00 && v <= 0xD7A3 {
            let s = v - 0xAC00
            out.append(0x1100 + s / 588)
            out.append(0x1161 + (s % 588) / 28)
            if s % 28 != 0 { out.append(0x11A7 + s % 28) }
            allBare = false
            return true
        }
        if v >= 0x3131 && v <= 0x318E, v - 0x3131 < UInt32(compatibility.count), compatibility[Int(v - 0x3131)] != 0 {
            out.append(compatibility[Int(v - 0x3131)] | bareFlag)
            return true
        }
        if (v >= 0x1100 && v <= 0x11FF) {
            out.append(v)
            allBare = false
            return true
        }
        return false
    }

    /// Whether `a` (text jamo, maybe bare) equals the entry jamo `e` (bare entries need bare text).
    @inline(__always)
    static func same(_ a: UInt32, _ e: UInt32, entryBare: Bool) -> Bool {
        let plain = a & ~bareFlag
        if entryBare { return a & bareFlag != 0 && plain == e & ~bareFlag }
        // A full entry matches syllable jamo, or bare jamo written out (ㅅㅣ발). A bare
        // consonant stands for an initial; finals compare with the same consonant's initial.
        return plain == e & ~bareFlag || (a & bareFlag != 0 && finalAsInitial(e) == plain)
    }

    /// A final consonant's initial form (ㄹ final → ㄹ initial), for bare jamo spelled out.
    static func finalAsInitial(_ f: UInt32) -> UInt32 { finalInitials[f] ?? f }

    /// Final consonant → the same consonant as an initial (built once, not per comparison).
    static let finalInitials: [UInt32: UInt32] = [0x11A8: 0x1100, 0x11A9: 0x1101, 0x11AB: 0x1102, 0x11AE: 0x1103, 0x11AF: 0x1105, 0x11B7: 0x1106,
                                        0x11B8: 0x1107, 0x11BA: 0x1109, 0x11BB: 0x110A, 0x11BC: 0x110B, 0x11BD: 0x110C, 0x11BE: 0x110E,
                                        0x11BF: 0x110F, 0x11C0: 0x1110, 0x11C1: 0x1111, 0x11C2: 0x1112]

    /// The first lexicon word found, and the text it was found in.
    public func evaluate(_ p: TextProfile) -> Rejection? {
        guard longest > 0 else { return nil }
        // The jamo stream: jamo, the scalar index each came from, and the token it belongs to.
        var jamo: [UInt32] = [], from: [Int32] = [], token: [Int32] = []
        var tokenStarts: [Int] = [], tokenEnds: [Int] = []   // jamo ranges of tokens
        var currentToken: Int32 = -1
        var inToken = false
        var bareIgnored = true
        for (i, s) in p.scalars.enumerated() {
            let v = s.value
            if v == 0x20 || v == 0x09 || v == 0x0A || v == 0x0D || v == 0x3000 {
                if inToken { tokenEnds.append(jamo.count); inToken = false }
                continue
            }
            if !inToken {
                currentToken += 1
                tokenStarts.append(jamo.count)
                inToken = true
            }
            let before = jamo.count
            if Self.appendJamo(v, to: &jamo, bare: &bareIgnored) {
                for _ in before..<jamo.count { from.append(Int32(i)); token.append(currentToken) }
            }
        }
        if inToken { tokenEnds.append(jamo.count) }
        let n = jamo.count
        guard n > 0 else { return nil }
        for start in 0..<n {
            guard let candidates = byFirst[jamo[start] & ~Self.bareFlag] else { continue }
            for c in candidates where entries[c].jamo.count <= n - start {
                let e = entries[c]
                var k = 0
                while k < e.jamo.count && Self.same(jamo[start + k], e.jamo[k], entryBare: e.bare) { k += 1 }
                guard k == e.jamo.count else { continue }
                let end = start + k
                // A full entry starts at a syllable's initial and ends at a syllable's end.
                if !e.bare {
                    let first = jamo[start] & ~Self.bareFlag
                    guard first >= 0x1100 && first <= 0x1112 else { continue }
                    if end < n, from[end] == from[end - 1], jamo[end] & Self.bareFlag == 0 {
                        // The next jamo belongs to the same syllable: only a final may follow
                        // an entry that ends in a medial ("시바" is not "십"…).
                        continue
                    }
                }
                // Across spaces: every token touched must be wholly inside the match.
                let t0 = Int(token[start]), t1 = Int(token[end - 1])
                if t0 != t1 {
                    guard tokenStarts[t0] == start, tokenEnds[t1] == end else { continue }
                }
                if covered(start, end, jamo: jamo, token: token) { continue }
                let lo = Int(from[start]), hi = Int(from[end - 1])
                let seen = String(String.UnicodeScalarView(p.scalars[lo...hi]))
                return Rejection(rule: name, detail: seen == e.text ? "contains \"\(e.text)\"" : "contains \"\(e.text)\" (as \"\(seen)\")")
            }
        }
        return nil
    }

    /// Whether an allowed word covers `start..<end` within one token.
    func covered(_ start: Int, _ end: Int, jamo: [UInt32], token: [Int32]) -> Bool {
        for a in allowed where a.count >= end - start {
            let lowest = max(0, end - a.count), highest = start
            guard lowest <= highest else { continue }
            for s in lowest...highest where s + a.count <= jamo.count && token[s] == token[s + a.count - 1] {
                var k = 0
                while k < a.count && jamo[s + k] & ~Self.bareFlag == a[k] { k += 1 }
                if k == a.count { return true }
            }
        }
        return false
    }
}
