import Foundation

extension SentencePieceUnigramModel: SamplingModel {
    /// One lattice node: a candidate piece over normalized bytes `start..<end`.
    struct Node {
        var start: Int32
        var end: Int32
        var id: Int32
        var score: Double
    }

    /// All lattice nodes, in order of start position (the reference's `PopulateNodes`:
    /// user-defined pieces score `Float(0.1 × (chars − 1))`, an unknown node covers one
    /// character where no single-character piece exists).
    func lattice(_ p: UnsafePointer<UInt8>, _ n: Int) -> [Node] {
        let v = vocabulary
        var nodes: [Node] = []
        nodes.reserveCapacity(n * 2)
        let unkScore = Double(v.minScore - 10.0)
        var start = 0
        while start < n {
            let charLength = min(Self.oneCharLength(p[start]), n - start)
            var hasSingle = false
            v.matchable.forEachPrefix(of: p, from: start, to: n) { id, length in
                if v.isUnused[id] { return true }
                var score = Double(v.scores[id])
                if v.isUserDefined[id] {
                    var chars = 0
                    for k in start..<(start + length) where p[k] & 0xC0 != 0x80 { chars += 1 }
                    score = Double(Self.userDefinedScore(length: chars))
                }
                nodes.append(Node(start: Int32(start), end: Int32(start + length), id: Int32(id), score: score))
                if length == charLength { hasSingle = true }
                return true
            }
            if !hasSingle {
                nodes.append(Node(start: Int32(start), end: Int32(start + charLength), id: Int32(v.unknownID), score: unkScore))
            }
            start += charLength
        }
        return nodes
    }

    @inline(__always) static func logAdd(_ a: Double, _ b: Double) -> Double {
        if a == -.infinity { return b }
        if b == -.infinity { return a }
        let m = max(a, b)
        return m + log1p(exp(-abs(a - b)))
    }

    /// Samples a segmentation (see ``SamplingModel``).
    public func sample(_ normalized: UnsafeBufferPointer<UInt8>, alpha: Double, nbestSize: Int,
                       rng: inout SplitMixGenerator, into spans: inout [TokenSpan]) {
        let n = normalized.count
        guard n > 0, let p = normalized.baseAddress else { return }
        if nbestSize == 0 || nbestSize == 1 {
            segment(normalized, into: &spans)
            return
        }
        if nbestSize > 1 {
            let paths = nbest(normalized, size: nbestSize)
            guard !paths.isEmpty else { segment(normalized, into: &spans); return }
            let logits = paths.map { alpha * $0.score }
            let m = logits.max() ?? 0
            let weights = logits.map { exp($0 - m) }
            let total = weights.reduce(0, +)
            var r = rng.nextDouble() * total
            var chosen = paths.count - 1
            for (k, w) in weights.enumerated() { r -= w; if r < 0 { chosen = k; break } }
            spans.append(contentsOf: paths[chosen].spans)
            return
        }
        // Forward filtering, backward sampling over the full lattice.
        let nodes = lattice(p, n)
        var forward = [Double](repeating: -.infinity, count: n + 1)
        forward[0] = 0
        var headByEnd = [Int32](repeating: -1, count: n + 1)
        var nextByEnd = [Int32](repeating: -1, count: nodes.count)
        for (k, node) in nodes.enumerated() {
            let s = Int(node.start), e = Int(node.end)
            forward[e] = Self.logAdd(forward[e], forward[s] + alpha * node.score)
            nextByEnd[k] = headByEnd[e]; headByEnd[e] = Int32(k)
        }
        var picked: [TokenSpan] = []
        var e = n
        while e > 0 {
            // Choose among nodes ending at e with probability ∝ exp(forward[start] + θ·score).
            var k = headByEnd[e]
            var total = -Double.infinity
            while k >= 0 { let node = nodes[Int(k)]; total = Self.logAdd(total, forward[Int(node.start)] + alpha * node.score); k = nextByEnd[Int(k)] }
            var r = rng.nextDouble()
            k = headByEnd[e]
            var choice = k
            while k >= 0 {
                let node = nodes[Int(k)]
                r -= exp(forward[Int(node.start)] + alpha * node.score - total)
                choice = k
                if r < 0 { break }
                k = nextByEnd[Int(k)]
            }
            let node = nodes[Int(choice)]
            picked.append(TokenSpan(start: node.start, end: node.end, id: node.id))
            e = Int(node.start)
        }
        spans.append(contentsOf: picked.reversed())
    }

    /// The `size` best segmentations with their total scores, best first (exact k-best
    /// dynamic programming over the lattice).
    public func nbest(_ normalized: UnsafeBufferPointer<UInt8>, size: Int) -> [(spans: [TokenSpan], score: Double)] {
        let n = normalized.count
        guard n > 0, size > 0, let p = normalized.baseAddress else { return [] }
        let nodes = lattice(p, n)
        struct Entry { var score: Double; var node: Int32; var rank: Int32 }
        var best = [[Entry]](repeating: [], count: n + 1)
        best[0] = [Entry(score: 0, node: -1, rank: -1)]
        var headByEnd = [Int32](repeating: -1, count: n + 1)
        var nextByEnd = [Int32](repeating: -1, count: nodes.count)
        for (k, node) in nodes.enumerated().reversed() {
            nextByEnd[k] = headByEnd[Int(node.end)]; headByEnd[Int(node.end)] = Int32(k)
        }
        for e in 1...n {
            var candidates: [Entry] = []
            var k = headByEnd[e]
            while k >= 0 {
                let node = nodes[Int(k)]
                for (r, prev) in best[Int(node.start)].enumerated() {
                    candidates.append(Entry(score: prev.score + node.score, node: k, rank: Int32(r)))
                }
                k = nextByEnd[Int(k)]
            }
            // Stable: earlier nodes (shorter from the left) win ties, as in Viterbi.
            candidates.sort { $0.score > $1.score }
            best[e] = Array(candidates.prefix(size))
        }
        var result: [(spans: [TokenSpan], score: Double)] = []
        for entry in best[n] {
            var spans: [TokenSpan] = []
            var cur = entry
            var e = n
            while cur.node >= 0 {
                let node = nodes[Int(cur.node)]
                spans.append(TokenSpan(start: node.start, end: node.end, id: node.id))
                e = Int(node.start)
                cur = best[e][Int(cur.rank)]
            }
            result.append((spans.reversed(), entry.score))
        }
        return result
    }
}
