/// Replaces personal data in Korean text with typed placeholders: resident and foreign
/// registration numbers, phone numbers, e-mail addresses, card numbers, bank account numbers
/// and IP addresses (`tokki scrub`).
///
/// The scanner works on UTF-8 bytes in one pass, with hand-written matchers (no regular
/// expressions). It is built for legal text: statute and case numbers (`제750조`,
/// `법률 제17219호`, `2019다12345`, `2021가합512345`), dates (`2020. 3. 14.`, `2020-03-14`),
/// amounts (`1,000,000원`) and years (`2020년`) are left alone.
///
/// What is detected (each kind can be turned off):
/// - ``Kind/rrn``: `YYMMDD-NNNNNNN` with a valid date (the century from the 7th digit) and a
///   7th digit 1–8 (5–8: foreign registration numbers); the last six digits may be masked
///   with `*` (`800101-1******`). The check digit is not required (numbers issued since
///   October 2020 have none). Without the hyphen, 13 digits count only when the legacy check
///   digit holds or `주민`, `등록번호` or `외국인` is written within 20 characters before.
/// - ``Kind/phone``: mobile `010`/`011`/`016`–`019`, Seoul `02`, area codes `031`–`064`,
///   `070`, `080`, `0502`–`0508`, with `-`, `.` or a space between the groups (the same
///   separator twice), or none for mobile numbers; `(02) 123-4567`; `+82 10-1234-5678`,
///   `+82-2-123-4567`, `+82 (0)10 …`, `+821012345678`; service numbers `15xx`/`16xx`/`18xx-xxxx`
///   (not year ranges such as `1876-1910`).
/// - ``Kind/email``: `local@domain.tld` (local part of letters, digits and `._%+-`; domain
///   labels of letters, digits and `-`; a top-level domain of two or more letters; not
///   `git@host:path`).
/// - ``Kind/card``: 13–19 digits passing the Luhn check, in groups of four separated by spaces
///   or hyphens (`4-4-4-4` with an optional last group of 1–3, or `4-6-5`), or undivided
///   (14–19 digits starting like a card: 3, 4, 5, 6 or 9).
/// - ``Kind/account``: 10–14 digits, undivided or in 2–5 hyphenated groups, when `은행`,
///   `뱅크`, `계좌`, `예금주`, `통장`, `농협`, `수협`, `신협`, `새마을금고`, `우체국`, `신한`,
///   `씨티`, `SC제일`, `IBK`, `NH` or `bank` is written within 20 characters before.
/// - ``Kind/ip``: IPv4 (four octets 0–255; not part of a longer dotted run like `1.2.3.4.5`,
///   not four one-digit parts like the version `7.4.1.2`, not a heading's number opening a
///   line and followed by a period, `3.12.5.2.`) and IPv6 (eight groups, or fewer with one `::`, with at least one digit).
///
/// Numbers must stand alone: not inside a longer run of digits or letters, not continuing a
/// dotted or hyphenated number, not right after `제` and not right before a counter
/// (`호`, `조`, `항`, `원`, `년`, `월`, `일`, `쪽`, `권`, `회`, `차`).
///
/// Scrubbing is idempotent: scrubbing scrubbed text changes nothing. Placeholders contain no
/// digits, `@` or `:` and begin and end with punctuation, so they never join a neighbour; a
/// text in which a replacement reveals another match is scanned again until nothing changes.
///
/// ```swift
/// let scrubber = PIIScrubber()
/// scrubber.scrub("연락처 010-1234-5678, hong@example.com")
/// // "연락처 <|phone|>, <|email|>"
/// ```
public struct PIIScrubber: Sendable {
    /// A kind of personal data.
    public enum Kind: String, CaseIterable, Sendable, Comparable {
        /// Resident or foreign registration number (주민등록번호, 외국인등록번호).
        case rrn
        /// Phone number.
        case phone
        /// E-mail address.
        case email
        /// Card number (Luhn).
        case card
        /// Bank account number (near a bank name or `계좌`).
        case account
        /// IPv4 or IPv6 address.
        case ip

        var index: Int {
            switch self {
            case .rrn: 0
            case .phone: 1
            case .email: 2
            case .card: 3
            case .account: 4
            case .ip: 5
            }
        }

        /// Declaration order.
        public static func < (a: Kind, b: Kind) -> Bool { a.index < b.index }
    }

    /// One replacement: its kind and the byte range it replaced in the input's UTF-8.
    public struct Match: Sendable, Equatable {
        /// The kind of data.
        public var kind: Kind
        /// The UTF-8 byte offsets of the replaced text in the input.
        public var range: Range<Int>
        /// A match.
        public init(kind: Kind, range: Range<Int>) {
            self.kind = kind
            self.range = range
        }
    }

    /// Replacements counted by kind.
    public struct Counts: Sendable, Equatable {
        /// One lane per kind (two unused): no allocation.
        var values = SIMD8<Int>()
        /// No replacements.
        public init() {}
        /// The replacements of `kind`.
        public subscript(kind: Kind) -> Int {
            get { values[kind.index] }
            set { values[kind.index] = newValue }
        }
        /// All replacements.
        public var total: Int { values.wrappedSum() }
        /// Adds the counts of `b`.
        public static func += (a: inout Counts, b: Counts) { a.values &+= b.values }
    }

    /// Why a placeholder template is refused.
    public enum TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The template is empty or longer than 64 bytes.
        case length(Int)
        /// The template contains a character a match could be built from (a digit, `@`, `:`).
        case forbiddenCharacter(String)
        /// The template does not begin and end with ASCII punctuation (other than `.`, `_`,
        /// `%`, `+`, `-`, `*`, `@`, `:`), so it could join the text next to it.
        case edge(String)

        /// A one-line description.
        public var description: String {
            switch self {
            case .length(let n): "placeholder template must be 1–64 bytes long (got \(n))"
            case .forbiddenCharacter(let c): "placeholder template must not contain '\(c)' (no digits, '@' or ':')"
            case .edge(let t): "placeholder template '\(t)' must begin and end with ASCII punctuation such as < > [ ] ( ) # | (not . _ % + - * @ :)"
            }
        }
    }

    /// The default placeholder template: `<|rrn|>`, `<|phone|>`, `<|email|>`, `<|card|>`,
    /// `<|account|>`, `<|ip|>`.
    public static let defaultTemplate = "<|{kind}|>"

    /// The kinds replaced.
    public let kinds: Set<Kind>
    /// The placeholder template: `{kind}` stands for the kind's name, `{KIND}` for it in capitals.
    public let template: String
    let placeholders: [[UInt8]]
    /// The placeholders' lengths in characters.
    let placeholderCharacters: [Int]
    let mask: UInt8

    /// A scrubber for `kinds` (default: all) with the default placeholders (`<|phone|>`, …).
    public init(kinds: Set<Kind> = Set(Kind.allCases)) {
        self.kinds = kinds
        template = Self.defaultTemplate
        placeholders = Kind.allCases.map { Array("<|\($0.rawValue)|>".utf8) }
        placeholderCharacters = placeholders.map(\.count)
        mask = kinds.reduce(0) { $0 | (1 << UInt8($1.index)) }
    }

    /// A scrubber for `kinds` writing `template` with `{kind}` (`phone`) or `{KIND}` (`PHONE`)
    /// substituted: `[{KIND}]` gives `[PHONE]`.
    ///
    /// - Throws: ``TemplateError`` when the template could make scrubbing not idempotent: it
    ///   is empty or over 64 bytes, contains a digit, `@` or `:`, or does not begin and end
    ///   with ASCII punctuation other than `.`, `_`, `%`, `+`, `-`, `*`, `@`, `:`.
    public init(kinds: Set<Kind> = Set(Kind.allCases), template: String) throws(TemplateError) {
        let bytes = Array(template.utf8)
        guard (1...64).contains(bytes.count) else { throw .length(bytes.count) }
        for b in bytes where isDigit(b) || b == UInt8(ascii: "@") || b == UInt8(ascii: ":") {
            throw .forbiddenCharacter(String(UnicodeScalar(b)))
        }
        func edgeOK(_ b: UInt8) -> Bool {
            b > 0x20 && b < 0x7F && !isAlnum(b) && !Array("._%+-*@:".utf8).contains(b)
        }
        guard let first = bytes.first, let last = bytes.last, edgeOK(first), edgeOK(last) else { throw .edge(template) }
        self.kinds = kinds
        self.template = template
        placeholders = Kind.allCases.map { k in
            Array(template.replacing("{kind}", with: k.rawValue).replacing("{KIND}", with: k.rawValue.uppercased()).utf8)
        }
        placeholderCharacters = placeholders.map { p in p.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) } }
        mask = kinds.reduce(0) { $0 | (1 << UInt8($1.index)) }
    }

    /// The placeholder written for `kind`.
    public func placeholder(for kind: Kind) -> String { String(decoding: placeholders[kind.index], as: UTF8.self) }

    /// `text` with its personal data replaced.
    public func scrub(_ text: String) -> String {
        var counts = Counts()
        return scrub(text, counts: &counts)
    }

    /// `text` with its personal data replaced; the replacements are added to `counts`.
    public func scrub(_ text: String, counts: inout Counts) -> String {
        var text = text
        var out: [UInt8] = []
        let c = text.withUTF8 { scrub(utf8: $0, into: &out) }
        counts += c
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `text` with its personal data replaced to `out` and returns the replacements
    /// counted by kind. Bytes that are not valid UTF-8 are copied as they are (they never
    /// take part in a match).
    @discardableResult
    public func scrub(utf8 text: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Counts {
        scrub(text, into: &out, matches: nil)
    }

    /// Appends `text` with its personal data replaced to `out`, appends every replacement to
    /// `matches` (byte ranges of `text`) and returns the replacements counted by kind.
    @discardableResult
    public func scrub(utf8 text: UnsafeBufferPointer<UInt8>, into out: inout [UInt8], matches: inout [Match]) -> Counts {
        withUnsafeMutablePointer(to: &matches) { scrub(text, into: &out, matches: $0) }
    }

    /// One scan; when it replaced something, scans of the output until one finds nothing. A
    /// replacement can reveal a match its original text hid (`2001:db8::800101-1234567`: the
    /// address ends where the registration number's placeholder starts), so the result is
    /// the fixed point and scrubbing is idempotent. Every match holds a digit or `@` and no
    /// placeholder does, so each further scan has fewer of them: the loop ends.
    func scrub(_ text: UnsafeBufferPointer<UInt8>, into out: inout [UInt8], matches: UnsafeMutablePointer<[Match]>?) -> Counts {
        let base = out.count
        var found: [Match] = []
        var scanner = Scanner(self, text, outBase: base)
        scanner.run(into: &out, matches: &found)
        guard !found.isEmpty else { return Counts() }
        while true {
            let current = Array(out[base...])
            out.removeSubrange(base...)
            var again: [Match] = []
            current.withUnsafeBufferPointer { c in
                var scanner = Scanner(self, c, outBase: base)
                scanner.run(into: &out, matches: &again)
            }
            if again.isEmpty { break }
            found = merge(found, again)
        }
        var counts = Counts()
        for m in found { counts[m.kind] += 1 }
        matches?.pointee.append(contentsOf: found)
        return counts
    }

    /// `old` (input ranges, sorted; replaced by their placeholders in the scanned text) and
    /// `new` (ranges of the scanned text), as input ranges, sorted. An old match inside a new
    /// one is dropped (the new one replaced it).
    func merge(_ old: [Match], _ new: [Match]) -> [Match] {
        var result: [Match] = []
        result.reserveCapacity(old.count + new.count)
        // delta: input offset minus scanned-text offset after the old matches passed so far.
        var j = 0, delta = 0
        func advance(to x: Int) {
            while j < old.count {
                let m = old[j]
                let curEnd = m.range.lowerBound - delta + placeholders[m.kind.index].count
                guard curEnd <= x else { break }
                result.append(m)
                delta += m.range.count - placeholders[m.kind.index].count
                j += 1
            }
        }
        for m in new {
            advance(to: m.range.lowerBound)
            let start = m.range.lowerBound + delta
            advance(to: m.range.upperBound)
            let end = m.range.upperBound + delta
            while let last = result.last, last.range.lowerBound >= start { result.removeLast() }
            result.append(Match(kind: m.kind, range: start..<end))
        }
        advance(to: Int.max)
        return result
    }

    /// The personal data in `text`, in order, as UTF-8 byte ranges.
    public func matches(in text: String) -> [Match] {
        var text = text
        var out: [UInt8] = []
        var found: [Match] = []
        text.withUTF8 { _ = scrub(utf8: $0, into: &out, matches: &found) }
        return found
    }
}

// MARK: - Bytes

@inline(__always) private func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
@inline(__always) private func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }
@inline(__always) private func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || isAlpha(b) }
@inline(__always) private func isHex(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20) &- 0x61 < 6 }
/// E-mail local part: letters, digits and `._%+-`.
@inline(__always) private func isLocal(_ b: UInt8) -> Bool {
    isAlnum(b) || b == 0x2E || b == 0x5F || b == 0x25 || b == 0x2B || b == 0x2D
}
/// A domain label's characters.
@inline(__always) private func isLabel(_ b: UInt8) -> Bool { isAlnum(b) || b == 0x2D }

/// Byte classes of the main loop: 0 = nothing starts here, 1 digit, 2 `+`, 3 `(`, 4 `@`,
/// 5 hex letter, 6 other letter, 7 `:`.
private let startClass: [UInt8] = {
    var t = [UInt8](repeating: 0, count: 256)
    for b in UInt8(ascii: "0")...UInt8(ascii: "9") { t[Int(b)] = 1 }
    t[Int(UInt8(ascii: "+"))] = 2
    t[Int(UInt8(ascii: "("))] = 3
    t[Int(UInt8(ascii: "@"))] = 4
    for b in UInt8(ascii: "a")...UInt8(ascii: "z") { t[Int(b)] = b <= UInt8(ascii: "f") ? 5 : 6; t[Int(b - 0x20)] = t[Int(b)] }
    t[Int(UInt8(ascii: ":"))] = 7
    return t
}()

/// A Hangul syllable's three UTF-8 bytes as one number.
private func syllable(_ s: String) -> UInt32 {
    let b = Array(s.utf8)
    return UInt32(b[0]) << 16 | UInt32(b[1]) << 8 | UInt32(b[2])
}

/// Counters after which a number is a statute, page, year, amount… (`제17219호`, `2020년`).
private let counters: [UInt32] = ["호", "조", "항", "원", "년", "월", "일", "쪽", "권", "회", "차"].map(syllable)
private let je = syllable("제")

/// Words that announce a bank account. `은행` and `뱅크` cover 국민은행, 카카오뱅크, …; bank names
/// that are also common words (국민, 우리, 하나, 기업) or places (부산, 제주) count only with 은행.
private let accountKeywords: [[UInt8]] = ["은행", "뱅크", "계좌", "예금주", "통장", "농협", "수협", "신협", "새마을금고", "우체국",
                                          "신한", "씨티", "SC제일", "IBK", "NH", "bank", "Bank", "BANK"].map { Array($0.utf8) }
private let rrnKeywords: [[UInt8]] = ["주민", "등록번호", "외국인"].map { Array($0.utf8) }

/// The window before a number searched for keywords, in characters.
private let keywordWindow = 20

// MARK: - Scanner

extension PIIScrubber {
    /// One scan of one text. Positions below `floor` belong to replaced matches: boundary checks
    /// see them as the placeholder's (punctuation) edge, so a second scan of the output finds
    /// what the first found.
    struct Scanner {
        let placeholders: [[UInt8]]
        let s: UnsafeBufferPointer<UInt8>
        let n: Int
        let mask: UInt8
        let outBase: Int
        var floor = 0
        var counts = Counts()

        init(_ scrubber: PIIScrubber, _ s: UnsafeBufferPointer<UInt8>, outBase: Int) {
            placeholders = scrubber.placeholders
            self.s = s
            n = s.count
            mask = scrubber.mask
            self.outBase = outBase
        }

        @inline(__always) func on(_ k: Kind) -> Bool { mask & (1 << UInt8(k.index)) != 0 }

        /// The byte at `i`, or 0 past the end (0 matches no class).
        @inline(__always) func at(_ i: Int) -> UInt8 { i < n ? s[i] : 0 }

        mutating func run(into out: inout [UInt8], matches: UnsafeMutablePointer<[Match]>?) {
            guard mask != 0, n > 0 else {
                out.append(contentsOf: s)
                return
            }
            guard let base = s.baseAddress else { return }
            startClass.withUnsafeBufferPointer { table in
                guard let classes = table.baseAddress else { return }
                var i = 0
                scan: while i < n {
                    // Most bytes start nothing (Hangul, spaces, punctuation): 8 at a time while
                    // none is in 0x28...0x7A (where every start byte lies), then a tight loop.
                    while i + 8 <= n {
                        let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                        let low = w & 0x7F7F_7F7F_7F7F_7F7F
                        // Per byte, bit 7: set when the low 7 bits are ≥ 0x28, resp. ≥ 0x7B.
                        let atLeast28 = low &+ 0x5858_5858_5858_5858, atLeast7B = low &+ 0x0505_0505_0505_0505
                        if atLeast28 & ~atLeast7B & ~w & 0x8080_8080_8080_8080 != 0 { break }
                        i += 8
                    }
                    if i == n { break scan }
                    var c = classes[Int(base[i])]
                    while c == 0 {
                        i += 1
                        if i == n { break scan }
                        c = classes[Int(base[i])]
                    }
                    var found: (Kind, Int, Int)?
                    switch c {
                    case 1: if leftOK(i) { found = numeric(i, out: out) }
                    case 2: if on(.phone) && leftOK(i) { found = international(i).map { (.phone, i, $0) } }
                    case 3: if on(.phone) && leftOK(i) { found = bracketed(i).map { (.phone, i, $0) } }
                    case 4: if on(.email) { found = email(i).map { (.email, $0.0, $0.1) } }
                    case 5, 7: if on(.ip) && hexLeftOK(i) { found = ipv6(i).map { (.ip, i, $0) } }
                    default: break
                    }
                    if let (kind, start, end) = found {
                        assert(floor <= start && start < end && end <= n)
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: s[floor..<start]))
                        out.append(contentsOf: placeholders[kind.index])
                        counts[kind] += 1
                        matches?.pointee.append(Match(kind: kind, range: start..<end))
                        floor = end
                        i = end
                    } else if c == 1 || c == 5 || c == 6 {
                        // Nothing starts inside a run of letters and digits (the boundaries
                        // refuse it): skip the run.
                        i += 1
                        while i < n && isAlnum(base[i]) { i += 1 }
                    } else {
                        i += 1
                    }
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: s[floor..<n]))
        }

        mutating func run(into out: inout [UInt8], matches: inout [Match]) {
            withUnsafeMutablePointer(to: &matches) { run(into: &out, matches: $0) }
        }

        // MARK: Boundaries

        /// Whether a number may start at `i`: not inside a run of letters or digits, not
        /// continuing a dotted or hyphenated number (`1.2.3.4.5`), not after `제`.
        func leftOK(_ i: Int) -> Bool {
            if i <= floor { return true }
            let p = s[i - 1]
            if isAlnum(p) { return false }
            switch p {
            case 0x2E, 0x2D, 0x5F, 0x2B, 0x2A:  // . - _ + *
                return i - 2 < floor || !isAlnum(s[i - 2])
            case 0x9C:
                return !(i - 3 >= floor && syllableAt(i - 3) == je)
            default:
                return true
            }
        }

        /// Whether an IPv6 address may start at `i` (a hex letter or `:`).
        func hexLeftOK(_ i: Int) -> Bool {
            if s[i] == 0x3A && at(i + 1) != 0x3A { return false }
            if i <= floor { return true }
            let p = s[i - 1]
            if isAlnum(p) || p == 0x3A || p == 0x5F { return false }
            if p == 0x2E || p == 0x2D { return i - 2 < floor || !isAlnum(s[i - 2]) }
            return true
        }

        /// Whether a number may end at `e` (exclusive): not followed by a letter, digit, `_` or
        /// `@`, by `.`, `-` or `*` and a letter or digit, by `sep` and a digit, or by a counter.
        func rightOK(_ e: Int, sep: UInt8 = 0) -> Bool {
            guard e < n else { return true }
            let b = s[e]
            if isAlnum(b) || b == 0x40 || b == 0x5F { return false }
            switch b {
            case 0x2E, 0x2D, 0x2A:  // . - *
                return !isAlnum(at(e + 1))
            case 0xE0...0xEF:
                return !counters.contains(syllableAt(e))
            default:
                if b == sep && isDigit(at(e + 1)) { return false }
                return true
            }
        }

        @inline(__always) func syllableAt(_ i: Int) -> UInt32 {
            guard i + 2 < n else { return 0 }
            return UInt32(s[i]) << 16 | UInt32(s[i + 1]) << 8 | UInt32(s[i + 2])
        }

        /// Digits from `i`: their count (at most `limit` + 1 are looked at).
        @inline(__always) func digits(_ i: Int, limit: Int = 24) -> Int {
            var j = i
            while j < n && j - i <= limit && isDigit(s[j]) { j += 1 }
            return j - i
        }

        @inline(__always) func value(_ i: Int, _ count: Int) -> Int {
            var v = 0
            for k in i..<(i + count) { v = v * 10 + Int(s[k] &- 0x30) }
            return v
        }

        // MARK: Numbers

        /// Digit groups from `i`: up to 6 runs of digits joined by single `-`, `.` or spaces.
        struct Groups {
            var starts: (Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0)
            var lengths: (Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0)
            var seps: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0)
            var count = 0

            func start(_ k: Int) -> Int { withUnsafeBytes(of: starts) { $0.load(fromByteOffset: k * 8, as: Int.self) } }
            func length(_ k: Int) -> Int { withUnsafeBytes(of: lengths) { $0.load(fromByteOffset: k * 8, as: Int.self) } }
            /// The separator after group `k`.
            func sep(_ k: Int) -> UInt8 { withUnsafeBytes(of: seps) { $0[k] } }
            func end(_ k: Int) -> Int { start(k) + length(k) }

            mutating func append(_ s: Int, _ l: Int, sepBefore: UInt8) {
                assert(count < 6)
                withUnsafeMutableBytes(of: &starts) { $0.storeBytes(of: s, toByteOffset: count * 8, as: Int.self) }
                withUnsafeMutableBytes(of: &lengths) { $0.storeBytes(of: l, toByteOffset: count * 8, as: Int.self) }
                if count > 0 { withUnsafeMutableBytes(of: &seps) { $0[count - 1] = sepBefore } }
                count += 1
            }

            /// Whether the separators after groups `0..<k-1` all equal `sep(0)`, one of `allowed`.
            func sameSeparators(_ k: Int, _ allowed: [UInt8]) -> Bool {
                guard k > 1 else { return true }
                let first = sep(0)
                guard allowed.contains(first) else { return false }
                for j in 1..<(k - 1) where sep(j) != first { return false }
                return true
            }
        }

        func groups(_ i: Int) -> Groups {
            var g = Groups()
            var j = i
            var sep: UInt8 = 0
            while g.count < 6 {
                let d = digits(j)
                if d == 0 || d > 24 { break }
                g.append(j, d, sepBefore: sep)
                j += d
                let b = at(j)
                guard b == 0x2D || b == 0x2E || b == 0x20, isDigit(at(j + 1)) else { break }
                sep = b
                j += 1
            }
            return g
        }

        /// The number starting at digit `i`, tried as IPv6, RRN, card, phone, IPv4, account.
        func numeric(_ i: Int, out: [UInt8]) -> (Kind, Int, Int)? {
            if on(.ip), let e = ipv6Start(i) { return (.ip, i, e) }
            if on(.rrn), let e = rrn(i, out: out) { return (.rrn, i, e) }
            let g = groups(i)
            guard g.count > 0 else { return nil }
            if on(.card), let e = card(g) { return (.card, i, e) }
            if on(.phone), let e = phone(g) { return (.phone, i, e) }
            if on(.ip), let e = ipv4(g) { return (.ip, i, e) }
            if on(.account), let e = account(g, out: out) { return (.account, i, e) }
            return nil
        }

        static let daysInMonth = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

        /// `YYMMDD-GNNNNNN` (the last six may be `*`), or 13 digits with the check digit or a
        /// keyword before.
        func rrn(_ i: Int, out: [UInt8]) -> Int? {
            let d = digits(i, limit: 13)
            let hyphen: Bool
            if d == 6 && at(i + 6) == 0x2D { hyphen = true } else if d == 13 { hyphen = false } else { return nil }
            let g = i + (hyphen ? 7 : 6)
            guard g + 7 <= n, s[g] &- 0x31 < 8 else { return nil }
            let gender = Int(s[g] &- 0x30)
            var masked = false
            for k in (g + 1)..<(g + 7) {
                if s[k] == 0x2A { masked = true } else if !isDigit(s[k]) { return nil }
            }
            if masked && !hyphen { return nil }
            let yy = value(i, 2), mm = value(i + 2, 2), dd = value(i + 4, 2)
            guard (1...12).contains(mm), dd >= 1, dd <= Self.daysInMonth[mm] else { return nil }
            if mm == 2 && dd == 29 {
                let year = (gender == 3 || gender == 4 || gender == 7 || gender == 8 ? 2000 : 1900) + yy
                guard year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) else { return nil }
            }
            let e = g + 7
            guard rightOK(e) else { return nil }
            if !hyphen {
                // 13 bare digits: also barcodes (880…) and other ids. Check digit or a keyword.
                var sum = 0
                let weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
                for k in 0..<12 { sum += Int(s[i + k] &- 0x30) * weights[k] }
                let check = (11 - sum % 11) % 10
                guard check == Int(s[i + 12] &- 0x30) || keywordBefore(i, rrnKeywords, out: out) else { return nil }
            }
            return e
        }

        /// Luhn over the digits of `g`'s first `k` groups.
        func luhn(_ g: Groups, _ k: Int) -> Bool {
            var sum = 0, double = false
            for gi in stride(from: k - 1, through: 0, by: -1) {
                var j = g.end(gi) - 1
                while j >= g.start(gi) {
                    var d = Int(s[j] &- 0x30)
                    if double { d *= 2; if d > 9 { d -= 9 } }
                    sum += d
                    double.toggle()
                    j -= 1
                }
            }
            return sum % 10 == 0
        }

        /// `4-4-4-4[-1…3]`, `4-6-5` (space or hyphen), or 14–19 undivided digits starting like a card.
        func card(_ g: Groups) -> Int? {
            if g.count == 1 {
                let l = g.length(0)
                guard (14...19).contains(l), [0x33, 0x34, 0x35, 0x36, 0x39].contains(s[g.start(0)]) else { return nil }
                return luhn(g, 1) && rightOK(g.end(0)) ? g.end(0) : nil
            }
            let seps: [UInt8] = [0x20, 0x2D]
            if g.count >= 4, g.sameSeparators(4, seps), g.length(0) == 4, g.length(1) == 4, g.length(2) == 4, g.length(3) == 4 {
                if g.count >= 5, g.sep(3) == g.sep(0), g.length(4) <= 3, luhn(g, 5), rightOK(g.end(4), sep: g.sep(0)) { return g.end(4) }
                if luhn(g, 4), rightOK(g.end(3), sep: g.sep(0)) { return g.end(3) }
            }
            if g.count >= 3, g.sameSeparators(3, seps), g.length(0) == 4, g.length(1) == 6, g.length(2) == 5,
               luhn(g, 3), rightOK(g.end(2), sep: g.sep(0)) {
                return g.end(2)
            }
            return nil
        }

        /// Whether the `l` digits at `i` are a Korean area, mobile or internet-phone code;
        /// `national`: written without the leading 0 (after +82).
        func isCode(_ i: Int, _ l: Int, national: Bool) -> Bool {
            var j = i, l = l
            if !national {
                guard l >= 2, s[i] == 0x30 else { return false }
                j += 1; l -= 1
            }
            let a = s[j] &- 0x30, b = l >= 2 ? s[j + 1] &- 0x30 : 255, c = l >= 3 ? s[j + 2] &- 0x30 : 255
            switch l {
            case 1: return a == 2
            case 2:
                switch a {
                case 1: return b == 0 || b == 1 || b >= 6
                case 3: return (1...3).contains(b)
                case 4: return (1...4).contains(b)
                case 5: return (1...5).contains(b)
                case 6: return (1...4).contains(b)
                case 7, 8: return b == 0
                default: return false
                }
            case 3: return a == 5 && b == 0 && (2...8).contains(c)
            default: return false
            }
        }

        /// `CODE-NNN(N)-NNNN` (same separator twice), an undivided mobile number, or a service
        /// number `15xx-xxxx`.
        func phone(_ g: Groups) -> Int? {
            let l0 = g.length(0), i = g.start(0)
            if g.count >= 3, g.sameSeparators(3, [0x2D, 0x2E, 0x20]), isCode(i, l0, national: false),
               (3...4).contains(g.length(1)), g.length(2) == 4, rightOK(g.end(2), sep: g.sep(0)) {
                return g.end(2)
            }
            // Undivided mobile: 01X + 7 or 8 digits.
            if (10...11).contains(l0), s[i] == 0x30, isCode(i, 3, national: false), s[i + 1] == 0x31, rightOK(g.end(0)) {
                return g.end(0)
            }
            // Service numbers 15xx/16xx/18xx-xxxx, not a year range (1876-1910).
            if g.count >= 2, l0 == 4, g.sep(0) == 0x2D, g.length(1) == 4, s[i] == 0x31,
               s[i + 1] == 0x35 || s[i + 1] == 0x36 || s[i + 1] == 0x38 {
                let a = value(i, 4), b = value(g.start(1), 4)
                if !(b > a && b < 2100), rightOK(g.end(1), sep: 0x2D) { return g.end(1) }
            }
            return nil
        }

        /// `+82` then a national number: `+82 10-1234-5678`, `+82-2-123-4567`, `+82 (0)10…`,
        /// `+821012345678`.
        func international(_ i: Int) -> Int? {
            guard at(i + 1) == 0x38, at(i + 2) == 0x32 else { return nil }
            var j = i + 3
            if at(j) == 0x20 || at(j) == 0x2D || at(j) == 0x2E { j += 1 }
            if at(j) == 0x28, at(j + 1) == 0x30, at(j + 2) == 0x29 { j += 3; if at(j) == 0x20 { j += 1 } }
            guard isDigit(at(j)) else { return nil }
            let g = groups(j)
            if g.count >= 3, g.sameSeparators(3, [0x2D, 0x2E, 0x20]), isCode(j, g.length(0), national: true),
               (3...4).contains(g.length(1)), g.length(2) == 4, rightOK(g.end(2), sep: g.sep(0)) {
                return g.end(2)
            }
            if g.count >= 1, (9...10).contains(g.length(0)), s[j] == 0x31, isCode(j, 2, national: true), rightOK(g.end(0)) {
                return g.end(0)
            }
            return nil
        }

        /// `(02) 123-4567`, `(031)123-4567`, `(010) 1234-5678`.
        func bracketed(_ i: Int) -> Int? {
            let l = digits(i + 1, limit: 4)
            guard (2...4).contains(l), isCode(i + 1, l, national: false), at(i + 1 + l) == 0x29 else { return nil }
            var j = i + 2 + l
            if at(j) == 0x20 { j += 1 }
            guard isDigit(at(j)) else { return nil }
            let g = groups(j)
            guard g.count >= 2, (3...4).contains(g.length(0)), g.length(1) == 4, g.sep(0) == 0x2D || g.sep(0) == 0x2E || g.sep(0) == 0x20,
                  rightOK(g.end(1), sep: g.sep(0)) else { return nil }
            return g.end(1)
        }

        /// Four dotted octets 0–255.
        func ipv4(_ g: Groups) -> Int? {
            guard g.count >= 4, g.sameSeparators(4, [0x2E]) else { return nil }
            for k in 0..<4 {
                guard g.length(k) <= 3, value(g.start(k), g.length(k)) <= 255 else { return nil }
            }
            // Outline and version numbers: all four parts one digit (3.2.2.1, LibreOffice
            // 7.4.1.2), or a heading's number opening a line (3.12.5.2. Options).
            if g.length(0) == 1 && g.length(1) == 1 && g.length(2) == 1 && g.length(3) == 1 { return nil }
            if at(g.end(3)) == 0x2E && lineStart(g.start(0)) { return nil }
            // Not a fifth part (1.2.3.4.5).
            return rightOK(g.end(3), sep: 0x2E) ? g.end(3) : nil
        }

        /// Whether only spaces or tabs stand between the line's start and `i`.
        func lineStart(_ i: Int) -> Bool {
            var j = i
            while j > floor && (s[j - 1] == 0x20 || s[j - 1] == 0x09) { j -= 1 }
            return j == 0 || (j > floor && (s[j - 1] == 0x0A || s[j - 1] == 0x0D))
        }

        /// 10–14 digits, undivided or in 2–5 hyphenated groups, after a bank keyword.
        func account(_ g: Groups, out: [UInt8]) -> Int? {
            var k = 1, total = g.length(0)
            if g.sep(0) == 0x2D {
                while k < g.count && g.sep(k - 1) == 0x2D && k < 5 { total += g.length(k); k += 1 }
            }
            // Stop before a group that is not hyphenated.
            guard (10...14).contains(total), g.length(0) >= 2, rightOK(g.end(k - 1), sep: 0x2D) else { return nil }
            return keywordBefore(g.start(0), accountKeywords, out: out) ? g.end(k - 1) : nil
        }

        /// Whether one of `keywords` is written within ``keywordWindow`` characters before `i`,
        /// looking at the text as it is written out (matches before replaced), so that a second
        /// scan of the output sees the same window.
        func keywordBefore(_ i: Int, _ keywords: [[UInt8]], out: [UInt8]) -> Bool {
            // The window: the longest keyword's length more characters than the window.
            var budget = keywordWindow + 5
            var j = i
            while j > floor && budget > 0 {
                j -= 1
                if s[j] & 0xC0 != 0x80 { budget -= 1 }
            }
            if contains(UnsafeBufferPointer(rebasing: s[j..<i]), keywords) { return true }
            guard budget > 0, out.count > outBase else { return false }
            return out.withUnsafeBufferPointer { o in
                var j = o.count
                while j > outBase && budget > 0 {
                    j -= 1
                    if o[j] & 0xC0 != 0x80 { budget -= 1 }
                }
                return contains(UnsafeBufferPointer(rebasing: o[j..<o.count]), keywords)
            }
        }

        func contains(_ w: UnsafeBufferPointer<UInt8>, _ keywords: [[UInt8]]) -> Bool {
            for k in keywords where k.count <= w.count {
                var p = 0
                while p + k.count <= w.count {
                    if w[p] == k[0] {
                        var q = 1
                        while q < k.count && w[p + q] == k[q] { q += 1 }
                        if q == k.count { return true }
                    }
                    p += 1
                }
            }
            return false
        }

        // MARK: IPv6, e-mail

        /// An IPv6 address starting at a digit `i` (looked for when a `:` follows within 5 bytes).
        func ipv6Start(_ i: Int) -> Int? {
            var j = i
            while j < n && j - i < 5 && isHex(s[j]) { j += 1 }
            guard at(j) == 0x3A else { return nil }
            return ipv6(i)
        }

        /// Eight groups of 1–4 hex digits, or fewer with one `::`, with at least one digit.
        func ipv6(_ i: Int) -> Int? {
            var j = i, groups = 0, compressed = false, digit = false
            if s[j] == 0x3A {
                guard at(j + 1) == 0x3A else { return nil }
                compressed = true
                j += 2
            }
            while j < n {
                var h = 0
                while j + h < n && h <= 4 && isHex(s[j + h]) { if isDigit(s[j + h]) { digit = true }; h += 1 }
                if h == 0 { break }
                if h > 4 { return nil }
                groups += 1
                j += h
                guard at(j) == 0x3A else { break }
                if at(j + 1) == 0x3A {
                    if compressed { return nil }
                    compressed = true
                    j += 2
                } else if isHex(at(j + 1)) && groups < 8 {
                    j += 1
                } else {
                    break
                }
            }
            guard digit, compressed ? (groups >= 2 && groups <= 7) : groups == 8 else { return nil }
            // Not followed by more address-like text (an embedded IPv4, a port, letters).
            let b = at(j)
            if j < n && (isAlnum(b) || b == 0x3A || b == 0x5F || b == 0x40 || ((b == 0x2E || b == 0x2D) && isAlnum(at(j + 1)))) { return nil }
            return j
        }

        /// The address around the `@` at `i`: (start, end).
        func email(_ i: Int) -> (Int, Int)? {
            var a = i
            while a > floor && i - a < 64 && isLocal(s[a - 1]) { a -= 1 }
            if a > floor && isLocal(s[a - 1]) { return nil }  // local part over 64
            while a < i && s[a] == 0x2E { a += 1 }
            guard a < i, s[i - 1] != 0x2E else { return nil }
            // Domain labels.
            var j = i + 1, end = -1, labels = 0
            while true {
                var k = j
                while k < n && isLabel(s[k]) && k - j < 63 { k += 1 }
                guard k > j, s[j] != 0x2D, s[k - 1] != 0x2D, !(k < n && isLabel(s[k])) else { break }
                labels += 1
                var alpha = k - j >= 2
                if alpha { for q in j..<k where !isAlpha(s[q]) { alpha = false; break } }
                if labels >= 2 && alpha { end = k }
                guard at(k) == 0x2E, isLabel(at(k + 1)) else { break }
                j = k + 1
            }
            guard end > i else { return nil }
            let b = at(end)
            if end < n && (b == 0x40 || b == 0x5F || isLabel(b)) { return nil }
            // `git@host:path` is a remote, not an address.
            if b == 0x3A && at(end + 1) > 0x20 { return nil }
            return (a, end)
        }
    }
}
