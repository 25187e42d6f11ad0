#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A token added on top of a model's vocabulary (`added_tokens` in `tokenizer.json`).
public struct AddedToken: Sendable, Equatable {
    /// Its id.
    public var id: Int
    /// Its text.
    public var content: String
    /// Match only when not inside a word.
    public var singleWord: Bool
    /// Absorb whitespace on the left.
    public var leftStrip: Bool
    /// Absorb whitespace on the right.
    public var rightStrip: Bool
    /// Match in the normalized text (else in the original text).
    public var normalized: Bool
    /// A special token (skipped by `decode(skipSpecialTokens:)`).
    public var special: Bool

    /// Creates an added token.
    public init(id: Int, content: String, singleWord: Bool = false, leftStrip: Bool = false, rightStrip: Bool = false,
                normalized: Bool = true, special: Bool = false) {
        self.id = id
        self.content = content
        self.singleWord = singleWord
        self.leftStrip = leftStrip
        self.rightStrip = rightStrip
        self.normalized = normalized
        self.special = special
    }
}

/// Finds added tokens in text in one left-to-right pass (a byte trie walked from each
/// position, leftmost-longest as `tokenizers`' Aho–Corasick), then applies `single_word`,
/// `lstrip` and `rstrip` exactly as `tokenizers` does.
struct AddedTokenMatcher: Sendable {
    /// Trie nodes: for node k, its children are `edges[edgeStart[k] ..< edgeStart[k+1]]`,
    /// sorted by byte; `terminal[k]` is the index into `tokens` of the token ending there, or -1.
    private var labels: [UInt8] = []
    private var targets: [Int32] = []
    private var edgeStart: [Int32] = []
    private var terminal: [Int32] = []
    private var firstBytes = [Bool](repeating: false, count: 256)
    /// The first byte of every token, when they all share one (`<` for most chat models):
    /// the scan then jumps with `memchr`.
    private var onlyFirstByte: UInt8?
    let tokens: [AddedToken]

    init(_ entries: [(pattern: [UInt8], token: AddedToken)]) {
        tokens = entries.map(\.token)
        // Build with dictionaries, then freeze into flat arrays.
        var children: [[UInt8: Int32]] = [[:]]
        var ends: [Int32] = [-1]
        for (k, e) in entries.enumerated() where !e.pattern.isEmpty {
            var node = 0
            for b in e.pattern {
                if let next = children[node][b] { node = Int(next) } else {
                    children.append([:]); ends.append(-1)
                    children[node][b] = Int32(children.count - 1)
                    node = children.count - 1
                }
            }
            if ends[node] < 0 { ends[node] = Int32(k) }
            firstBytes[Int(e.pattern[0])] = true
        }
        for node in children.indices {
            edgeStart.append(Int32(labels.count))
            for (b, t) in children[node].sorted(by: { $0.key < $1.key }) { labels.append(b); targets.append(t) }
        }
        edgeStart.append(Int32(labels.count))
        terminal = ends
        let firsts = firstBytes.indices.filter { firstBytes[$0] }
        if firsts.count == 1 { onlyFirstByte = UInt8(firsts[0]) }
    }

    var isEmpty: Bool { labels.isEmpty }

    @inline(__always)
    private func child(_ node: Int, _ b: UInt8) -> Int? {
        var lo = Int(edgeStart[node]), hi = Int(edgeStart[node + 1])
        while lo < hi {
            let mid = (lo + hi) / 2
            if labels[mid] < b { lo = mid + 1 } else { hi = mid }
        }
        return lo < Int(edgeStart[node + 1]) && labels[lo] == b ? Int(targets[lo]) : nil
    }

    /// Splits `text` into (token index or nil, byte range) parts covering it.
    func split(_ text: UnsafeBufferPointer<UInt8>) -> [(token: Int?, range: Range<Int>)] {
        var parts: [(token: Int?, range: Range<Int>)] = []
        split(text, into: &parts)
        return parts
    }

    /// ``split(_:)`` into `parts` (emptied first; its memory is reused).
    func split(_ text: UnsafeBufferPointer<UInt8>, into parts: inout [(token: Int?, range: Range<Int>)]) {
        parts.removeAll(keepingCapacity: true)
        forEachPart(text) { parts.append(($0, $1)) }
    }

    /// Calls `body(token index or nil, byte range)` for the parts of `text` that
    /// ``split(_:)`` lists, in order, without building the list.
    func forEachPart<E: Error>(_ text: UnsafeBufferPointer<UInt8>, _ body: (Int?, Range<Int>) throws(E) -> Void) throws(E) {
        let n = text.count
        guard !isEmpty, n > 0 else {
            if n > 0 { try body(nil, 0..<n) }
            return
        }
        var startOffset = 0
        var i = 0
        while i < n {
            if let only = onlyFirstByte, let base = text.baseAddress {
                guard let hit = memchr(base + i, Int32(only), n - i) else { break }
                i = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            } else if !firstBytes[Int(text[i])] {
                i += 1; continue
            }
            var node = 0, j = i
            var best = -1, bestEnd = i
            while j < n, let next = child(node, text[j]) {
                node = next; j += 1
                if terminal[node] >= 0 { best = Int(terminal[node]); bestEnd = j }
            }
            guard best >= 0 else { i += 1; continue }
            var start = i, stop = bestEnd
            let token = tokens[best]
            if token.singleWord {
                let startSpace = start == 0 || !Self.isWordCharacter(before: start, text)
                let stopSpace = stop == n || !Self.isWordCharacter(at: stop, text)
                // The matcher resumes after a rejected match, as tokenizers' iterator does.
                if !(startSpace && stopSpace) { i = bestEnd; continue }
            }
            if token.leftStrip {
                var s = start
                while s > 0 {
                    var k = s - 1
                    while k > 0 && text[k] & 0xC0 == 0x80 { k -= 1 }
                    guard Self.isWhitespace(at: k, text) else { break }
                    s = k
                }
                start = max(s, startOffset)
            }
            if token.rightStrip {
                while stop < n, Self.isWhitespace(at: stop, text) { stop += BPEModel.utf8Length(text[stop]) }
            }
            if startOffset < start { try body(nil, startOffset..<start) }
            try body(best, start..<stop)
            startOffset = stop
            i = stop
        }
        if startOffset < n { try body(nil, startOffset..<n) }
    }

    static func scalar(at i: Int, _ text: UnsafeBufferPointer<UInt8>) -> Unicode.Scalar? {
        guard let p = text.baseAddress else { return nil }
        return Unicode.Scalar(decodeScalar(p, i, text.count).0)
    }

    static func isWhitespace(at i: Int, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        scalar(at: i, text)?.properties.isWhitespace ?? false
    }

    /// Rust regex `\w`: alphabetic, marks, decimal digits, connector punctuation, joiners.
    static func isWord(_ s: Unicode.Scalar) -> Bool {
        let p = s.properties
        if p.isAlphabetic || p.isJoinControl { return true }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    static func isWordCharacter(at i: Int, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        scalar(at: i, text).map(isWord) ?? false
    }

    static func isWordCharacter(before i: Int, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var k = i - 1
        while k > 0 && text[k] & 0xC0 == 0x80 { k -= 1 }
        return isWordCharacter(at: k, text)
    }
}
