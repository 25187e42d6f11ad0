import Tokki

/// A pattern over a document's source (a file path, a source name or a URL):
/// - `domain:law.go.kr` — a URL whose host is that domain or one of its subdomains;
/// - `re:PATTERN` — an ICU regular expression found anywhere in the source;
/// - anything else — a glob over the whole source: `*` any run of characters, `?` one
///   character (`*.go.kr/*`, `court-*.jsonl`, `law`).
public struct SourcePattern: Sendable, CustomStringConvertible {
    enum Kind: Sendable {
        case domain([UInt8])
        case regex(RegularExpression)
        case glob([UInt8])
    }

    let kind: Kind
    /// The pattern as written.
    public let description: String

    /// Parses a pattern.
    ///
    /// - Throws: ``DataError/invalidFormat(path:problem:)`` for an empty pattern or a bad regular expression.
    public init(_ text: String) throws(DataError) {
        description = text
        if text.hasPrefix("domain:") {
            let d = String(text.dropFirst(7)).lowercased()
            guard !d.isEmpty else { throw .invalidFormat(path: "source pattern", problem: "'\(text)' names no domain") }
            kind = .domain(Array(d.utf8))
        } else if text.hasPrefix("re:") {
            do { kind = .regex(try RegularExpression(String(text.dropFirst(3)))) } catch {
                throw .invalidFormat(path: "source pattern", problem: "'\(text)': \(error.description)")
            }
        } else {
            guard !text.isEmpty else { throw .invalidFormat(path: "source pattern", problem: "an empty pattern") }
            kind = .glob(Array(text.utf8))
        }
    }

    /// Whether `source` matches.
    public func matches(_ source: String) -> Bool {
        switch kind {
        case .domain(let d):
            guard let host = Self.host(of: source) else { return false }
            return host == d || (host.count > d.count && host.suffix(d.count).elementsEqual(d) && host[host.count - d.count - 1] == 0x2E)
        case .regex(let re):
            return (try? re.contains(Array(source.utf8))) ?? false
        case .glob(let g):
            return Self.glob(g, Array(source.utf8))
        }
    }

    /// The lowercased host of a URL (`scheme://[user@]host[:port]/…`), or nil.
    static func host(of url: String) -> [UInt8]? {
        let b = Array(url.utf8)
        guard let colon = b.firstIndex(of: 0x3A), colon + 2 < b.count, b[colon + 1] == 0x2F, b[colon + 2] == 0x2F else { return nil }
        var start = colon + 3
        var end = start
        while end < b.count && b[end] != 0x2F && b[end] != 0x3F && b[end] != 0x23 { end += 1 }
        if let at = b[start..<end].lastIndex(of: 0x40) { start = at + 1 }
        var hostEnd = end
        if let c = b[start..<end].lastIndex(of: 0x3A) { hostEnd = c }
        guard hostEnd > start else { return nil }
        return b[start..<hostEnd].map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 }
    }

    /// Glob matching with `*` and `?` over bytes (`?` is one byte of ASCII, one character otherwise).
    static func glob(_ p: [UInt8], _ s: [UInt8]) -> Bool {
        var pi = 0, si = 0, star = -1, mark = 0
        while si < s.count {
            if pi < p.count && p[pi] == 0x3F {
                pi += 1
                si += 1
                while si < s.count && s[si] & 0xC0 == 0x80 { si += 1 }
            } else if pi < p.count && p[pi] == 0x2A {
                star = pi; mark = si; pi += 1
            } else if pi < p.count && p[pi] == s[si] {
                pi += 1; si += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; si = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == 0x2A { pi += 1 }
        return pi == p.count
    }
}

/// Which sources `tokki clean` keeps (`--allow-source`, `--deny-source`): a denied source is
/// removed; when any allow pattern is given, a source that matches none is removed too.
public struct SourceRules: Sendable {
    /// Allowed sources (none: every source not denied).
    public var allow: [SourcePattern]
    /// Denied sources (they win over allowed ones).
    public var deny: [SourcePattern]

    /// The rules.
    public init(allow: [SourcePattern] = [], deny: [SourcePattern] = []) {
        self.allow = allow
        self.deny = deny
    }

    /// Whether there is any rule.
    public var isEmpty: Bool { allow.isEmpty && deny.isEmpty }

    /// nil to keep a document from `source`, else the `source` rule's rejection.
    public func evaluate(_ source: String) -> Rejection? {
        if let d = deny.first(where: { $0.matches(source) }) {
            return Rejection(rule: "source", detail: "denied by \(d.description): \(source)")
        }
        if !allow.isEmpty && !allow.contains(where: { $0.matches(source) }) {
            return Rejection(rule: "source", detail: "not allowed: \(source)")
        }
        return nil
    }
}

/// A deterministic mixture of sources (`tokki prepare/batch --mix GROUP=WEIGHT` or
/// `GROUP=SIZE`): a weight sets the group's share of the output bytes of the weighted groups, a
/// size (a byte quota) the most bytes of text of that group in the output. A group above its
/// natural share is repeated (whole passes, then a seeded sample for the fraction), one below it
/// is sampled. Which documents are repeated or kept depends only on the seed, each document's
/// index and, for a quota, the group's bytes written before it.
public struct SourceMix: Sendable {
    /// A group: the pattern its sources match (first match wins) and its weight or quota.
    public struct Group: Sendable {
        /// The pattern (also the group's name).
        public var pattern: SourcePattern
        /// The weight (the shares are the weights over their sum); 0 for a quota.
        public var weight: Double
        /// The most bytes of text of the group in the output, or nil for a weight.
        public var quota: Int?
    }

    /// The groups, in matching order.
    public let groups: [Group]
    /// The seed of the sampling.
    public let seed: UInt64
    /// Copies per document of each group (set by ``setRates(bytes:)``).
    public private(set) var rates: [Double]

    /// Parses `GROUP=WEIGHT` and `GROUP=SIZE` items (GROUP a ``SourcePattern``; SIZE a whole
    /// number of bytes with a unit: `B`, `K`, `M`, `G` or `T`, powers of 1024, e.g. `500M`).
    ///
    /// - Throws: ``DataError/invalidFormat(path:problem:)`` for a malformed item, a negative
    ///   weight or size, or when every weight and quota is 0.
    public init(_ items: [String], seed: UInt64) throws(DataError) {
        var groups: [Group] = []
        for item in items {
            guard let eq = item.lastIndex(of: "=") else { throw Self.malformed(item) }
            let value = item[item.index(after: eq)...]
            let pattern = try SourcePattern(String(item[..<eq]))
            if let quota = Self.size(value) {
                groups.append(Group(pattern: pattern, weight: 0, quota: quota))
            } else if let w = Double(value), w >= 0, w.isFinite {
                groups.append(Group(pattern: pattern, weight: w, quota: nil))
            } else {
                throw Self.malformed(item)
            }
        }
        guard groups.contains(where: { $0.weight > 0 || ($0.quota ?? 0) > 0 }) else {
            throw .invalidFormat(path: "--mix", problem: "every weight and quota is 0")
        }
        self.groups = groups
        self.seed = seed
        rates = groups.map { _ in 1 }
    }

    static func malformed(_ item: String) -> DataError {
        .invalidFormat(path: "--mix", problem: "'\(item)': expected GROUP=WEIGHT with a weight ≥ 0 (law=0.7) or GROUP=SIZE with a whole number of bytes and a unit B, K, M, G or T (law=500M)")
    }

    /// `SIZE` with its unit (B, K, M, G, T; powers of 1024), or nil when `text` is not one.
    static func size(_ text: Substring) -> Int? {
        guard let last = text.last?.uppercased(), let shift = ["B": 0, "K": 10, "M": 20, "G": 30, "T": 40][last],
              let n = Int(text.dropLast()), n >= 0, n <= Int.max >> shift else { return nil }
        return n << shift
    }

    /// The group of `source` (nil: no group; such documents are left out).
    public func group(of source: String) -> Int? { groups.firstIndex { $0.pattern.matches(source) } }

    /// Sets the copies per document from each group's bytes (a first pass over the input): a
    /// weighted group g gets weight_g / Σ weight of the weighted groups' bytes, a group with a
    /// quota q gets q / bytes_g copies per document (capped by ``copies(group:index:bytes:written:)``).
    public mutating func setRates(bytes: [Int]) {
        let total = Double(groups.indices.filter { groups[$0].quota == nil }.map { bytes[$0] }.reduce(0, +))
        let sum = groups.map(\.weight).reduce(0, +)
        rates = groups.indices.map { g in
            if bytes[g] == 0 { return 0 }
            if let q = groups[g].quota { return Double(q) / Double(bytes[g]) }
            return sum == 0 ? 0 : groups[g].weight / sum * total / Double(bytes[g])
        }
    }

    /// How many copies of document `index` (0-based over the whole input) of group `g` go out.
    public func copies(group g: Int, index: Int) -> Int {
        let r = rates[g]
        let whole = r.rounded(.down)
        // SplitMix64 of (seed, index): a uniform draw in [0, 1) per document.
        var z = seed &+ UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15 &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        let u = Double(z >> 11) / Double(1 << 53)
        return Int(whole) + (u < r - whole ? 1 : 0)
    }

    /// As ``copies(group:index:)`` for a document of `bytes` bytes of text, never taking a
    /// group with a quota past it: `written` is the group's bytes already out.
    public func copies(group g: Int, index: Int, bytes: Int, written: Int) -> Int {
        let n = copies(group: g, index: index)
        guard let q = groups[g].quota, n > 0 else { return n }
        if bytes == 0 { return n }
        return min(n, max(0, q - written) / bytes)
    }
}
