/// The core of BPE training: exact counts of adjacent symbol pairs over weighted symbol
/// sequences, and the merge of the most frequent pair (ties: the smaller pair of ids) with
/// incremental count updates. Symbols are sequences of `Element`s (scalars for SentencePiece
/// style, bytes for byte-level BPE); `isValid` says whether a merged symbol may exist.
struct PairMerger<Element: Hashable> {
    /// Symbol contents by id.
    private(set) var symbols: [[Element]]
    private var sequences: [[Int32]]
    private let frequencies: [Int64]
    private let isValid: ([Element]) -> Bool
    private var pairCount = UInt64Map<Int64>(empty: 0)
    private var pairWords = UInt64Map<[Int32]>(empty: [])
    /// 0 unknown, 1 valid, 2 invalid.
    private var valid = UInt64Map<UInt8>(empty: 0)
    private var heap = PairHeap()
    /// Per-merge scratch: the count changes.
    private var deltas: [(UInt64, Int64)] = []
    /// The merge (generation) in which each pair's count last changed, and the pairs changed
    /// in this merge with their count before it.
    private var touchedAt = UInt64Map<UInt32>(empty: 0)
    private var generation: UInt32 = 0
    private var touched: [(UInt64, Int64)] = []

    /// One merge: the pair and the new symbol.
    struct Merge {
        var left: Int32
        var right: Int32
        var symbol: Int32
        var text: [Element]
        var count: Int64
    }

    /// Starts from `sequences` of symbol ids (-1: a symbol that never merges) weighted by
    /// `frequencies`.
    init(symbols: [[Element]], sequences: [[Int32]], frequencies: [Int64], isValid: @escaping ([Element]) -> Bool) {
        self.symbols = symbols
        self.sequences = sequences
        self.frequencies = frequencies
        self.isValid = isValid
        for (w, seq) in sequences.enumerated() where seq.count > 1 {
            for i in 0..<(seq.count - 1) where seq[i] >= 0 && seq[i + 1] >= 0 && pairIsValid(seq[i], seq[i + 1]) {
                let k = Self.key(seq[i], seq[i + 1])
                pairCount.modify(k) { $0 += frequencies[w] }
                pairWords.modify(k) { if $0.last != Int32(w) { $0.append(Int32(w)) } }
            }
        }
        pairCount.forEach { k, n in heap.push(n, k) }
    }

    @inline(__always)
    static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b)) }

    private mutating func pairIsValid(_ a: Int32, _ b: Int32) -> Bool {
        let k = Self.key(a, b)
        let known = valid[k]
        if known != 0 { return known == 1 }
        let v = isValid(symbols[Int(a)] + symbols[Int(b)])
        valid[k] = v ? 1 : 2
        return v
    }

    /// The count of the most frequent pair, without merging it.
    mutating func peekCount() -> Int64? {
        while let (n, k) = heap.peek() {
            if pairCount[k] == n && n > 0 { return n }
            _ = heap.pop()
        }
        return nil
    }

    /// Merges the most frequent pair everywhere; nil when no pair is left.
    mutating func next() -> Merge? {
        var chosen: (Int64, UInt64)? = nil
        while let (n, k) = heap.pop() {
            if pairCount[k] == n && n > 0 { chosen = (n, k); break }
        }
        guard let (n, k) = chosen else { return nil }
        let a = Int32(truncatingIfNeeded: k >> 32), b = Int32(truncatingIfNeeded: k & 0xFFFF_FFFF)
        let text = symbols[Int(a)] + symbols[Int(b)]
        let new = Int32(symbols.count)
        symbols.append(text)
        pairCount[k] = 0
        // Rewrite every sequence holding the pair; its pairs are counted out before and in after.
        deltas.removeAll(keepingCapacity: true)
        let holders = pairWords[k]
        pairWords[k] = []
        for wi in holders {
            let w = Int(wi)
            let f = frequencies[w]
            var occurs = false
            var seq = sequences[w]
            sequences[w] = []   // unique storage: the rewrite below is in place
            let oldCount = seq.count
            for j in 0..<max(0, oldCount - 1) where seq[j] == a && seq[j + 1] == b { occurs = true; break }
            guard occurs else { sequences[w] = seq; continue }
            // Only the pairs next to a merge change: the old pairs that touch a merged (a, b)
            // are counted out, and the new pairs that touch the new symbol counted in (every
            // other pair is the same before and after).
            var lastOut = -1
            var j = 0
            while j + 1 < oldCount {
                guard seq[j] == a && seq[j + 1] == b else { j += 1; continue }
                var ps = max(j - 1, lastOut + 1)
                let last = min(j + 1, oldCount - 2)
                while ps <= last {
                    if seq[ps] >= 0 && seq[ps + 1] >= 0 && pairIsValid(seq[ps], seq[ps + 1]) {
                        deltas.append((Self.key(seq[ps], seq[ps + 1]), -f))
                    }
                    ps += 1
                }
                lastOut = max(lastOut, last)
                j += 2
            }
            var r = 0, i = 0
            while i < oldCount {
                if i + 1 < oldCount && seq[i] == a && seq[i + 1] == b {
                    seq[r] = new; i += 2
                } else {
                    seq[r] = seq[i]; i += 1
                }
                r += 1
            }
            seq.removeLast(oldCount - r)
            var lastIn = -1
            for k in 0..<r where seq[k] == new {
                var ps = max(k - 1, lastIn + 1, 0)
                let last = min(k, r - 2)
                while ps <= last {
                    if seq[ps] >= 0 && seq[ps + 1] >= 0 && pairIsValid(seq[ps], seq[ps + 1]) {
                        let pk = Self.key(seq[ps], seq[ps + 1])
                        deltas.append((pk, f))
                        pairWords.modify(pk) { if $0.last != wi { $0.append(wi) } }
                    }
                    ps += 1
                }
                lastIn = max(lastIn, last)
            }
            sequences[w] = seq
        }
        // Apply the changes; pairs whose count changed go back on the heap.
        generation &+= 1
        if generation == 0 { generation = 1; touchedAt = UInt64Map<UInt32>(empty: 0) }
        touched.removeAll(keepingCapacity: true)
        for (tk, delta) in deltas {
            if touchedAt[tk] != generation {
                touchedAt[tk] = generation
                touched.append((tk, pairCount[tk]))
            }
            pairCount.modify(tk) { $0 += delta }
        }
        for (tk, before) in touched {
            var now = pairCount[tk]
            guard now != before else { continue }
            if now < 0 { now = 0; pairCount[tk] = 0 }
            if now > 0 { heap.push(now, tk) }
        }
        return Merge(left: a, right: b, symbol: new, text: text, count: n)
    }
}

/// A max-heap of (count, pair) with lazy deletion; ties go to the smaller pair key, so the
/// merge order is deterministic.
struct PairHeap {
    private var items: [(Int64, UInt64)] = []

    private static func before(_ x: (Int64, UInt64), _ y: (Int64, UInt64)) -> Bool {
        x.0 != y.0 ? x.0 > y.0 : x.1 < y.1
    }

    mutating func push(_ count: Int64, _ key: UInt64) {
        items.append((count, key))
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard Self.before(items[i], items[p]) else { break }
            items.swapAt(i, p)
            i = p
        }
    }

    func peek() -> (Int64, UInt64)? { items.first }

    mutating func pop() -> (Int64, UInt64)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && Self.before(items[l], items[m]) { m = l }
                if r < items.count && Self.before(items[r], items[m]) { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
