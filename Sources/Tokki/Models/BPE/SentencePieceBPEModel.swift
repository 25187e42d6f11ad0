/// SentencePiece's BPE model: start from characters (user-defined symbols frozen whole),
/// repeatedly merge the adjacent pair whose concatenation is the highest-scoring piece
/// (leftmost on ties), then re-split pieces that are UNUSED.
public struct SentencePieceBPEModel: TokenModel {
    let vocabulary: SentencePieceVocabulary
    let userDefined: DoubleArrayTrie?

    /// The BPE model over `vocabulary`; `userDefinedSymbols` are never split or merged.
    public init(vocabulary: SentencePieceVocabulary, userDefinedSymbols: [String]) {
        self.vocabulary = vocabulary
        let symbols = Array(Set(userDefinedSymbols.map { Array($0.utf8) }.filter { !$0.isEmpty && !$0.contains(0) }))
        userDefined = symbols.isEmpty ? nil : try? DoubleArrayTrie(keys: symbols, values: symbols.map(\.count))
    }

    struct Pair {
        var score: Float
        var left: Int32
        var right: Int32
        var size: Int32
    }

    /// A binary max-heap ordered by score, then by smaller left index.
    struct Agenda {
        var heap: [Pair] = []
        @inline(__always) static func before(_ a: Pair, _ b: Pair) -> Bool {
            a.score > b.score || (a.score == b.score && a.left < b.left)
        }
        mutating func push(_ p: Pair) {
            heap.append(p)
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) >> 1
                if Self.before(heap[i], heap[parent]) { heap.swapAt(i, parent); i = parent } else { break }
            }
        }
        mutating func pop() -> Pair? {
            guard let top = heap.first else { return nil }
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var i = 0
                let n = heap.count
                while true {
                    let l = 2 * i + 1, r = l + 1
                    var m = i
                    if l < n && Self.before(heap[l], heap[m]) { m = l }
                    if r < n && Self.before(heap[r], heap[m]) { m = r }
                    if m == i { break }
                    heap.swapAt(i, m); i = m
                }
            }
            return top
        }
    }

    /// Appends the BPE segmentation of `normalized` to `spans`.
    public func segment(_ normalized: UnsafeBufferPointer<UInt8>, into spans: inout [TokenSpan]) {
        segment(normalized, into: &spans, dropout: nil)
    }

    /// Segments with BPE-dropout: each merge is skipped with probability `dropout.alpha`.
    func segment(_ normalized: UnsafeBufferPointer<UInt8>, into spans: inout [TokenSpan],
                 dropout: (alpha: Double, rng: UnsafeMutablePointer<SplitMixGenerator>)?) {
        let n = normalized.count
        guard n > 0, let p = normalized.baseAddress else { return }
        let v = vocabulary
        // Symbols as (start, length) with a doubly linked list.
        var start: [Int32] = [], length: [Int32] = [], prev: [Int32] = [], next: [Int32] = [], freeze: [Bool] = []
        start.reserveCapacity(n); length.reserveCapacity(n); prev.reserveCapacity(n); next.reserveCapacity(n); freeze.reserveCapacity(n)
        var i = 0
        while i < n {
            var len = 0
            var frozen = false
            if let userDefined, let m = userDefined.longestPrefix(of: p, from: i, to: n) {
                len = m.length; frozen = true
            } else {
                len = min(UnigramModel.oneCharLength(p[i]), n - i)
            }
            let index = Int32(start.count)
            start.append(Int32(i)); length.append(Int32(len)); freeze.append(frozen)
            prev.append(index - 1)
            i += len
            next.append(i < n ? index + 1 : -1)
        }
        var agenda = Agenda()
        agenda.heap.reserveCapacity(start.count * 2)
        var revMerge: [Int32: Int32] = [:]  // UNUSED piece id → length of its left part

        func addPair(_ l: Int32, _ r: Int32) {
            if l < 0 || r < 0 || freeze[Int(l)] || freeze[Int(r)] { return }
            let s = Int(start[Int(l)])
            let e = s + Int(length[Int(l)]) + Int(length[Int(r)])
            guard let id = v.exact(v.matchable, p, s, e) else { return }
            agenda.push(Pair(score: v.scores[id], left: l, right: r, size: Int32(e - s)))
            if v.isUnused[id] { revMerge[Int32(id)] = length[Int(l)] }
        }
        for k in 1..<start.count { addPair(Int32(k - 1), Int32(k)) }

        while let top = agenda.pop() {
            let l = Int(top.left), r = Int(top.right)
            if length[l] == 0 || length[r] == 0 || length[l] + length[r] != top.size { continue }
            if let dropout {
                if dropout.alpha >= 1 { continue }
                if dropout.alpha > 0 && dropout.rng.pointee.nextDouble() < dropout.alpha { continue }
            }
            length[l] += length[r]
            next[l] = next[r]
            if next[r] >= 0 { prev[Int(next[r])] = Int32(l) }
            length[r] = 0
            addPair(prev[l], Int32(l))
            addPair(Int32(l), next[l])
        }

        func resegment(_ s: Int, _ e: Int) {
            let id = v.id(p, s, e)
            if v.isUnused[id], let leftLength = revMerge[Int32(id)] {
                resegment(s, s + Int(leftLength))
                resegment(s + Int(leftLength), e)
                return
            }
            spans.append(TokenSpan(start: Int32(s), end: Int32(e), id: Int32(id)))
        }
        var k: Int32 = 0
        while k >= 0 && Int(k) < start.count {
            let s = Int(start[Int(k)])
            resegment(s, s + Int(length[Int(k)]))
            k = next[Int(k)]
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
