import Tokki

extension MergeContinuation {
    /// Learns up to `count` new tokens, greedily by the number of tokens each saves on the
    /// corpus: a merge saves one token per occurrence of its pair (more when a side is a
    /// character the model spells in bytes), a character the model does not know saves the
    /// tokens of its fallback spelling. Candidates seen fewer than `minFrequency` times,
    /// merges whose text `acceptMerge` refuses, and characters `acceptCharacter` refuses
    /// are skipped. Returns the new tokens' symbols in the order learned.
    ///
    /// First, as SentencePiece's trainers do, the characters the model does not know that
    /// cover `characterCoverage` of such characters' occurrences become tokens (most
    /// frequent first): text outside the corpus then needs them too.
    mutating func learn(count: Int, minFrequency: Int64, characterCoverage: Double, acceptMerge: ([UInt8]) -> Bool,
                        acceptCharacter: ([UInt8]) -> Bool, progress: ((Double) -> Void)? = nil) -> [Int32] {
        var pairCount = UInt64Map<Int64>(capacity: 1 << 16, empty: 0)
        // The words holding each pair (stale entries allowed): lists by pair.
        var pairList = UInt64Map<Int32>(capacity: 1 << 16, empty: -1)
        var lists: [[Int32]] = []
        func note(_ k: UInt64, _ w: Int32) {
            var l = pairList[k]
            if l < 0 { l = Int32(lists.count); lists.append([]); pairList[k] = l }
            if lists[Int(l)].last != w { lists[Int(l)].append(w) }
        }
        var charCount: [Int32: Int64] = [:]
        var charWords: [Int32: [Int32]] = [:]
        var heap = GainHeap()
        var rejected = Set<UInt64>()
        let charFlag: UInt64 = 1 << 63

        func cost(_ s: Int32) -> Int64 { isToken[Int(s)] ? 1 : Int64(max(2, baseIDs[Int(s)].count)) }
        func gain(_ k: UInt64) -> Int64 {
            let a = Int32(bitPattern: UInt32(truncatingIfNeeded: k >> 32)), b = Int32(bitPattern: UInt32(truncatingIfNeeded: k))
            guard byText || (isToken[Int(a)] && isToken[Int(b)]) else { return 0 }
            return pairCount[k] * (cost(a) + cost(b) - 1)
        }
        func charGain(_ c: Int32) -> Int64 { (charCount[c] ?? 0) * (cost(c) - 1) }

        for (w, seg) in words.enumerated() {
            let f = frequency[w]
            for i in 0..<max(0, seg.count - 1) {
                let k = Self.key(seg[i], seg[i + 1])
                pairCount.modify(k) { $0 += f }
                note(k, Int32(w))
            }
            for s in seg where !isToken[Int(s)] {
                charCount[s, default: 0] += f
                if charWords[s]?.last != Int32(w) { charWords[s, default: []].append(Int32(w)) }
            }
        }
        var learned: [Int32] = []
        let unknown = charCount.filter { acceptCharacter(texts[Int($0.key)]) }.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
        let total = unknown.reduce(Int64(0)) { $0 + $1.value }
        var covered: Int64 = 0
        for (c, f) in unknown where learned.count < count && f >= minFrequency && Double(covered) < characterCoverage * Double(total) {
            makeToken(c)
            learned.append(c)
            covered += f
        }
        var initial: [(Int64, UInt64)] = []
        pairCount.forEach { k, _ in
            let g = gain(k)
            if g > 0 { initial.append((g, k)) }
        }
        heap = GainHeap(initial)
        for (c, _) in charCount where acceptCharacter(texts[Int(c)]) {
            let g = charGain(c)
            if g > 0 { heap.push(g, charFlag | UInt64(UInt32(bitPattern: c))) }
        }

        var stamp = [Int32](repeating: -1, count: words.count)
        // Pairs whose count went up (repeats are harmless: the heap is lazy).
        var changed: [UInt64] = []
        /// Re-segments the words in `affected` and updates the counts.
        func update(_ affected: [Int32], whole: (Int32, Int32)?) {
            changed.removeAll(keepingCapacity: true)
            for w in affected {
                let old = words[Int(w)]
                var new = old
                if let whole, whole.0 == w { new = [whole.1] } else { encode(&new) }
                if new == old { continue }
                let f = frequency[Int(w)]
                for i in 0..<max(0, old.count - 1) { pairCount.modify(Self.key(old[i], old[i + 1])) { $0 -= f } }
                for s in old where !isToken[Int(s)] { charCount[s, default: 0] -= f }
                for i in 0..<max(0, new.count - 1) {
                    let k = Self.key(new[i], new[i + 1])
                    pairCount.modify(k) { $0 += f }
                    note(k, w)
                    changed.append(k)
                }
                for s in new where !isToken[Int(s)] { charCount[s, default: 0] += f }
                setWord(Int(w), to: new)
            }
            for k in changed {
                let g = gain(k)
                if g > 0 { heap.push(g, k) }
            }
        }

        while learned.count < count, let (g, k) = heap.pop() {
            if k & charFlag != 0 {
                let c = Int32(bitPattern: UInt32(truncatingIfNeeded: k))
                guard !isToken[Int(c)] else { continue }
                let now = charGain(c)
                if now < g { if now > 0 { heap.push(now, k) }; continue }
                guard (charCount[c] ?? 0) >= minFrequency else { continue }
                makeToken(c)
                learned.append(c)
                if !byText {
                    // Pairs with this character may merge now: count them in again.
                    changed.removeAll(keepingCapacity: true)
                    for w in charWords[c] ?? [] {
                        let seg = words[Int(w)]
                        for i in 0..<max(0, seg.count - 1) where seg[i] == c || seg[i + 1] == c { changed.append(Self.key(seg[i], seg[i + 1])) }
                    }
                    for k in changed { let g = gain(k); if g > 0 { heap.push(g, k) } }
                }
                progress?(Double(learned.count) / Double(count))
                continue
            }
            guard !rejected.contains(k) else { continue }
            let now = gain(k)
            if now < g { if now > 0 { heap.push(now, k) }; continue }
            guard pairCount[k] >= minFrequency else { continue }
            let a = Int32(bitPattern: UInt32(truncatingIfNeeded: k >> 32)), b = Int32(bitPattern: UInt32(truncatingIfNeeded: k))
            let text = texts[Int(a)] + texts[Int(b)]
            if let e = existing(text), isToken[Int(e)] { rejected.insert(k); continue }
            guard acceptMerge(text) else { rejected.insert(k); continue }
            let (s, keys) = addMerge(a, b)
            learned.append(s)
            let mark = Int32(learned.count)
            var affected: [Int32] = []
            for key in keys {
                let l = pairList[key]
                guard l >= 0 else { continue }
                for w in lists[Int(l)] where stamp[Int(w)] != mark {
                    stamp[Int(w)] = mark
                    affected.append(w)
                }
            }
            var whole: (Int32, Int32)? = nil
            if let w = wholeWords?[text] {
                whole = (w, s)
                if stamp[Int(w)] != mark { stamp[Int(w)] = mark; affected.append(w) }
            }
            update(affected, whole: whole)
            if learned.count % 256 == 0 { progress?(Double(learned.count) / Double(count)) }
        }
        return learned
    }
}

/// A max-heap of (gain, key); equal gains pop the smaller key first (a deterministic order).
struct GainHeap {
    private var items: [(Int64, UInt64)] = []

    init() {}

    /// A heap of `items`, built in linear time.
    init(_ items: [(Int64, UInt64)]) {
        self.items = items
        var i = items.count / 2
        while i > 0 { i -= 1; siftDown(i) }
    }

    private static func above(_ x: (Int64, UInt64), _ y: (Int64, UInt64)) -> Bool { x.0 > y.0 || (x.0 == y.0 && x.1 < y.1) }

    mutating func push(_ gain: Int64, _ key: UInt64) {
        items.append((gain, key))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.above(items[i], items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> (Int64, UInt64)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            siftDown(0)
        }
        return top
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var best = i
            if l < items.count && Self.above(items[l], items[best]) { best = l }
            if r < items.count && Self.above(items[r], items[best]) { best = r }
            if best == i { break }
            items.swapAt(i, best)
            i = best
        }
    }
}
