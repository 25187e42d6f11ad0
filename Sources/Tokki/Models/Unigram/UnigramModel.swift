/// SentencePiece's unigram model: the highest-scoring segmentation (Viterbi) over the
/// normalized bytes, exactly as the reference's optimized encoder computes it, float
/// rounding included.
public struct UnigramModel: TokenModel {
    let vocabulary: SentencePieceVocabulary

    /// The unigram model over `vocabulary`.
    public init(vocabulary: SentencePieceVocabulary) {
        self.vocabulary = vocabulary
    }

    /// Reusable per-thread buffers for ``segment(_:into:buffers:)``.
    public struct Buffers: Sendable {
        var best: [Float] = []
        var from: [Int32] = []
        var ids: [Int32] = []
        /// Empty buffers.
        public init() {}
    }

    /// Appends the best segmentation of `normalized` to `spans`.
    public func segment(_ normalized: UnsafeBufferPointer<UInt8>, into spans: inout [TokenSpan]) {
        var buffers = Buffers()
        segment(normalized, into: &spans, buffers: &buffers)
    }

    /// Appends the best segmentation of `normalized` to `spans`, reusing `buffers`.
    public func segment(_ normalized: UnsafeBufferPointer<UInt8>, into spans: inout [TokenSpan], buffers: inout Buffers) {
        let n = normalized.count
        guard n > 0, let p = normalized.baseAddress else { return }
        let v = vocabulary
        let unkScore: Float = v.minScore - 10.0
        let maxScore = v.maxScore
        let unkID = Int32(v.unknownID)
        // Best path ending at each byte position.
        if buffers.best.count < n + 1 {
            buffers.best = [Float](repeating: 0, count: n + 1)
            buffers.from = [Int32](repeating: -1, count: n + 1)
            buffers.ids = [Int32](repeating: -1, count: n + 1)
        } else {
            buffers.best.withUnsafeMutableBufferPointer { $0.baseAddress!.update(repeating: 0, count: n + 1) }
            buffers.from.withUnsafeMutableBufferPointer { $0.baseAddress!.update(repeating: -1, count: n + 1) }
        }
        v.scores.withUnsafeBufferPointer { scores in
        v.isUserDefined.withUnsafeBufferPointer { userDefined in
        v.isUnused.withUnsafeBufferPointer { unused in
        v.matchable.units.withUnsafeBufferPointer { units in
        buffers.best.withUnsafeMutableBufferPointer { best in
        buffers.from.withUnsafeMutableBufferPointer { from in
        buffers.ids.withUnsafeMutableBufferPointer { ids in
            let unitCount = units.count
            let rootOffset = unitCount > 0 ? DoubleArrayTrie.offset(units[0]) : 0
            var start = 0
            while start < n {
                let tillHere = best[start]
                let charLength = min(Self.oneCharLength(p[start]), n - start)
                var hasSingle = false
                // Walk the vocabulary trie from `start`; every key ending on the way is a node.
                var pos = rootOffset
                var k = start
                while k < n && unitCount > 0 {
                    let c = p[k]
                    pos ^= Int(c)
                    if pos >= unitCount { break }
                    let unit = units[pos]
                    if DoubleArrayTrie.label(unit) != UInt32(c) { break }
                    pos ^= DoubleArrayTrie.offset(unit)
                    k += 1
                    guard DoubleArrayTrie.hasLeaf(unit), pos < unitCount else { continue }
                    let id = DoubleArrayTrie.value(units[pos])
                    if unused[id] { continue }
                    let length = k - start
                    // Path scores are summed and compared in single precision: the released
                    // reference (0.2.x wheels) breaks exact ties that way (checked against
                    // its output on ",000"-style inputs, where double sums pick differently).
                    let score: Float = userDefined[id] ? Float(Double(Float(length) * maxScore) - 0.1) : scores[id]
                    let candidate = score + tillHere
                    if from[k] == -1 || candidate > best[k] {
                        best[k] = candidate; from[k] = Int32(start); ids[k] = Int32(id)
                    }
                    if length == charLength { hasSingle = true }
                }
                if !hasSingle {
                    let end = start + charLength
                    let candidate = unkScore + tillHere
                    if from[end] == -1 || candidate > best[end] {
                        best[end] = candidate; from[end] = Int32(start); ids[end] = unkID
                    }
                }
                start += charLength
            }
            // Backtrack.
            let first = spans.count
            var end = n
            while end > 0 {
                let s = Int(from[end])
                spans.append(TokenSpan(start: Int32(s), end: Int32(end), id: ids[end]))
                end = s
            }
            spans[first...].reverse()
        }}}}}}}
    }

    /// UTF-8 sequence length from the lead byte (SentencePiece's `OneCharLen`).
    @inline(__always)
    static func oneCharLength(_ b: UInt8) -> Int {
        switch b >> 4 {
        case 0xC, 0xD: return 2
        case 0xE: return 3
        case 0xF: return 4
        default: return 1
        }
    }
}
