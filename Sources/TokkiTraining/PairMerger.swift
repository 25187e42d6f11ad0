/// The core of BPE training: exact counts of adjacent symbol pairs over weighted symbol
/// sequences, and the merge of the most frequent pair (ties: the smaller pair of ids) with
/// incremental count updates. Symbols are sequences of `Element`s (scalars for SentencePiece
/// style, bytes for byte-level BPE); `isValid` says whether a merged symbol may exist.
///
/// Layout, for speed: every pair seen gets a dense id on first sight (one hash look-up), and
/// its count, validity, last-change mark and word list live together under that id. The
/// words holding a pair are a linked list in one pool (stale entries are skipped when met).
/// All sequences live back to back in one array, each behind its length and frequency (so
/// one memory access reaches a word), and are rewritten in place.
struct PairMerger<Element: Hashable> {
    /// Symbol contents by id.
    private(set) var symbols: [[Element]]
    /// Word records: at offset `o`, the current length, the frequency (two halves), then the
    /// symbols.
    private var flat: [Int32] = []
    private let isValid: ([Element]) -> Bool
    /// Pair key → dense pair id: open addressing, key and id side by side.
    private var pairTable = [(key: UInt64, id: Int32)](repeating: (.max, -1), count: 1 << 16)
    private var pairs: [Pair] = []
    /// The word lists' entries: a word (its record offset) and the next (older) entry, -1
    /// ending the list.
    private var entries: [(word: Int32, next: Int32)] = []
    private var heap = PairHeap()
    /// Per-merge scratch: the count changes, and the pairs changed with their count before.
    private var deltas: [(Int32, Int64)] = []
    private var touched: [(Int32, Int64)] = []
    private var generation: UInt32 = 0

    /// Everything about one pair, together in memory.
    private struct Pair {
        let key: UInt64
        var count: Int64 = 0
        /// The merge (generation) in which the count last changed.
        var touchedAt: UInt32 = 0
        /// The newest entry of the list of words holding the pair (-1: none).
        var head: Int32 = -1
        let valid: Bool
    }

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
    ///
    /// - Throws: ``TrainingError/invalidConfiguration(_:)`` when the words hold more symbols
    ///   than 32-bit offsets reach (billions: sample the corpus instead).
    init(symbols: [[Element]], sequences: [[Int32]], frequencies: [Int64], isValid: @escaping ([Element]) -> Bool) throws(TrainingError) {
        self.symbols = symbols
        self.isValid = isValid
        var total = 0
        for seq in sequences { total += seq.count + 3 }
        guard total < Int(Int32.max) else {
            throw .invalidConfiguration("the distinct words hold \(total) symbols, more than training can index; sample the corpus (input sentence size)")
        }
        flat.reserveCapacity(total)
        for (w, seq) in sequences.enumerated() {
            let record = Int32(flat.count)
            let f = UInt64(bitPattern: frequencies[w])
            flat.append(Int32(seq.count))
            flat.append(Int32(bitPattern: UInt32(truncatingIfNeeded: f)))
            flat.append(Int32(bitPattern: UInt32(truncatingIfNeeded: f >> 32)))
            flat.append(contentsOf: seq)
            guard seq.count > 1 else { continue }
            for i in 0..<(seq.count - 1) where seq[i] >= 0 && seq[i + 1] >= 0 {
                let p = Int(pair(seq[i], seq[i + 1]))
                guard pairs[p].valid else { continue }
                pairs[p].count += frequencies[w]
                addWord(record, to: p)
            }
        }
        for p in pairs.indices where pairs[p].count > 0 { heap.push(pairs[p].count, pairs[p].key, Int32(p)) }
    }

    @inline(__always)
    static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b)) }

    /// The id of pair (a, b), created (with its validity decided) on first sight.
    @inline(__always)
    private mutating func pair(_ a: Int32, _ b: Int32) -> Int32 {
        let k = Self.key(a, b)
        var mask = pairTable.count - 1
        var slot = Self.slot(k, mask)
        while true {
            let e = pairTable[slot]
            if e.key == k { return e.id }
            if e.id < 0 { break }
            slot = (slot + 1) & mask
        }
        let id = Int32(pairs.count)
        pairs.append(Pair(key: k, valid: isValid(symbols[Int(a)] + symbols[Int(b)])))
        if pairs.count * 2 > pairTable.count {
            // Grow: reinsert every pair (ids never change).
            pairTable = [(key: UInt64, id: Int32)](repeating: (.max, -1), count: pairTable.count * 2)
            mask = pairTable.count - 1
            for (q, p) in pairs.enumerated() {
                var s = Self.slot(p.key, mask)
                while pairTable[s].id >= 0 { s = (s + 1) & mask }
                pairTable[s] = (p.key, Int32(q))
            }
        } else {
            pairTable[slot] = (k, id)
        }
        return id
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        var h = key &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 32
        return Int(truncatingIfNeeded: h) & mask
    }

    /// Records that word `w` holds pair `p` (once per run of additions from the same word).
    @inline(__always)
    private mutating func addWord(_ w: Int32, to p: Int) {
        let h = pairs[p].head
        if h >= 0 && entries[Int(h)].word == w { return }
        pairs[p].head = Int32(entries.count)
        entries.append((w, h))
    }

    /// The count of the most frequent pair, without merging it.
    mutating func peekCount() -> Int64? {
        while let (n, _, p) = heap.peek() {
            if pairs[Int(p)].count == n && n > 0 { return n }
            _ = heap.pop()
        }
        return nil
    }

    /// Merges the most frequent pair everywhere; nil when no pair is left.
    mutating func next() -> Merge? {
        var chosen: (Int64, UInt64, Int32)? = nil
        while let (n, k, p) = heap.pop() {
            if pairs[Int(p)].count == n && n > 0 { chosen = (n, k, p); break }
        }
        guard let (n, k, chosenID) = chosen else { return nil }
        let a = Int32(truncatingIfNeeded: k >> 32), b = Int32(truncatingIfNeeded: k & 0xFFFF_FFFF)
        let text = symbols[Int(a)] + symbols[Int(b)]
        let new = Int32(symbols.count)
        symbols.append(text)
        pairs[Int(chosenID)].count = 0
        deltas.removeAll(keepingCapacity: true)
        // Rewrite every sequence holding the pair; only the pairs next to a merge change: the
        // old pairs that touch a merged (a, b) are counted out, and the new pairs that touch
        // the new symbol counted in (every other pair is the same before and after).
        var entry = pairs[Int(chosenID)].head
        pairs[Int(chosenID)].head = -1
        while entry >= 0 {
            let (wi, next) = entries[Int(entry)]
            entry = next
            let record = Int(wi)
            let oldCount = Int(flat[record])
            guard oldCount > 1 else { continue }
            let f = Int64(bitPattern: UInt64(UInt32(bitPattern: flat[record + 1])) | UInt64(UInt32(bitPattern: flat[record + 2])) << 32)
            let base = record + 3
            var occurs = false
            var j = 0
            while j + 1 < oldCount {
                if flat[base + j] == a && flat[base + j + 1] == b { occurs = true; break }
                j += 1
            }
            guard occurs else { continue }
            var lastOut = -1
            while j + 1 < oldCount {
                guard flat[base + j] == a && flat[base + j + 1] == b else { j += 1; continue }
                var ps = max(j - 1, lastOut + 1)
                let last = min(j + 1, oldCount - 2)
                while ps <= last {
                    let x = flat[base + ps], y = flat[base + ps + 1]
                    if x >= 0 && y >= 0 {
                        let p = pair(x, y)
                        if pairs[Int(p)].valid { deltas.append((p, -f)) }
                    }
                    ps += 1
                }
                lastOut = max(lastOut, last)
                j += 2
            }
            var r = 0, i = 0
            while i < oldCount {
                if i + 1 < oldCount && flat[base + i] == a && flat[base + i + 1] == b {
                    flat[base + r] = new; i += 2
                } else {
                    flat[base + r] = flat[base + i]; i += 1
                }
                r += 1
            }
            flat[record] = Int32(r)
            var lastIn = -1
            for q in 0..<r where flat[base + q] == new {
                var ps = max(q - 1, lastIn + 1, 0)
                let last = min(q, r - 2)
                while ps <= last {
                    let x = flat[base + ps], y = flat[base + ps + 1]
                    if x >= 0 && y >= 0 {
                        let p = pair(x, y)
                        if pairs[Int(p)].valid {
                            deltas.append((p, f))
                            addWord(wi, to: Int(p))
                        }
                    }
                    ps += 1
                }
                lastIn = max(lastIn, last)
            }
        }
        // Apply the changes; pairs whose count changed go back on the heap.
        generation &+= 1
        if generation == 0 {
            generation = 1
            for p in pairs.indices { pairs[p].touchedAt = 0 }
        }
        touched.removeAll(keepingCapacity: true)
        for (p, delta) in deltas {
            let pi = Int(p)
            if pairs[pi].touchedAt != generation {
                pairs[pi].touchedAt = generation
                touched.append((p, pairs[pi].count))
            }
            pairs[pi].count += delta
        }
        for (p, before) in touched {
            let pi = Int(p)
            var now = pairs[pi].count
            guard now != before else { continue }
            if now < 0 { now = 0; pairs[pi].count = 0 }
            if now > 0 { heap.push(now, pairs[pi].key, p) }
        }
        return Merge(left: a, right: b, symbol: new, text: text, count: n)
    }
}

/// A max-heap of (count, pair key, pair id) with lazy deletion; ties go to the smaller pair
/// key, so the merge order is deterministic.
struct PairHeap {
    private var items: [(Int64, UInt64, Int32)] = []

    private static func before(_ x: (Int64, UInt64, Int32), _ y: (Int64, UInt64, Int32)) -> Bool {
        x.0 != y.0 ? x.0 > y.0 : x.1 < y.1
    }

    mutating func push(_ count: Int64, _ key: UInt64, _ id: Int32) {
        items.append((count, key, id))
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard Self.before(items[i], items[p]) else { break }
            items.swapAt(i, p)
            i = p
        }
    }

    func peek() -> (Int64, UInt64, Int32)? { items.first }

    mutating func pop() -> (Int64, UInt64, Int32)? {
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
