/// SentencePiece's BPE model: start from characters (user-defined symbols frozen whole),
/// repeatedly merge the adjacent pair whose concatenation is the highest-scoring piece
/// (leftmost on ties), then re-split pieces that are UNUSED.
public struct SentencePieceBPEModel: TokenModel {
    let vocabulary: SentencePieceVocabulary
    let userDefined: DoubleArrayTrie?

    /// Whether a merge can cross the start of a word only after a ``joiners`` character:
    /// the sentence can then be split before each `▁` that follows other text (except after
    /// a joiner), and words segmented (and cached) independently with identical results —
    /// merges on either side of a point no piece spans never meet, and BPE applies each
    /// side's merges in the order it would alone.
    let wordsAreIndependent: Bool
    /// The characters that some piece holds right before a `▁` (see ``WordCache/joiners(_:treatWhitespaceAsSuffix:)``).
    let joiners: [UInt32]

    /// A model over `vocabulary`; `userDefinedSymbols` are never split or merged.
    public init(vocabulary: SentencePieceVocabulary, userDefinedSymbols: [String], treatWhitespaceAsSuffix: Bool = false) {
        let symbols = Array(Set(userDefinedSymbols.map { Array($0.utf8) }.filter { !$0.isEmpty && !$0.contains(0) }))
        self.init(vocabulary: vocabulary, userDefinedTrie: symbols.isEmpty ? nil : try? DoubleArrayTrie(keys: symbols, values: symbols.map(\.count)),
                  treatWhitespaceAsSuffix: treatWhitespaceAsSuffix)
    }

    /// A model whose user-defined symbols are already indexed (keys: their UTF-8, values: their
    /// byte length), as ``SentencePieceNormalizer`` indexes the same symbols.
    init(vocabulary: SentencePieceVocabulary, userDefinedTrie: DoubleArrayTrie?, treatWhitespaceAsSuffix: Bool) {
        self.vocabulary = vocabulary
        userDefined = userDefinedTrie
        let joiners = WordCache.joiners(vocabulary, treatWhitespaceAsSuffix: treatWhitespaceAsSuffix)
        wordsAreIndependent = joiners != nil
        self.joiners = joiners ?? []
    }

    /// Segments word by word through `cache` when words are independent, else as one unit.
    func segmentCached(_ normalized: UnsafeBufferPointer<UInt8>, into spans: inout [TokenSpan], buffers: inout Buffers,
                       cache: inout WordCache) {
        guard wordsAreIndependent, let p = normalized.baseAddress else {
            segment(normalized, into: &spans, buffers: &buffers, dropout: nil)
            return
        }
        var words = WordCache.Words(p, normalized.count, joiners: joiners)
        while let (wordStart, wordEnd) = words.next() {
            let len = wordEnd - wordStart
            let word = p + wordStart
            let base = Int32(wordStart)
            if len <= WordCache.maxWordLength {
                let h = WordCache.hash(word, len)
                let (slot, record) = cache.find(word, len, h)
                if let record {
                    var ignored: Float = 0
                    cache.appendSpans(record, base: base, to: &spans, running: &ignored)
                    continue
                }
                let first = spans.count
                segment(UnsafeBufferPointer(start: word, count: len), into: &spans, buffers: &buffers, dropout: nil)
                for k in first..<spans.count { spans[k].start += base; spans[k].end += base }
                cache.insert(word, len, h, slot: slot, spans: spans[first...], offset: base)
            } else {
                let first = spans.count
                segment(UnsafeBufferPointer(start: word, count: len), into: &spans, buffers: &buffers, dropout: nil)
                for k in first..<spans.count { spans[k].start += base; spans[k].end += base }
            }
        }
    }

    /// A candidate merge of two adjacent symbols: higher scores first, then leftmost.
    struct Pair: MinHeapElement {
        var score: Float
        var left: Int32
        var right: Int32
        var size: Int32
        /// The piece the two make.
        var id: Int32

        @inline(__always) static func before(_ a: Pair, _ b: Pair) -> Bool {
            a.score > b.score || (a.score == b.score && a.left < b.left)
        }
    }

    /// Reusable per-thread buffers for the merge loop.
    public struct Buffers: Sendable {
        var start: [Int32] = []
        var length: [Int32] = []
        var prev: [Int32] = []
        var next: [Int32] = []
        var freeze: [Bool] = []
        /// Each symbol's piece id once a merge made it (-1: not looked up yet).
        var id: [Int32] = []
        var heap = MinHeap<Pair>()
        /// Empty buffers.
        public init() {}
    }

    /// Appends the BPE segmentation of `normalized` to `spans`.
    public func segment(_ normalized: UnsafeBufferPointer<UInt8>, into spans: inout [TokenSpan]) {
        var buffers = Buffers()
        segment(normalized, into: &spans, buffers: &buffers, dropout: nil)
    }

    /// Segments with BPE-dropout: each merge is skipped with probability `dropout.alpha`.
    func segment(_ normalized: UnsafeBufferPointer<UInt8>, into spans: inout [TokenSpan],
                 dropout: (alpha: Double, rng: UnsafeMutablePointer<SplitMixGenerator>)?) {
        var buffers = Buffers()
        segment(normalized, into: &spans, buffers: &buffers, dropout: dropout)
    }

    /// Appends the BPE segmentation of `normalized` to `spans`, reusing `buffers`.
    func segment(_ normalized: UnsafeBufferPointer<UInt8>, into spans: inout [TokenSpan], buffers b: inout Buffers,
                 dropout: (alpha: Double, rng: UnsafeMutablePointer<SplitMixGenerator>)?) {
        let n = normalized.count
        guard n > 0, let p = normalized.baseAddress else { return }
        let v = vocabulary
        // Symbols as (start, length) in a doubly linked list.
        b.start.removeAll(keepingCapacity: true); b.length.removeAll(keepingCapacity: true)
        b.prev.removeAll(keepingCapacity: true); b.next.removeAll(keepingCapacity: true)
        b.freeze.removeAll(keepingCapacity: true); b.heap.removeAll(keepingCapacity: true)
        b.id.removeAll(keepingCapacity: true)
        var i = 0
        while i < n {
            var len = 0
            var frozen = false
            if let userDefined, let m = userDefined.longestPrefix(of: p, from: i, to: n) {
                len = m.length; frozen = true
            } else {
                len = min(SentencePieceUnigramModel.oneCharLength(p[i]), n - i)
            }
            let index = Int32(b.start.count)
            b.start.append(Int32(i)); b.length.append(Int32(len)); b.freeze.append(frozen)
            b.prev.append(index - 1); b.id.append(-1)
            i += len
            b.next.append(i < n ? index + 1 : -1)
        }
        let hasUnused = v.hasUnused
        let symbolCount = b.start.count
        if dropout == nil && !hasUnused && symbolCount > 1 && symbolCount <= Self.linearLimit
            && segmentLinear(p, b, into: &spans) {
            return
        }
        var revMerge: [Int32: Int32] = [:]  // UNUSED piece id → length of its left part
        var heap = b.heap
        b.heap = MinHeap()
        defer { b.heap = heap }
        v.scores.withUnsafeBufferPointer { scores in
        b.start.withUnsafeMutableBufferPointer { start in
        b.length.withUnsafeMutableBufferPointer { length in
        b.prev.withUnsafeMutableBufferPointer { prev in
        b.next.withUnsafeMutableBufferPointer { next in
        b.freeze.withUnsafeBufferPointer { freeze in
        b.id.withUnsafeMutableBufferPointer { ids in
            let isUnused = v.isUnused
            // Adds the pair (l, r) when their concatenation is a piece.
            @inline(__always) func candidate(_ l: Int32, _ r: Int32) -> Pair? {
                if l < 0 || r < 0 || freeze[Int(l)] || freeze[Int(r)] { return nil }
                let s = Int(start[Int(l)])
                let e = s + Int(length[Int(l)]) + Int(length[Int(r)])
                guard let id = v.matchableID(p, s, e) else { return nil }
                if hasUnused && isUnused[id] { revMerge[Int32(id)] = length[Int(l)] }
                return Pair(score: scores[id], left: l, right: r, size: Int32(e - s), id: Int32(id))
            }
            if symbolCount > 1 {
                for k in 1..<symbolCount {
                    if let c = candidate(Int32(k - 1), Int32(k)) { heap.push(c) }
                }
            }
            while let top = heap.pop() {
                let l = Int(top.left), r = Int(top.right)
                // Pairs hold symbol indices: below the symbol count (the buffers' size).
                assert(l >= 0 && r >= 0 && l < symbolCount && r < symbolCount)
                if length[l] == 0 || length[r] == 0 || length[l] + length[r] != top.size { continue }
                if let dropout {
                    if dropout.alpha >= 1 { continue }
                    if dropout.alpha > 0 && dropout.rng.pointee.nextDouble() < dropout.alpha { continue }
                }
                length[l] += length[r]
                // The merged piece's id, found when the pair was proposed: the final pieces
                // need no second look-up (each one waits for memory in a large vocabulary).
                ids[l] = top.id
                next[l] = next[r]
                assert(next[r] < Int32(symbolCount))
                if next[r] >= 0 { prev[Int(next[r])] = Int32(l) }
                length[r] = 0
                if let c = candidate(prev[l], Int32(l)) { heap.push(c) }
                if let c = candidate(Int32(l), next[l]) { heap.push(c) }
            }
        }}}}}}}

        func resegment(_ s: Int, _ e: Int, known: Int32 = -1) {
            let id = known >= 0 ? Int(known) : v.id(p, s, e)
            if hasUnused && v.isUnused[id], let leftLength = revMerge[Int32(id)] {
                resegment(s, s + Int(leftLength))
                resegment(s + Int(leftLength), e)
                return
            }
            spans.append(TokenSpan(start: Int32(s), end: Int32(e), id: Int32(id)))
        }
        var k: Int32 = 0
        while k >= 0 && Int(k) < symbolCount {
            let s = Int(b.start[Int(k)])
            resegment(s, s + Int(b.length[Int(k)]), known: b.id[Int(k)])
            k = b.next[Int(k)]
        }
    }
}

extension SentencePieceBPEModel {
    /// Words of at most this many symbols are merged by ``segmentLinear(_:_:into:)``.
    static let linearLimit = 32

    /// The merges of ``segment(_:into:buffers:dropout:)`` (no dropout, no UNUSED pieces) over
    /// the few symbols in `b` (at least 2, at most ``linearLimit``): each adjacent pair is
    /// looked up once, when it forms, and the next merge is found by a scan — the highest
    /// score, leftmost on ties, which is the order the heap pops valid pairs in (a heap entry
    /// is valid exactly while its pair is adjacent and unchanged, and positions keep the
    /// symbols' order). For a short word cheaper than the heap. Appends the pieces and returns
    /// true; false, with nothing appended, when a score is not a number (the heap's order is
    /// then the reference's, not a scan's).
    func segmentLinear(_ p: UnsafePointer<UInt8>, _ b: borrowing Buffers, into spans: inout [TokenSpan]) -> Bool {
        let v = vocabulary
        let limit = Self.linearLimit
        var count = b.start.count
        assert(count > 1 && count <= limit && b.length.count == count && b.freeze.count == count)
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: 5 * limit) { w -> Bool in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: limit) { pairScore -> Bool in
                // Symbols k < count: start, length, frozen (0/1), piece id (-1: not looked up);
                // pair k < count - 1 (symbols k and k + 1): the piece it makes (-1: none) and its score.
                guard let base = w.baseAddress, let pairScore = pairScore.baseAddress else { return false }
                let start = base, length = base + limit, frozen = base + 2 * limit, id = base + 3 * limit, pairID = base + 4 * limit
                for k in 0..<count {
                    start[k] = b.start[k]; length[k] = b.length[k]; frozen[k] = b.freeze[k] ? 1 : 0; id[k] = -1
                }
                var sawNaN = false
                v.scores.withUnsafeBufferPointer { scores in
                    // Proposes pair k; true when its score is not a number. `count` is passed
                    // and the flag returned, not captured: a captured variable is boxed on the heap.
                    @inline(__always) func propose(_ k: Int, _ count: Int) -> Bool {
                        assert(k + 1 < count && count <= limit)
                        pairID[k] = -1
                        if frozen[k] != 0 || frozen[k + 1] != 0 { return false }
                        let s = Int(start[k])
                        guard let piece = v.matchableID(p, s, s + Int(length[k]) + Int(length[k + 1])) else { return false }
                        pairID[k] = Int32(piece)
                        pairScore[k] = scores[piece]
                        return pairScore[k].isNaN
                    }
                    for k in 0..<(count - 1) where propose(k, count) { sawNaN = true }
                    while count > 1 && !sawNaN {
                        var best = -1
                        var bestScore: Float = 0
                        for k in 0..<(count - 1) where pairID[k] >= 0 && (best < 0 || pairScore[k] > bestScore) {
                            best = k; bestScore = pairScore[k]
                        }
                        if best < 0 { break }
                        // Symbol best absorbs best + 1; the symbols and pairs after it move down one.
                        length[best] += length[best + 1]
                        id[best] = pairID[best]
                        var k = best + 1
                        while k < count - 1 {
                            assert(k + 1 < limit)
                            start[k] = start[k + 1]; length[k] = length[k + 1]; frozen[k] = frozen[k + 1]; id[k] = id[k + 1]
                            if k < count - 2 { pairID[k] = pairID[k + 1]; pairScore[k] = pairScore[k + 1] }
                            k += 1
                        }
                        count -= 1
                        // The new pairs in the heap version's order: on the left, then on the right.
                        if best > 0 && propose(best - 1, count) { sawNaN = true }
                        if best + 1 < count && propose(best, count) { sawNaN = true }
                    }
                }
                if sawNaN { return false }
                for k in 0..<count {
                    let s = Int(start[k]), e = s + Int(length[k])
                    let piece = id[k] >= 0 ? Int(id[k]) : v.id(p, s, e)
                    spans.append(TokenSpan(start: Int32(s), end: Int32(e), id: Int32(piece)))
                }
                return true
            }
        }
    }
}

/// A small, fast, seedable generator (SplitMix64) for subword regularization.
public struct SplitMixGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    /// Seeds the generator.
    public init(seed: UInt64) { state = seed }
    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A uniform double in [0, 1).
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
