/// SentencePiece's unigram model: the highest-scoring segmentation (Viterbi) over the
/// normalized bytes, exactly as the reference's optimized encoder computes it, float
/// rounding included.
///
/// The rule, from sentencepiece 0.2.3's `unigram::Model::EncodeOptimized` (what
/// `Model::Encode` runs; `Lattice::Viterbi` is used only for n-best and sampling), which
/// decides every tie and near-tie:
/// - one best path per end byte position; start positions are visited left to right, one
///   UTF-8 character at a time, and from each start the trie yields pieces shortest first;
/// - a candidate's path score is `score + best[start]`, summed in single precision
///   (`Float`), and it replaces the best path ending at its end only if strictly greater —
///   so of equal scores the first candidate stays: the one from the earliest start, i.e.
///   with the longest last piece;
/// - scores: a normal piece its own score; a user-defined piece `Float(0.1 * (bytes - 1))`;
///   an unknown character (no one-character piece starts there) `minScore - 10`;
/// - renormalization: when the best score at a start position lies outside ±100,000, that
///   score is subtracted (in `Float`) from the best score of every position from that start
///   up to the furthest end reached so far, and the paths go on from 0 — so the rounding of
///   later sums, hence which of two equal paths wins, depends on where these resets fall.
public struct SentencePieceUnigramModel: TokenModel {
    let vocabulary: SentencePieceVocabulary

    /// Whether words can be segmented independently (see ``segmentCached``), split at every
    /// word start except after a ``joiners`` character.
    let wordsAreIndependent: Bool
    /// The characters that some piece holds right before a `▁` (see ``WordCache/joiners(_:treatWhitespaceAsSuffix:)``).
    let joiners: [UInt32]

    /// The unigram model over `vocabulary`.
    public init(vocabulary: SentencePieceVocabulary, treatWhitespaceAsSuffix: Bool = false) {
        self.vocabulary = vocabulary
        let joiners = WordCache.joiners(vocabulary, treatWhitespaceAsSuffix: treatWhitespaceAsSuffix)
        wordsAreIndependent = joiners != nil
        self.joiners = joiners ?? []
    }

    /// Viterbi word by word, reusing cached words when that provably changes nothing.
    ///
    /// When no piece spans a word start (one that follows a joiner is not a split point), every path passes through each word start, so the
    /// reference's Viterbi decomposes into words — except that it accumulates path scores in
    /// single precision from the sentence start, so near-ties may round differently at a
    /// different starting score. A cached word is therefore reused only when its closest
    /// decision's gap exceeds the rounding error possible at the current running score;
    /// otherwise the word is recomputed from the exact running score (replayed in float,
    /// in the reference's order), which is what the reference computes.
    ///
    /// `running` is the reference's accumulated path score before `normalized` (0 at the
    /// start of a sentence); it is updated to the score at its end.
    func segmentCached(_ normalized: UnsafeBufferPointer<UInt8>, into spans: inout [TokenSpan], buffers: inout Buffers,
                       cache: inout WordCache, running: inout Float) {
        guard wordsAreIndependent, let p = normalized.baseAddress else {
            var stats = DecisionStats()
            running = segment(normalized, initialScore: running, positionBase: 0, into: &spans, buffers: &buffers, stats: &stats, track: false)
            return
        }
        var words = WordCache.Words(p, normalized.count, joiners: joiners)
        while let (wordStart, wordEnd) = words.next() {
            // A reset due at the word start: no path reaches beyond it yet.
            running = Self.renormalized(running)
            let len = wordEnd - wordStart
            let word = UnsafeBufferPointer(start: p + wordStart, count: len)
            let base = Int32(wordStart)
            var stats = DecisionStats()
            guard len <= WordCache.maxWordLength else {
                running = segment(word, initialScore: running, positionBase: base, into: &spans, buffers: &buffers, stats: &stats, track: false)
                continue
            }
            let h = WordCache.hash(p + wordStart, len)
            let (slot, record) = cache.find(p + wordStart, len, h)
            if let record {
                let (gap, deviation) = cache.gapAndDeviation(record)
                if Self.replayIsExact(gap: gap, deviation: deviation, running: running, length: len) {
                    cache.appendSpans(record, base: base, to: &spans, running: &running)
                    continue
                }
                running = segment(word, initialScore: running, positionBase: base, into: &spans, buffers: &buffers, stats: &stats, track: false)
                continue
            }
            let first = spans.count
            guard let (gap, deviation) = segmentTracked(word, positionBase: base, running: &running, into: &spans, buffers: &buffers)
            else { continue }
            cache.insert(p + wordStart, len, h, slot: slot, spans: spans[first...], offset: base, gap: gap, deviation: deviation,
                         score: { pathScore($0) })
        }
    }

    /// Viterbi over one word from path score `running` (updated), appending its spans
    /// shifted by `positionBase`; returns what a cache needs to replay it safely: a lower
    /// bound on its closest decision's exact gap (the measured gap minus this run's rounding
    /// error) and its largest path-score excursion — or nil when the scores were
    /// renormalized inside the word (such a run is not replayable).
    func segmentTracked(_ word: UnsafeBufferPointer<UInt8>, positionBase: Int32 = 0, running: inout Float,
                        into spans: inout [TokenSpan], buffers: inout Buffers) -> (gap: Float, deviation: Float)? {
        var stats = DecisionStats()
        let start = Self.renormalized(running)
        running = segment(word, initialScore: start, positionBase: positionBase, into: &spans, buffers: &buffers, stats: &stats, track: true)
        if stats.renormalized { return nil }
        let measuredMagnitude = abs(start) + stats.maxDeviation
        let exactGap = stats.minGap - 2 * Float(word.count) * measuredMagnitude.ulp
        return (exactGap.isFinite ? exactGap : .greatestFiniteMagnitude, stats.maxDeviation)
    }

    /// Whether replaying a cached word of `length` normalized bytes from path score `running`
    /// (already ``renormalized(_:)``) gives the reference's decisions: its closest decision
    /// `gap` exceeds the rounding error possible at that score (`deviation`: the word's
    /// largest path-score excursion), and no path score inside the word can pass the
    /// renormalization threshold (the replay adds the path's scores only).
    @inline(__always)
    static func replayIsExact(gap: Float, deviation: Float, running: Float, length: Int) -> Bool {
        let magnitude = abs(running) + deviation
        let error = 2 * Float(length) * magnitude.ulp
        return gap > error && magnitude + 2 * error <= scoreResetThreshold
    }

    /// The reference's renormalization threshold (`kScoreResetThreshold`).
    static let scoreResetThreshold: Float = 100_000

    /// The path score the reference goes on from at a start position whose best score is
    /// `score`: 0 once it lies outside ±``scoreResetThreshold``.
    @inline(__always)
    static func renormalized(_ score: Float) -> Float {
        score < -scoreResetThreshold || score > scoreResetThreshold ? 0 : score
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
        var stats = DecisionStats()
        _ = segment(normalized, initialScore: 0, positionBase: 0, into: &spans, buffers: &buffers, stats: &stats, track: false)
    }

    /// How close the Viterbi decisions of one run were: the smallest gap between two
    /// compared path scores, and the largest distance of any path score from the start.
    struct DecisionStats {
        var minGap: Float = .infinity
        var maxDeviation: Float = 0
        /// Whether the scores were renormalized after the first position.
        var renormalized = false
    }

    /// Viterbi over `normalized`, starting from path score `initialScore` (the reference's
    /// accumulated score at this position, with no path reaching beyond it), appending spans
    /// shifted by `positionBase`. Returns the path score at the end.
    func segment(_ normalized: UnsafeBufferPointer<UInt8>, initialScore: Float, positionBase: Int32,
                 into spans: inout [TokenSpan], buffers: inout Buffers, stats: inout DecisionStats, track: Bool) -> Float {
        let n = normalized.count
        guard n > 0, let p = normalized.baseAddress else { return initialScore }
        let initialScore = Self.renormalized(initialScore)
        var minGap = Float.infinity, maxDeviation: Float = 0
        var renormalizedInside = false
        var final: Float = initialScore
        let v = vocabulary
        let unkScore: Float = v.minScore - 10.0
        let unkID = Int32(v.unknownID)
        let hasUnused = v.hasUnused
        // Best path ending at each byte position.
        if buffers.best.count < n + 1 {
            buffers.best = [Float](repeating: 0, count: n + 1)
            buffers.from = [Int32](repeating: -1, count: n + 1)
            buffers.ids = [Int32](repeating: -1, count: n + 1)
        } else {
            buffers.best.withUnsafeMutableBufferPointer { $0.baseAddress!.update(repeating: 0, count: n + 1) }
            buffers.from.withUnsafeMutableBufferPointer { $0.baseAddress!.update(repeating: -1, count: n + 1) }
        }
        buffers.best[0] = initialScore
        v.viterbiScores.withUnsafeBufferPointer { viterbiScores in
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
            var frontier = 0  // the furthest end reached so far
            while start < n {
                var tillHere = best[start]
                if start > 0 && Self.renormalized(tillHere) != tillHere {
                    // The reference's renormalization (see the type's documentation).
                    for i in start...frontier where from[i] != -1 { best[i] = best[i] - tillHere }
                    tillHere = 0
                    renormalizedInside = true
                }
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
                    // One look-up for a NORMAL piece; the others are NaN there.
                    var score = viterbiScores[id]
                    if score.isNaN {
                        if hasUnused && unused[id] { continue }
                        score = userDefined[id] ? Self.userDefinedScore(length: k - start) : scores[id]
                    }
                    let length = k - start
                    if k > frontier { frontier = k }
                    // Summed and compared in Float; strictly greater replaces (see the type).
                    let candidate = score + tillHere
                    if track {
                        maxDeviation = max(maxDeviation, abs(candidate - initialScore))
                        if from[k] != -1 { minGap = min(minGap, abs(candidate - best[k])) }
                    }
                    if from[k] == -1 || candidate > best[k] {
                        best[k] = candidate; from[k] = Int32(start); ids[k] = Int32(id)
                    }
                    if length == charLength { hasSingle = true }
                }
                if !hasSingle {
                    let end = start + charLength
                    if end > frontier { frontier = end }
                    let candidate = unkScore + tillHere
                    if track {
                        maxDeviation = max(maxDeviation, abs(candidate - initialScore))
                        if from[end] != -1 { minGap = min(minGap, abs(candidate - best[end])) }
                    }
                    if from[end] == -1 || candidate > best[end] {
                        best[end] = candidate; from[end] = Int32(start); ids[end] = unkID
                    }
                }
                start += charLength
            }
            // Backtrack.
            final = best[n]
            let first = spans.count
            var end = n
            while end > 0 {
                let s = Int(from[end])
                spans.append(TokenSpan(start: Int32(s) + positionBase, end: Int32(end) + positionBase, id: ids[end]))
                end = s
            }
            spans[first...].reverse()
        }}}}}}}}
        if track {
            stats.minGap = min(stats.minGap, minGap)
            stats.maxDeviation = max(stats.maxDeviation, maxDeviation)
        }
        if renormalizedInside { stats.renormalized = true }
        return final
    }

    /// The reference's score of a user-defined piece of `length` bytes (0.2.x
    /// `GetUserDefinedScore`: longer matches win).
    @inline(__always)
    static func userDefinedScore(length: Int) -> Float { Float(0.1 * Double(length - 1)) }

    /// The score the reference adds for one chosen segment (for replaying path scores).
    @inline(__always)
    func pathScore(_ span: TokenSpan) -> Float {
        let v = vocabulary
        let id = Int(span.id)
        if id == v.unknownID && v.types[id] == .unknown { return v.minScore - 10.0 }
        if v.isUserDefined[id] { return Self.userDefinedScore(length: Int(span.end - span.start)) }
        return v.scores[id]
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
