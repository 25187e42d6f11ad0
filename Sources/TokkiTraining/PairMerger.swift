import Tokki

/// The core of BPE training: exact counts of adjacent symbol pairs over weighted symbol
/// sequences, and the merge of the most frequent pair (ties: the smaller pair of ids) with
/// incremental count updates. Symbols are sequences of `Element`s (scalars for SentencePiece
/// style, bytes for byte-level BPE); `isValid` says whether a merged symbol may exist.
///
/// Layout, for speed (the merge loop is bound by memory latency):
/// - Each word is one record in one array: its length, capacity and frequency, its symbols,
///   and for each adjacent position the id of the pair there (-1: a pair that may not
///   merge). Counting a pair out therefore needs no look-up, and records are rewritten in
///   place.
/// - Pairs get dense ids; each pair's count, last-change mark and word list live together.
///   Only the initial pairs go through a hash table: every pair made by a merge holds the
///   new symbol, so it is new, and is found through small per-merge arrays indexed by the
///   other symbol.
/// - The words holding a pair are a list of blocks of six in one pool (stale entries are
///   skipped); a merge first gathers them, so that the words' records are fetched
///   independently rather than one pointer chase at a time.
struct PairMerger<Element: FixedWidthInteger & UnsignedInteger> {
    /// Symbol texts, back to back: symbol `k` is `pool[textStart[k]..<textStart[k + 1]]`.
    private var pool: [Element] = []
    private var textStart: [Int32] = [0]
    /// Per symbol: its summary, its text's hash and the hash multiplier for its length.
    private var summaries: [UInt64]
    private var textHash: [UInt64] = []
    private var hashPower: [UInt64] = []
    /// Per symbol: the first symbol with the same text (itself when the text is new).
    private var firstWithText: [Int32] = []
    /// Symbols by text hash (open addressing; -1: empty).
    private var textTable: [Int32] = []
    /// Word records: at offset `o`, the length, the capacity `c`, the frequency (two
    /// halves), `c` symbols, then `c - 1` pair ids.
    private var flat: [Int32] = []
    private let combine: (UInt64, UInt64) -> UInt64?
    private var pairs: [Pair] = []
    /// The word lists' blocks, `blockSize` each: the next (older) block (-1: none), the
    /// number of words used, then the words (record offsets).
    private var blocks: [Int32] = []
    private static var blockSize: Int { 8 }
    /// Per-merge scratch: the words holding the merged pair, and in each batch of them the
    /// ones that still do with the first position of the pair.
    private var holders: [Int32] = []
    private var sites: [(Int32, Int32)] = []
    private static var batch: Int { 64 }
    private var heap = PairCountHeap()
    /// Per merge: the ids of the pairs (x, new) and (new, y), valid where the stamp is the
    /// new symbol's id.
    private var leftOfNew: [(stamp: Int32, id: Int32)] = []
    private var rightOfNew: [(stamp: Int32, id: Int32)] = []
    /// Per-merge scratch: the count changes.
    private var deltas: [(Int32, Int64)] = []

    private static var header: Int { 4 }

    /// Everything about one pair, together in memory.
    private struct Pair {
        let key: UInt64
        var count: Int64 = 0
        /// The newest block of the list of words holding the pair (-1: none).
        var head: Int32 = -1
    }

    /// One merge: the pair and the new symbol.
    struct Merge {
        var left: Int32
        var right: Int32
        var symbol: Int32
        var count: Int64
        /// The first symbol with the new symbol's text: `symbol` itself unless an earlier
        /// merge (or an initial symbol) spelled the same text from other parts.
        var original: Int32
        /// Whether the new symbol's text is new.
        var isNewText: Bool { original == symbol }
    }

    /// The number of symbols so far.
    var symbolCount: Int { summaries.count }

    /// The text of `symbol`.
    func text(_ symbol: Int32) -> ArraySlice<Element> {
        pool[Int(textStart[Int(symbol)])..<Int(textStart[Int(symbol) + 1])]
    }

    private static var hashBase: UInt64 { 0x100_0000_01B3 }

    /// Adds a symbol whose text was just appended to the pool, with its hash, multiplier and
    /// summary.
    private mutating func addSymbol(hash: UInt64, power: UInt64, summary: UInt64) -> Int32 {
        let id = Int32(summaries.count)
        textStart.append(Int32(pool.count))
        summaries.append(summary)
        textHash.append(hash)
        hashPower.append(power)
        if 2 * (summaries.count + 1) > textTable.count {
            textTable = Array(repeating: -1, count: max(64, 4 * textTable.count))
            for k in 0..<Int(id) where firstWithText[k] == Int32(k) { _ = insertText(Int32(k)) }
        }
        firstWithText.append(insertText(id))
        return id
    }

    /// The first symbol with the text of `id`, recording `id` if it is the first.
    private mutating func insertText(_ id: Int32) -> Int32 {
        let mask = textTable.count - 1
        var slot = Self.slot(textHash[Int(id)], mask)
        while true {
            let other = textTable[slot]
            if other < 0 { textTable[slot] = id; return id }
            if other != id && textHash[Int(other)] == textHash[Int(id)] && text(other) == text(id) { return other }
            if other == id { return id }
            slot = (slot + 1) & mask
        }
    }

    /// Starts from `sequences` of symbol ids (-1: a symbol that never merges) weighted by
    /// `frequencies`.
    ///
    /// - Throws: ``TrainingError/invalidConfiguration(_:)`` when the words hold more symbols
    ///   than 32-bit offsets reach (billions: sample the corpus instead).
    init(symbols: [[Element]], summaries: [UInt64], sequences: [[Int32]], frequencies: [Int64],
         combine: @escaping (UInt64, UInt64) -> UInt64?) throws(TrainingError) {
        var ends: [Int32] = []
        var total = 0
        for seq in sequences { total += seq.count; ends.append(Int32(clamping: total)) }
        try self.init(symbols: symbols, summaries: summaries, flatSequences: Array(sequences.joined()), ends: ends,
                      frequencies: frequencies, combine: combine)
    }

    /// Starts from sequences of symbol ids back to back (sequence `k` ends at `ends[k]`).
    init(symbols: [[Element]], summaries: [UInt64], flatSequences sequences: [Int32], ends: [Int32], frequencies: [Int64],
         combine: @escaping (UInt64, UInt64) -> UInt64?) throws(TrainingError) {
        self.summaries = []
        self.combine = combine
        for (k, symbol) in symbols.enumerated() {
            var h: UInt64 = 0, power: UInt64 = 1
            for e in symbol { h = h &* Self.hashBase &+ UInt64(e) &+ 1; power = power &* Self.hashBase }
            pool.append(contentsOf: symbol)
            _ = addSymbol(hash: h, power: power, summary: summaries[k])
        }
        leftOfNew = Array(repeating: (-1, -1), count: symbols.count)
        rightOfNew = leftOfNew
        let total = Self.header * ends.count + 2 * sequences.count
        guard total < Int(Int32.max), sequences.count < Int(Int32.max) else {
            throw .invalidConfiguration("the distinct words hold \(sequences.count) symbols, more than training can index; sample the corpus (input sentence size)")
        }
        flat.reserveCapacity(total)
        // Initial pairs: key → id (-1: may not merge), open addressing.
        let empty = Int32.min
        var size = 1 << 12
        var table = [(key: UInt64, id: Int32)](repeating: (.max, empty), count: size)
        var used = 0
        func pairID(_ x: Int32, _ y: Int32) -> Int32 {
            guard x >= 0 && y >= 0 else { return -1 }
            let k = Self.key(x, y)
            var slot = Self.slot(k, size - 1)
            while table[slot].id != empty {
                if table[slot].key == k { return table[slot].id }
                slot = (slot + 1) & (size - 1)
            }
            let id: Int32 = combine(summaries[Int(x)], summaries[Int(y)]) != nil ? Int32(pairs.count) : -1
            if id >= 0 { pairs.append(Pair(key: k)) }
            table[slot] = (k, id)
            used += 1
            if 2 * used > size {
                let old = table
                size *= 2
                table = Array(repeating: (.max, empty), count: size)
                for e in old where e.id != empty {
                    var t = Self.slot(e.key, size - 1)
                    while table[t].id != empty { t = (t + 1) & (size - 1) }
                    table[t] = e
                }
            }
            return id
        }
        var start = 0
        for (w, end) in ends.enumerated() {
            let record = Int32(flat.count)
            let seq = sequences[start..<Int(end)]
            start = Int(end)
            let n = seq.count
            let f = UInt64(bitPattern: frequencies[w])
            flat.append(Int32(n))
            flat.append(Int32(n))
            flat.append(Int32(bitPattern: UInt32(truncatingIfNeeded: f)))
            flat.append(Int32(bitPattern: UInt32(truncatingIfNeeded: f >> 32)))
            flat.append(contentsOf: seq)
            guard n > 1 else { continue }
            for i in seq.startIndex..<(seq.endIndex - 1) {
                let p = pairID(sequences[i], sequences[i + 1])
                flat.append(p)
                guard p >= 0 else { continue }
                pairs[Int(p)].count += frequencies[w]
                addWord(record, to: Int(p))
            }
        }
        heap = PairCountHeap(pairs.indices.compactMap { p in pairs[p].count > 0 ? PairCount(count: pairs[p].count, key: pairs[p].key, id: Int32(p)) : nil })
    }

    @inline(__always)
    static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b)) }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        var h = key &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 32
        return Int(truncatingIfNeeded: h) & mask
    }

    /// The id of pair (x, y), one of which is the new symbol `new` (-1: may not merge);
    /// made on first sight in this merge.
    @inline(__always)
    private mutating func newPair(_ x: Int32, _ y: Int32, new: Int32) -> Int32 {
        guard x >= 0 && y >= 0 else { return -1 }
        if y == new {
            let e = leftOfNew[Int(x)]
            if e.stamp == new { return e.id }
        } else {
            let e = rightOfNew[Int(y)]
            if e.stamp == new { return e.id }
        }
        var id: Int32 = -1
        if combine(summaries[Int(x)], summaries[Int(y)]) != nil {
            id = Int32(pairs.count)
            pairs.append(Pair(key: Self.key(x, y)))
        }
        if y == new { leftOfNew[Int(x)] = (new, id) } else { rightOfNew[Int(y)] = (new, id) }
        return id
    }

    /// Records that word `w` holds pair `p` (once per run of additions from the same word).
    @inline(__always)
    private mutating func addWord(_ w: Int32, to p: Int) {
        let h = Int(pairs[p].head)
        let added: Bool = blocks.withUnsafeMutableBufferPointer { B in
            guard h >= 0 else { return false }
            // A block is `blockSize` entries at h: next, used, then up to blockSize − 2 words.
            assert(h + Self.blockSize <= B.count)
            let used = Int(B[h + 1])
            if B[h + 1 + used] == w { return true }
            guard used < Self.blockSize - 2 else { return false }
            B[h + 2 + used] = w
            B[h + 1] = Int32(used + 1)
            return true
        }
        if added { return }
        let at = blocks.count
        pairs[p].head = Int32(at)
        blocks.append(contentsOf: repeatElement(-1, count: Self.blockSize))
        blocks.withUnsafeMutableBufferPointer { B in
            assert(at + Self.blockSize == B.count)
            B[at] = Int32(h)
            B[at + 1] = 1
            B[at + 2] = w
        }
    }

    /// The most frequent pair (count, key, id), left on the heap.
    ///
    /// The heap holds one entry per pair with a count, at a count never below the pair's
    /// own: a count that falls (pairs that exist only lose occurrences; every pair a merge
    /// makes is new) is put right only when its entry comes to the top. So the first entry
    /// found up to date is the most frequent pair, ties to the smaller key.
    private mutating func top() -> (Int64, UInt64, Int32)? {
        while let e = heap.top {
            let now = pairs[Int(e.id)].count
            if now == e.count { return (e.count, e.key, e.id) }
            if now > 0 { heap.replaceTop(PairCount(count: now, key: e.key, id: e.id)) } else { _ = heap.pop() }
        }
        return nil
    }

    /// The count of the most frequent pair, without merging it.
    mutating func peekCount() -> Int64? { top()?.0 }

    /// Merges the most frequent pair everywhere; nil when no pair is left.
    mutating func next() -> Merge? {
        guard let (n, k, chosenID) = top() else { return nil }
        _ = heap.pop()
        let a = Int32(truncatingIfNeeded: k >> 32), b = Int32(truncatingIfNeeded: k & 0xFFFF_FFFF)
        // The new symbol: texts back to back, hashes combined (h(ab) = h(a)·B^|b| + h(b)).
        for i in Int(textStart[Int(a)])..<Int(textStart[Int(a) + 1]) { pool.append(pool[i]) }
        for i in Int(textStart[Int(b)])..<Int(textStart[Int(b) + 1]) { pool.append(pool[i]) }
        let new = addSymbol(hash: textHash[Int(a)] &* hashPower[Int(b)] &+ textHash[Int(b)],
                            power: hashPower[Int(a)] &* hashPower[Int(b)],
                            summary: combine(summaries[Int(a)], summaries[Int(b)]) ?? 0)
        leftOfNew.append((-1, -1))
        rightOfNew.append((-1, -1))
        pairs[Int(chosenID)].count = 0
        let firstNewPair = pairs.count
        deltas.removeAll(keepingCapacity: true)
        // Rewrite every sequence holding the pair; only the pairs next to a merge change: the
        // old pairs that touch a merged (a, b) are counted out, and the new pairs that touch
        // the new symbol counted in (every other pair is the same before and after).
        var block = Int(pairs[Int(chosenID)].head)
        pairs[Int(chosenID)].head = -1
        holders.removeAll(keepingCapacity: true)
        while block >= 0 {
            let used = Int(blocks[block + 1])
            for k in 0..<used { holders.append(blocks[block + 2 + k]) }
            block = Int(blocks[block])
        }
        // In batches: first find where each word holds the pair (a short loop of independent
        // loads, so the memory system fetches many records at once), then rewrite those.
        // The records are moved out of `self` and reached through a pointer: offsets come from
        // the records themselves, and `newPair`/`addWord` may mutate `self` meanwhile.
        var records: [Int32] = []
        swap(&records, &flat)
        records.withUnsafeMutableBufferPointer { buffer in
            guard let F = buffer.baseAddress else { return }
            var batchStart = 0
            while batchStart < holders.count {
                let batchEnd = min(batchStart + Self.batch, holders.count)
                sites.removeAll(keepingCapacity: true)
                for h in batchStart..<batchEnd {
                    let record = Int(holders[h])
                    let oldCount = Int(F[record])
                    let pids = record + Self.header + Int(F[record + 1])
                    var j = 0
                    while j + 1 < oldCount && F[pids + j] != chosenID { j += 1 }
                    if j + 1 < oldCount { sites.append((Int32(record), Int32(j))) }
                }
                batchStart = batchEnd
                for (wi, site) in sites {
                    let record = Int(wi)
                    let oldCount = Int(F[record])
                    // A record: header, `capacity` symbols, `capacity − 1` pair ids; the rewrite
                    // only shortens it (r ≤ i < oldCount ≤ capacity).
                    assert(record >= 0 && oldCount <= Int(F[record + 1])
                           && record + Self.header + 2 * Int(F[record + 1]) - 1 <= buffer.count)
                    let syms = record + Self.header
                    let pids = syms + Int(F[record + 1])
                    var j = Int(site)
                    let f = Int64(bitPattern: UInt64(UInt32(bitPattern: F[record + 2])) | UInt64(UInt32(bitPattern: F[record + 3])) << 32)
                    // Out: the pairs at and next to each merge site, each position once.
                    var lastOut = -1
                    while j + 1 < oldCount {
                        guard F[syms + j] == a && F[syms + j + 1] == b else { j += 1; continue }
                        var ps = max(j - 1, lastOut + 1)
                        let last = min(j + 1, oldCount - 2)
                        while ps <= last {
                            let p = F[pids + ps]
                            if p >= 0 { deltas.append((p, -f)) }
                            ps += 1
                        }
                        lastOut = max(lastOut, last)
                        j += 2
                    }
                    // Rewrite in place; a position pair keeps its id unless it holds the new symbol
                    // (then it is new: counted in).
                    var r = 0, i = 0
                    while i < oldCount {
                        let symbol: Int32
                        let step: Int
                        if i + 1 < oldCount && F[syms + i] == a && F[syms + i + 1] == b {
                            symbol = new; step = 2
                        } else {
                            symbol = F[syms + i]; step = 1
                        }
                        if r > 0 {
                            let previous = F[syms + r - 1]
                            var p: Int32
                            if previous == new || symbol == new {
                                p = newPair(previous, symbol, new: new)
                                if p >= 0 {
                                    deltas.append((p, f))
                                    addWord(wi, to: Int(p))
                                }
                            } else {
                                p = F[pids + i - 1]  // `previous` came from old position i - 1
                            }
                            assert(r <= i && i < oldCount)
                            F[pids + r - 1] = p
                        }
                        F[syms + r] = symbol
                        r += 1
                        i += step
                    }
                    F[record] = Int32(r)
                }
            }
        }
        swap(&records, &flat)
        // Apply the changes; the pairs made by this merge go on the heap.
        pairs.withUnsafeMutableBufferPointer { P in
            for (p, delta) in deltas {
                assert(p >= 0 && Int(p) < P.count)  // deltas hold ids of existing pairs
                P[Int(p)].count += delta
            }
        }
        for p in firstNewPair..<pairs.count {
            if pairs[p].count < 0 { pairs[p].count = 0 }
            if pairs[p].count > 0 { heap.push(PairCount(count: pairs[p].count, key: pairs[p].key, id: Int32(p))) }
        }
        return Merge(left: a, right: b, symbol: new, count: n, original: firstWithText[Int(new)])
    }
}
