import Foundation
import Tokki

/// Trains a SentencePiece Unigram model: seed pieces from the repeated substrings of the
/// `▁`-words that are followed by different bytes (score frequency × length), then EM
/// (expected counts by forward–backward, a Bayesian M-step with the digamma function, pieces
/// expected less than 0.5 times dropped) alternating with pruning (pieces in no best
/// segmentation dropped, then the likelihood lost when a piece is removed), until the
/// vocabulary fits. Required characters are always in the vocabulary.
public struct UnigramTrainer: Sendable {
    /// The Unigram-only options, with SentencePiece's defaults (the shared ones are a
    /// ``TrainerConfiguration``).
    public struct Options: Sendable, Equatable {
        /// How many seed pieces to start from.
        public var seedSize = 1_000_000
        /// Each pruning keeps at least this share of the pieces.
        public var shrinkingFactor = 0.75
        /// EM rounds between prunings.
        public var subIterations = 2

        /// The defaults.
        public init() {}
    }

    /// The options shared with the other SentencePiece-style trainers.
    public let configuration: TrainerConfiguration
    /// The Unigram-only options.
    public let options: Options

    /// Creates a trainer.
    public init(_ configuration: TrainerConfiguration = TrainerConfiguration(), options: Options = Options()) {
        self.configuration = configuration
        self.options = options
    }

    /// Trains on a corpus.
    public func train(_ corpus: CorpusOptions, progress: (@Sendable (String, Double) -> Void)? = nil)
        throws(TrainingError) -> (model: SentencePieceModel, statistics: CorpusStatistics) {
        let c = configuration
        guard options.shrinkingFactor > 0, options.shrinkingFactor < 1, options.subIterations > 0 else {
            throw .invalidConfiguration("shrinking factor must be in (0, 1) and sub-iterations positive")
        }
        var (counts, stats, settings) = try WordCounter.words(of: corpus, c, progress: progress)
        let meta = try c.metaPieces()
        let (required, _, _) = try c.requiredCharacters(counts, meta: meta)
        var words = counts.sorted()
        counts = WordCounts()   // the table is not needed past here (peak memory)
        let minimum = meta.count + required.count
        guard c.vocabularySize >= minimum else { throw .vocabularyTooSmall(requested: c.vocabularySize, minimum: minimum) }
        let wantPieces = c.vocabularySize - meta.count

        let freqs = words.map { Double($0.count) }
        let requiredSet = Set(required.map(\.0))
        progress?("seeding", 0)
        let seeds = Self.seeds(words, required: required, configuration: c, options: options)
        let total = seeds.reduce(0) { $0 + $1.score }
        // Every piece there will ever be is a seed: their texts are kept once, by seed number,
        // and indexed once; the working list holds only scores and seed numbers.
        let texts = seeds.map(\.piece)
        var pieces: [Piece] = seeds.enumerated().map { (score: log($0.element.score) - log(total), id: $0.offset) }
        let index = try PieceIndex(texts)
        let corpusWords = LatticeWords(words.map(\.word))
        words = []
        // Edges are found once (at most 8M of them, 64 MB), then filtered each round.
        let cache = EdgeCache.build(Lattice(index: index, pieces: pieces), corpusWords, threads: c.threads, budget: 8 << 20)

        // EM and pruning.
        let desired = Int(Double(wantPieces) * 1.1)
        var round = 0
        while true {
            for _ in 0..<options.subIterations {
                let lattice = Lattice(index: index, pieces: pieces, cache: cache)
                let expected = lattice.expectedCounts(corpusWords, freqs, threads: c.threads)
                pieces = Self.mStep(pieces, texts, expected, requiredSet)
            }
            round += 1
            progress?("EM", Double(round))
            // Pruned after every EM round, the last one included, so that no piece outside
            // every best segmentation reaches the vocabulary (as SentencePiece).
            pieces = Self.prune(pieces, texts, index: index, cache: cache, words: corpusWords, freqs: freqs,
                                keepAtLeast: max(desired, Int(Double(pieces.count) * options.shrinkingFactor)), threads: c.threads)
            if pieces.count <= desired { break }
        }
        // Final: every required character first (with its score, or below all when EM
        // dropped it), then the best-scoring pieces.
        let minScore = pieces.map(\.score).min() ?? 0
        var chosen: [(piece: [UInt32], score: Double)] = []
        var seen = Set<[UInt32]>()
        var singleScore: [UInt32: Double] = [:]
        for p in pieces where texts[p.id].count == 1 { singleScore[texts[p.id][0]] = p.score }
        for (ch, _) in required {
            chosen.append(([ch], singleScore[ch] ?? minScore - 10)); seen.insert([ch])
        }
        for p in pieces.sorted(by: { $0.score != $1.score ? $0.score > $1.score : texts[$0.id].lexicographicallyPrecedes(texts[$1.id]) })
        where chosen.count < wantPieces && !seen.contains(texts[p.id]) {
            chosen.append((texts[p.id], p.score)); seen.insert(texts[p.id])
        }
        if chosen.count < wantPieces {
            throw .vocabularyTooLarge(requested: c.vocabularySize, maximum: meta.count + chosen.count)
        }
        chosen.sort { $0.score != $1.score ? $0.score > $1.score : $0.piece.lexicographicallyPrecedes($1.piece) }
        let metaTexts = Set(meta.map(\.piece))
        var all = meta
        for p in chosen where !metaTexts.contains(PieceText.string(p.piece)) {
            all.append(.init(piece: PieceText.string(p.piece), score: Float(p.score), type: .normal))
        }
        return (try c.model(all, type: .unigram, normalizer: settings, corpus: corpus), stats)
    }

    /// Seeds: substrings of 2…max characters (of required characters only) seen at least
    /// twice, scored frequency × length, the best `seedSize` of them; then the required
    /// characters. Its working tables are freed on return.
    static func seeds(_ words: [(word: [UInt8], count: Int64)], required: [(UInt32, Int64)],
                      configuration c: TrainerConfiguration, options: Options) -> [(piece: [UInt32], score: Double)] {
        let wordScalars = words.map { PieceText.scalars(of: $0.word) }
        let requiredSet = Set(required.map(\.0))
        var requiredBMP = [Bool](repeating: false, count: 0x10000)
        for (ch, _) in required where ch < 0x10000 { requiredBMP[Int(ch)] = true }
        let isRequired: @Sendable (UInt32) -> Bool = { [requiredBMP] ch in ch < 0x10000 ? requiredBMP[Int(ch)] : requiredSet.contains(ch) }

        // Seeds: substrings of 2…max characters seen at least twice whose occurrences are
        // followed by different bytes (a word's end counts as the `▁` of the next word):
        // SentencePiece's seeds are the nodes of the byte suffix tree of its sentences, so a
        // substring always followed by the same byte is left to its longer form. Scored
        // frequency × length. Each thread counts its share of the substrings (no merging).
        let workers = max(1, min(c.threads, words.count / 1024 + 1))
        var shares = [(counts: WordCounts, follower: [UInt16])](repeating: (WordCounts(), []), count: workers)
        let maxLength = c.maxPieceLength
        shares.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Parallelism.run(tasks: workers) { t in
                var local = WordCounts()
                // Per substring: the byte after its first occurrence, or `branching`.
                var follower: [UInt16] = []
                let branching: UInt16 = 0x100
                var offsets: [Int] = []
                for (w, chars) in wordScalars.enumerated() {
                    let n = chars.count
                    guard n >= 2 else { continue }
                    offsets.removeAll(keepingCapacity: true)
                    offsets.append(0)
                    for ch in chars { offsets.append(offsets[offsets.count - 1] + (Unicode.Scalar(ch)?.utf8.count ?? 0)) }
                    let count = words[w].count
                    words[w].word.withUnsafeBufferPointer { b in
                        guard let base = b.baseAddress else { return }
                        // A thread takes the substrings whose first two characters fall in its share.
                        for i in 0..<(n - 1) where isRequired(chars[i]) {
                            let share = (UInt64(chars[i]) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(chars[i + 1])) &* 0xBF58_476D_1CE4_E5B9
                            guard Int((share >> 32) % UInt64(workers)) == t else { continue }
                            var j = i + 1
                            while j < n && j - i < maxLength && isRequired(chars[j]) {
                                j += 1
                                let k = local.add(base + offsets[i], offsets[j] - offsets[i], count)
                                // 0xE2: the first byte of the `▁` that follows a word.
                                let next = UInt16(j < n ? base[offsets[j]] : 0xE2)
                                if k == follower.count { follower.append(next) } else if follower[k] != next { follower[k] = branching }
                            }
                        }
                    }
                }
                assert(t < out.count)  // one slot per worker
                out[t] = (local, follower)
            }
        }
        var seeds: [(piece: [UInt32], score: Double)] = []
        let classes = CharacterClasses(required.map(\.0))
        for t in shares.indices {
            let (substrings, follower) = shares[t]
            shares[t] = (WordCounts(), [])   // each table is freed once read (peak memory)
            for k in 0..<substrings.counts.count where substrings.counts[k] >= 2 && follower[k] == 0x100 {
                let scalars = PieceText.scalars(of: Array(substrings.word(k)))
                guard PieceRule.isValid(scalars, c, classes) else { continue }
                seeds.append((scalars, Double(substrings.counts[k]) * Double(scalars.count)))
            }
        }
        seeds.sort { $0.score != $1.score ? $0.score > $1.score : $0.piece.lexicographicallyPrecedes($1.piece) }
        if seeds.count > options.seedSize { seeds.removeLast(seeds.count - options.seedSize) }
        for (ch, n) in required { seeds.append(([ch], Double(n))) }
        return seeds
    }

    /// A piece under training: its characters, log probability, and index (its seed number).
    typealias Piece = (score: Double, id: Int)

    /// The M-step: drop pieces expected less than 0.5 times (required characters stay), and
    /// score the rest by digamma(expected) − digamma(total).
    static func mStep(_ pieces: [Piece], _ texts: [[UInt32]], _ expected: [Double], _ required: Set<UInt32>) -> [Piece] {
        var kept: [(count: Double, id: Int)] = []
        for (k, p) in pieces.enumerated() {
            let text = texts[p.id]
            let isRequired = text.count == 1 && required.contains(text[0])
            if expected[k] < 0.5 && !isRequired { continue }
            kept.append((max(expected[k], 1e-3), p.id))
        }
        let sum = kept.reduce(0) { $0 + $1.count }
        let logSum = digamma(sum)
        return kept.map { (digamma($0.count) - logSum, $0.id) }
    }

    /// The digamma function (recurrence to x ≥ 7, then the asymptotic series).
    static func digamma(_ value: Double) -> Double {
        var x = value, result = 0.0
        while x < 7 { result -= 1 / x; x += 1 }
        x -= 0.5
        let inv = 1 / x, inv2 = inv * inv, inv4 = inv2 * inv2
        return result + log(x) + inv2 / 24 - 7 * inv4 / 960 + 31 * inv4 * inv2 / 8064 - 127 * inv4 * inv4 / 30720
    }

    /// Pruning, as SentencePiece: a piece in no best segmentation goes (its own text is then
    /// better split, or it loses to longer pieces); a piece that cannot be rewritten stays;
    /// the others are ranked by the likelihood lost when their occurrences (in the best
    /// segmentations) are rewritten with their best segmentation without them, and the
    /// highest losses fill the vocabulary up to `keepAtLeast`. Single characters always stay.
    static func prune(_ pieces: [Piece], _ texts: [[UInt32]], index: PieceIndex, cache: EdgeCache? = nil, words: LatticeWords, freqs: [Double],
                      keepAtLeast: Int, threads: Int) -> [Piece] {
        let lattice = Lattice(index: index, pieces: pieces, cache: cache)
        // Viterbi frequencies: sums of whole numbers, exact in any order.
        let freq = lattice.viterbiCounts(words, freqs, threads: threads)
        let vsum = freq.reduce(0, +)
        let logSum = log(max(vsum, 1e-300))
        // Each used piece's best split without itself, computed independently.
        let needsSplit = pieces.indices.map { k in texts[pieces[k].id].count > 1 && freq[k] > 0 }
        var alternatives = [[Int]](repeating: [], count: pieces.count)
        alternatives.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            parallelRanges(pieces.count, threads: threads, grain: 64) { range in
                var scratch = Lattice.Scratch()
                for k in range where needsSplit[k] {
                    var bytes: [UInt8] = []
                    for v in texts[pieces[k].id] { Lattice.append(v, to: &bytes) }
                    assert(k < out.count)  // one slot per piece
                    out[k] = bytes.withUnsafeBufferPointer { lattice.viterbi($0, excluding: k, scratch: &scratch) }
                }
            }
        }
        var keep = [Bool](repeating: false, count: pieces.count)
        var count = 0
        var loss: [(Int, Double)] = []
        for (k, p) in pieces.enumerated() {
            if texts[p.id].count == 1 { keep[k] = true; count += 1; continue }
            guard needsSplit[k] else { continue }
            let alt = alternatives[k]
            if alt.isEmpty || alt.contains(-1) { keep[k] = true; count += 1; continue }
            let logProb = log(freq[k]) - logSum
            let logSumAlt = log(vsum + freq[k] * Double(alt.count - 1))
            var logProbAlt = 0.0
            for a in alt { logProbAlt += log(freq[a] + freq[k]) - logSumAlt }
            loss.append((k, freq[k] * (logProb - logProbAlt)))
        }
        loss.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        for (k, _) in loss where count < keepAtLeast { keep[k] = true; count += 1 }
        return pieces.enumerated().filter { keep[$0.offset] }.map(\.element)
    }
}

/// Every seed piece in a byte trie (value: the seed number), built once per training: the
/// pieces only ever shrink from there.
struct PieceIndex: Sendable {
    let trie: DoubleArrayTrie
    let count: Int

    init(_ pieces: [[UInt32]]) throws(TrainingError) {
        var keys = WordCounts()
        var values: [Int] = []
        var bytes: [UInt8] = []
        for (k, p) in pieces.enumerated() {
            bytes.removeAll(keepingCapacity: true)
            for v in p { Lattice.append(v, to: &bytes) }
            // A piece given twice: the first one is found.
            bytes.withUnsafeBufferPointer { b in
                guard let base = b.baseAddress, keys.find(base, b.count) == nil else { return }
                keys.add(base, b.count, 1)
                values.append(k)
            }
        }
        do { trie = try keys.withKeys { pool, starts, lengths in try DoubleArrayTrie(pool: pool, starts: starts, lengths: lengths, values: values) } } catch {
            throw .invalidConfiguration("cannot index the seed pieces: \(error)")
        }
        count = pieces.count
    }
}

/// The training words, back to back, with the byte offset of every character.
struct LatticeWords: Sendable {
    var bytes: [UInt8] = []
    /// Word `w` is `bytes[wordStart[w] ..< wordStart[w + 1]]`.
    var wordStart: [Int32] = [0]
    /// Its characters start at `charStart[charIndex[w] ..< charIndex[w + 1]]`, offsets within the word.
    var charStart: [Int32] = []
    var charIndex: [Int32] = [0]

    init(_ words: [[UInt8]]) {
        for w in words {
            for (k, b) in w.enumerated() where b & 0xC0 != 0x80 { charStart.append(Int32(k)) }
            bytes += w
            wordStart.append(Int32(bytes.count))
            charIndex.append(Int32(charStart.count))
        }
    }

    var count: Int { wordStart.count - 1 }
}

/// The current pieces over the seed index: forward–backward and Viterbi over a word's
/// characters, edges found by walking the trie.
struct Lattice: Sendable {
    let index: PieceIndex
    /// Seed number → position in the current pieces (-1: gone).
    let position: [Int32]
    /// Scores by position.
    let scores: [Double]
    let unknownScore: Double
    /// The words' edges over all seeds, when they were worth keeping.
    let cache: EdgeCache?

    init(index: PieceIndex, pieces: [UnigramTrainer.Piece], cache: EdgeCache? = nil) {
        self.index = index
        self.cache = cache
        var position = [Int32](repeating: -1, count: index.count)
        for (k, p) in pieces.enumerated() { position[p.id] = Int32(k) }
        self.position = position
        scores = pieces.map(\.score)
        unknownScore = (scores.min() ?? 0) - 10
    }

    static func append(_ v: UInt32, to out: inout [UInt8]) {
        if let scalar = Unicode.Scalar(v) { out.append(contentsOf: scalar.utf8) }
    }

    /// Reusable per-thread buffers.
    struct Scratch {
        var edges: [(Int32, Int32, Int32)] = []
        var charAt: [Int32] = []
        var alpha: [Double] = []
        var beta: [Double] = []
        var back: [(Int32, Int32)] = []
        var starts: [Int32] = []
    }

    /// The edges of a word of `n` characters starting at byte offsets `starts`:
    /// (start, end, position or -1 for an unknown character), by start; never piece
    /// position `excluding`.
    func edges(_ word: UnsafeBufferPointer<UInt8>, starts: UnsafeBufferPointer<Int32>, excluding: Int, scratch: inout Scratch) {
        scratch.edges.removeAll(keepingCapacity: true)
        let n = starts.count
        let m = word.count
        if scratch.charAt.count < m + 1 { scratch.charAt = [Int32](repeating: -1, count: m + 1) }
        for (c, s) in starts.enumerated() { scratch.charAt[Int(s)] = Int32(c) }
        scratch.charAt[m] = Int32(n)
        guard let base = word.baseAddress else { return }
        position.withUnsafeBufferPointer { position in
            for i in 0..<n {
                var single = false
                let from = Int(starts[i])
                // Every key on the trie path from this character is an edge.
                index.trie.forEachPrefix(of: base, from: from, to: m) { value, length in
                    let p = Int(position[value])
                    if p >= 0 && p != excluding {
                        let end = scratch.charAt[from + length]
                        scratch.edges.append((Int32(i), end, Int32(p)))
                        if end == Int32(i + 1) { single = true }
                    }
                    return true
                }
                if !single { scratch.edges.append((Int32(i), Int32(i + 1), -1)) }
            }
        }
    }

    /// Expected piece counts over all words (forward–backward in log space), by position.
    ///
    /// The words are cut into parts that depend only on their number; each part's counts
    /// are summed in word order and the parts added in order, so the result is the same
    /// for any thread count.
    func expectedCounts(_ words: LatticeWords, _ freqs: [Double], threads: Int) -> [Double] {
        let parts = max(1, min(16, words.count / 2048))
        let partSize = (words.count + parts - 1) / parts
        var total = [Double](repeating: 0, count: scores.count)
        let wave = max(1, threads)
        var first = 0
        while first < parts {
            let count = min(wave, parts - first)
            let firstPart = first
            var partial = [[Double]](repeating: [], count: count)
            partial.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out
                Parallelism.run(tasks: count) { t in
                    let part = firstPart + t
                    let lo = part * partSize, hi = min(words.count, lo + partSize)
                    var expected = [Double](repeating: 0, count: scores.count)
                    var scratch = Scratch()
                    if lo < hi { for w in lo..<hi { forwardBackward(words, w, freqs[w], into: &expected, scratch: &scratch) } }
                    assert(t < out.count)  // one slot per part of the wave
                    out[t] = expected
                }
            }
            for p in partial { for k in total.indices { total[k] += p[k] } }
            first += count
        }
        return total
    }

    private func forwardBackward(_ words: LatticeWords, _ w: Int, _ freq: Double, into expected: inout [Double], scratch: inout Scratch) {
        let ws = Int(words.wordStart[w]), we = Int(words.wordStart[w + 1])
        let cs = Int(words.charIndex[w]), ce = Int(words.charIndex[w + 1])
        let n = ce - cs
        guard n > 0 else { return }
        if let cache {
            cache.edges(of: w, positions: position, into: &scratch.edges)
        } else {
            words.bytes.withUnsafeBufferPointer { b in
                words.charStart.withUnsafeBufferPointer { c in
                    edges(UnsafeBufferPointer(rebasing: b[ws..<we]), starts: UnsafeBufferPointer(rebasing: c[cs..<ce]), excluding: -2, scratch: &scratch)
                }
            }
        }
        if scratch.alpha.count < n + 1 {
            scratch.alpha = [Double](repeating: 0, count: n + 1)
            scratch.beta = [Double](repeating: 0, count: n + 1)
        }
        for k in 0...n { scratch.alpha[k] = -.infinity; scratch.beta[k] = -.infinity }
        scratch.alpha[0] = 0
        for (s, e, id) in scratch.edges {
            scratch.alpha[Int(e)] = Self.logAdd(scratch.alpha[Int(e)], scratch.alpha[Int(s)] + (id >= 0 ? scores[Int(id)] : unknownScore))
        }
        scratch.beta[n] = 0
        for (s, e, id) in scratch.edges.reversed() {
            scratch.beta[Int(s)] = Self.logAdd(scratch.beta[Int(s)], scratch.beta[Int(e)] + (id >= 0 ? scores[Int(id)] : unknownScore))
        }
        let z = scratch.alpha[n]
        for (s, e, id) in scratch.edges where id >= 0 {
            expected[Int(id)] += freq * exp(scratch.alpha[Int(s)] + scores[Int(id)] + scratch.beta[Int(e)] - z)
        }
    }

    /// How often each piece is in the words' best segmentations (weighted by frequency).
    func viterbiCounts(_ words: LatticeWords, _ freqs: [Double], threads: Int) -> [Double] {
        var partial = [[Double]](repeating: [], count: max(1, threads))
        let workers = partial.count
        partial.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            let chunk = (words.count + workers - 1) / workers
            Parallelism.run(tasks: workers) { t in
                var freq = [Double](repeating: 0, count: scores.count)
                var scratch = Scratch()
                let lo = t * chunk, hi = min(words.count, lo + chunk)
                if lo < hi {
                    for w in lo..<hi {
                        let ws = Int(words.wordStart[w]), we = Int(words.wordStart[w + 1])
                        let cs = Int(words.charIndex[w]), ce = Int(words.charIndex[w + 1])
                        let best: [Int]
                        if let cache {
                            cache.edges(of: w, positions: position, into: &scratch.edges)
                            best = bestPath(ce - cs, scratch: &scratch)
                        } else {
                            scratch.starts.removeAll(keepingCapacity: true)
                            for k in cs..<ce { scratch.starts.append(words.charStart[k]) }
                            best = words.bytes.withUnsafeBufferPointer { b in
                                viterbi(UnsafeBufferPointer(rebasing: b[ws..<we]), excluding: -1, scratch: &scratch)
                            }
                        }
                        for id in best where id >= 0 { freq[id] += freqs[w] }
                    }
                }
                assert(t < out.count)  // one slot per worker
                out[t] = freq
            }
        }
        // Whole numbers: the sum is exact whatever the split.
        var total = [Double](repeating: 0, count: scores.count)
        for p in partial where !p.isEmpty { for k in total.indices { total[k] += p[k] } }
        return total
    }

    /// The best segmentation of a word (positions, -1 for an unknown character), never
    /// using position `excluding`. Uses `scratch.starts` as the character offsets when it
    /// is filled, else computes them.
    func viterbi(_ word: UnsafeBufferPointer<UInt8>, excluding: Int, scratch: inout Scratch) -> [Int] {
        if scratch.starts.isEmpty {
            for (k, b) in word.enumerated() where b & 0xC0 != 0x80 { scratch.starts.append(Int32(k)) }
        }
        let n = scratch.starts.count
        guard n > 0 else { return [] }
        let starts = scratch.starts
        starts.withUnsafeBufferPointer { edges(word, starts: $0, excluding: excluding, scratch: &scratch) }
        scratch.starts.removeAll(keepingCapacity: true)
        return bestPath(n, scratch: &scratch)
    }

    /// The best path through `scratch.edges` over `n` characters (positions, -1 unknown).
    func bestPath(_ n: Int, scratch: inout Scratch) -> [Int] {
        guard n > 0 else { return [] }
        if scratch.alpha.count < n + 1 {
            scratch.alpha = [Double](repeating: 0, count: n + 1)
            scratch.beta = [Double](repeating: 0, count: n + 1)
        }
        if scratch.back.count < n + 1 { scratch.back = [(Int32, Int32)](repeating: (-1, -1), count: n + 1) }
        // `alpha` holds the best scores here.
        for k in 0...n { scratch.alpha[k] = -.infinity }
        scratch.alpha[0] = 0
        for (s, e, id) in scratch.edges where scratch.alpha[Int(s)] > -.infinity {
            let v = scratch.alpha[Int(s)] + (id >= 0 ? scores[Int(id)] : unknownScore)
            if v > scratch.alpha[Int(e)] { scratch.alpha[Int(e)] = v; scratch.back[Int(e)] = (s, id) }
        }
        var count = 0
        var e = n
        while e > 0 { count += 1; e = Int(scratch.back[e].0) }
        var out = [Int](repeating: 0, count: count)
        e = n
        while e > 0 { count -= 1; out[count] = Int(scratch.back[e].1); e = Int(scratch.back[e].0) }
        return out
    }

    @inline(__always)
    static func logAdd(_ a: Double, _ b: Double) -> Double {
        if a == -.infinity { return b }
        if b == -.infinity { return a }
        return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b))
    }
}

/// A copy of `a` in a buffer of exactly its size.
func exactCopy<T>(_ a: [T]) -> [T] {
    [T](unsafeUninitializedCapacity: a.count) { buffer, count in
        assert(buffer.count >= a.count)
        _ = buffer.initialize(fromContentsOf: a)
        count = a.count
    }
}

/// Every word's lattice edges over all seed pieces, computed once: pieces only disappear
/// during training, so later lattices just drop the edges of pieces that are gone (single
/// characters never go, so the unknown-character edges stay right).
///
/// An edge is 8 bytes: its start character (24 bits) and length (8 bits), and the seed
/// number (-1: an unknown character). Kept in the parts they were built in (no copy).
struct EdgeCache: Sendable {
    private let partSize: Int
    /// Per part: word `w`'s edges are `edges[start[w - first] ..< start[w - first + 1]]`.
    private var parts: [(start: [Int32], edges: [(UInt32, Int32)])] = []

    /// The cache for `words` under `lattice` (whose positions are the seed numbers), or nil
    /// when it would hold more than `budget` edges or a word is too long to pack.
    static func build(_ lattice: Lattice, _ words: LatticeWords, threads: Int, budget: Int) -> EdgeCache? {
        let partCount = max(1, min(64, words.count / 1024))
        let partSize = (words.count + partCount - 1) / partCount
        var built = [(start: [Int32], edges: [(UInt32, Int32)])?](repeating: nil, count: partCount)
        var first = 0
        while first < partCount {
            let count = min(max(1, threads), partCount - first)
            let firstPart = first
            built.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out
                Parallelism.run(tasks: count) { t in
                    let part = firstPart + t
                    let lo = part * partSize, hi = min(words.count, lo + partSize)
                    var starts: [Int32] = [0], edges: [(UInt32, Int32)] = []
                    var scratch = Lattice.Scratch()
                    for w in lo..<max(lo, hi) {
                        let ws = Int(words.wordStart[w]), we = Int(words.wordStart[w + 1])
                        let cs = Int(words.charIndex[w]), ce = Int(words.charIndex[w + 1])
                        guard ce - cs < 1 << 24 else { return }
                        words.bytes.withUnsafeBufferPointer { b in
                            words.charStart.withUnsafeBufferPointer { c in
                                lattice.edges(UnsafeBufferPointer(rebasing: b[ws..<we]), starts: UnsafeBufferPointer(rebasing: c[cs..<ce]),
                                              excluding: -2, scratch: &scratch)
                            }
                        }
                        for (s, e, seed) in scratch.edges {
                            guard e - s < 256 else { return }
                            edges.append((UInt32(s) << 8 | UInt32(e - s), seed))
                        }
                        starts.append(Int32(edges.count))
                        if edges.count > budget / partCount { return }
                    }
                    // At their exact size: growth leaves up to half of an array unused.
                    assert(part < out.count)  // one slot per part
                    out[part] = (exactCopy(starts), exactCopy(edges))
                }
            }
            first += count
        }
        var cache = EdgeCache(partSize: partSize)
        for part in built {
            guard let part else { return nil }
            cache.parts.append(part)
        }
        return cache
    }

    private init(partSize: Int) { self.partSize = partSize }

    /// Word `w`'s edges whose pieces are still there, as (start, end, position or -1).
    @inline(__always)
    func edges(of w: Int, positions: [Int32], into out: inout [(Int32, Int32, Int32)]) {
        out.removeAll(keepingCapacity: true)
        let part = w / partSize, local = w - part * partSize
        let p = parts[part]
        for k in Int(p.start[local])..<Int(p.start[local + 1]) {
            let (packed, seed) = p.edges[k]
            let s = Int32(packed >> 8), e = s + Int32(packed & 0xFF)
            if seed < 0 { out.append((s, e, -1)); continue }
            let position = positions[Int(seed)]
            if position >= 0 { out.append((s, e, position)) }
        }
    }
}
