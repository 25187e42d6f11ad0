import Foundation
import Tokki

/// Trains a SentencePiece Unigram model: seed pieces from frequent substrings of the
/// `▁`-words (score frequency × length), then EM (expected counts by forward–backward, a
/// Bayesian M-step with the digamma function, pieces expected less than 0.5 times dropped)
/// alternating with pruning by the likelihood lost when a piece is removed, until the
/// vocabulary fits. Required characters are always kept.
public struct UnigramTrainer: Sendable {
    /// Trainer options, with SentencePiece's defaults.
    public struct Configuration: Sendable, Equatable {
        /// The shared options (vocabulary size, coverage, normalization, symbols, ids…).
        public var base = BPETrainer.Configuration()
        /// How many seed pieces to start from.
        public var seedSize = 1_000_000
        /// Each pruning keeps at least this share of the pieces.
        public var shrinkingFactor = 0.75
        /// EM rounds between prunings.
        public var subIterations = 2

        /// The defaults.
        public init() {}
    }

    /// The options.
    public let configuration: Configuration

    /// Creates a trainer.
    public init(_ configuration: Configuration = Configuration()) { self.configuration = configuration }

    /// Trains on a corpus.
    public func train(_ corpus: CorpusOptions, progress: (@Sendable (String, Double) -> Void)? = nil)
        throws(TrainingError) -> (model: SentencePieceModel, statistics: CorpusStatistics) {
        let c = configuration.base
        guard configuration.shrinkingFactor > 0, configuration.shrinkingFactor < 1, configuration.subIterations > 0 else {
            throw .invalidConfiguration("shrinking factor must be in (0, 1) and sub-iterations positive")
        }
        let bpe = BPETrainer(c)
        let (words, stats, settings) = try bpe.countWords(corpus, progress: progress)
        let meta = try bpe.metaPieces()
        let (required, _) = try bpe.requiredCharacters(words, meta: meta)
        let minimum = meta.count + required.count
        guard c.vocabularySize >= minimum else { throw .vocabularyTooSmall(requested: c.vocabularySize, minimum: minimum) }
        let wantPieces = c.vocabularySize - meta.count

        // Words as scalars with UTF-8 offsets.
        let wordScalars = words.map { String(decoding: $0.word, as: UTF8.self).unicodeScalars.map(\.value) }
        let freqs = words.map { Double($0.count) }
        let requiredSet = Set(required.map(\.0))

        // Seeds: substrings of 2…max characters seen at least twice, scored frequency × length.
        progress?("seeding", 0)
        var substrings = WordCounts()
        for (w, chars) in wordScalars.enumerated() {
            let n = chars.count
            guard n >= 2 else { continue }
            let bytes = words[w].word
            var offsets = [0]
            for ch in chars { offsets.append(offsets.last! + (Unicode.Scalar(ch)?.utf8.count ?? 0)) }
            bytes.withUnsafeBufferPointer { b in
                for i in 0..<n where requiredSet.contains(chars[i]) {
                    var j = i + 1
                    while j < n && j - i < c.maxPieceLength && requiredSet.contains(chars[j]) {
                        j += 1
                        substrings.add(b.baseAddress! + offsets[i], offsets[j] - offsets[i], words[w].count)
                    }
                }
            }
        }
        var seeds: [(piece: [UInt32], score: Double)] = []
        let classes = CharacterClasses(required.map(\.0))
        for k in 0..<substrings.counts.count where substrings.counts[k] >= 2 {
            let scalars = String(decoding: substrings.word(k), as: UTF8.self).unicodeScalars.map(\.value)
            guard BPETrainer.validPiece(scalars, c, classes) else { continue }
            seeds.append((scalars, Double(substrings.counts[k]) * Double(scalars.count)))
        }
        seeds.sort { $0.score != $1.score ? $0.score > $1.score : $0.piece.lexicographicallyPrecedes($1.piece) }
        if seeds.count > configuration.seedSize { seeds.removeLast(seeds.count - configuration.seedSize) }
        for (ch, n) in required { seeds.append(([ch], Double(n))) }
        let total = seeds.reduce(0) { $0 + $1.score }
        var pieces = seeds.map { (piece: $0.piece, score: log($0.score) - log(total)) }

        // EM and pruning.
        let desired = Int(Double(wantPieces) * 1.1)
        var round = 0
        while true {
            for _ in 0..<configuration.subIterations {
                let lattice = Lattice(pieces: pieces.map(\.piece), scores: pieces.map(\.score), maxLength: c.maxPieceLength)
                let expected = lattice.expectedCounts(wordScalars, freqs)
                pieces = Self.mStep(pieces, expected, requiredSet)
            }
            round += 1
            progress?("EM", Double(round))
            if pieces.count <= desired { break }
            pieces = Self.prune(pieces, words: wordScalars, freqs: freqs, keepAtLeast: max(desired, Int(Double(pieces.count) * configuration.shrinkingFactor)),
                                required: requiredSet, maxLength: c.maxPieceLength)
        }
        // Final: required characters first, then the best-scoring pieces.
        let minScore = pieces.map(\.score).min() ?? 0
        var chosen: [(piece: [UInt32], score: Double)] = []
        var seen = Set<[UInt32]>()
        for (ch, _) in required where !pieces.contains(where: { $0.piece == [ch] }) {
            chosen.append(([ch], minScore - 10)); seen.insert([ch])
        }
        for p in pieces.sorted(by: { $0.score != $1.score ? $0.score > $1.score : $0.piece.lexicographicallyPrecedes($1.piece) })
        where chosen.count < wantPieces && !seen.contains(p.piece) {
            chosen.append(p); seen.insert(p.piece)
        }
        if chosen.count < wantPieces {
            throw .vocabularyTooLarge(requested: c.vocabularySize, maximum: meta.count + chosen.count)
        }
        chosen.sort { $0.score != $1.score ? $0.score > $1.score : $0.piece.lexicographicallyPrecedes($1.piece) }
        let metaTexts = Set(meta.map(\.piece))
        var all = meta
        for p in chosen where !metaTexts.contains(BPETrainer.string(p.piece)) {
            all.append(.init(piece: BPETrainer.string(p.piece), score: Float(p.score), type: .normal))
        }
        var trainer = bpe.trainerSettings(corpus)
        trainer.vocabularySize = c.vocabularySize
        do {
            return (try SentencePieceModel(pieces: all, modelType: .unigram, normalizer: settings, trainer: trainer), stats)
        } catch {
            throw .tokki(error)
        }
    }

    /// The M-step: drop pieces expected less than 0.5 times (required characters stay), and
    /// score the rest by digamma(expected) − digamma(total).
    static func mStep(_ pieces: [(piece: [UInt32], score: Double)], _ expected: [Double], _ required: Set<UInt32>)
        -> [(piece: [UInt32], score: Double)] {
        var kept: [(piece: [UInt32], count: Double)] = []
        for (k, p) in pieces.enumerated() {
            let isRequired = p.piece.count == 1 && required.contains(p.piece[0])
            if expected[k] < 0.5 && !isRequired { continue }
            kept.append((p.piece, max(expected[k], 1e-3)))
        }
        let sum = kept.reduce(0) { $0 + $1.count }
        let logSum = digamma(sum)
        return kept.map { ($0.piece, digamma($0.count) - logSum) }
    }

    /// The digamma function (recurrence to x ≥ 7, then the asymptotic series).
    static func digamma(_ value: Double) -> Double {
        var x = value, result = 0.0
        while x < 7 { result -= 1 / x; x += 1 }
        x -= 0.5
        let inv = 1 / x, inv2 = inv * inv, inv4 = inv2 * inv2
        return result + log(x) + inv2 / 24 - 7 * inv4 / 960 + 31 * inv4 * inv2 / 8064 - 127 * inv4 * inv4 / 30720
    }

    /// Pruning: every piece's loss is the drop in likelihood when its occurrences (in the
    /// best segmentations) are rewritten with its best segmentation without it; keep the
    /// pieces that cannot be rewritten and the highest losses.
    static func prune(_ pieces: [(piece: [UInt32], score: Double)], words: [[UInt32]], freqs: [Double], keepAtLeast: Int,
                      required: Set<UInt32>, maxLength: Int) -> [(piece: [UInt32], score: Double)] {
        let lattice = Lattice(pieces: pieces.map(\.piece), scores: pieces.map(\.score), maxLength: maxLength)
        var freq = [Double](repeating: 0, count: pieces.count)
        for (w, chars) in words.enumerated() {
            for id in lattice.viterbi(chars, excluding: -1) where id >= 0 { freq[id] += freqs[w] }
        }
        let vsum = freq.reduce(0, +)
        let logSum = log(max(vsum, 1e-300))
        var alwaysKeep = [Bool](repeating: false, count: pieces.count)
        var loss: [(Int, Double)] = []
        for (k, p) in pieces.enumerated() {
            if p.piece.count == 1 { alwaysKeep[k] = true; continue }
            let alternatives = lattice.viterbi(p.piece, excluding: k)
            if alternatives.isEmpty || alternatives.contains(-1) { alwaysKeep[k] = true; continue }
            if freq[k] == 0 { loss.append((k, 0)); continue }
            let logProb = log(freq[k]) - logSum
            let logSumAlt = log(vsum + freq[k] * Double(alternatives.count - 1))
            var logProbAlt = 0.0
            for a in alternatives { logProbAlt += log(freq[a] + freq[k]) - logSumAlt }
            loss.append((k, freq[k] * (logProb - logProbAlt)))
        }
        loss.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        var keep = alwaysKeep
        var count = alwaysKeep.filter { $0 }.count
        for (k, _) in loss where count < keepAtLeast { keep[k] = true; count += 1 }
        return pieces.enumerated().filter { keep[$0.offset] }.map(\.element)
    }
}

/// Pieces indexed for segmenting words: forward–backward and Viterbi over characters,
/// looking pieces up by their UTF-8 bytes (no allocation per lookup).
struct Lattice {
    let scores: [Double]
    /// Piece bytes → index into `pieceIDs`.
    var index = WordCounts()
    var pieceIDs: [Int] = []
    let maxLength: Int
    let unknownScore: Double

    init(pieces: [[UInt32]], scores: [Double], maxLength: Int) {
        self.scores = scores
        self.maxLength = maxLength
        unknownScore = (scores.min() ?? 0) - 10
        var index = WordCounts()
        var pieceIDs: [Int] = []
        for (k, p) in pieces.enumerated() {
            var bytes: [UInt8] = []
            for v in p { Self.append(v, to: &bytes) }
            let found = bytes.withUnsafeBufferPointer { b in index.find(b.baseAddress!, b.count) }
            if found == nil {
                bytes.withUnsafeBufferPointer { b in index.add(b.baseAddress!, b.count, 1) }
                pieceIDs.append(k)
            }
        }
        self.index = index
        self.pieceIDs = pieceIDs
    }

    static func append(_ v: UInt32, to out: inout [UInt8]) {
        if let scalar = Unicode.Scalar(v) { out.append(contentsOf: scalar.utf8) }
    }

    /// The edges of a word: (start, end, piece or -1 for an unknown character), by start.
    func edges(_ chars: [UInt32], excluding: Int, into edges: inout [(Int, Int, Int)], bytes: inout [UInt8], offsets: inout [Int]) {
        edges.removeAll(keepingCapacity: true)
        bytes.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        offsets.append(0)
        for ch in chars { Self.append(ch, to: &bytes); offsets.append(bytes.count) }
        let n = chars.count
        bytes.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return }
            for i in 0..<n {
                var single = false
                var j = i + 1
                while j <= n && j - i <= maxLength {
                    if let k = index.find(base + offsets[i], offsets[j] - offsets[i]) {
                        let id = pieceIDs[k]
                        if id != excluding {
                            edges.append((i, j, id))
                            if j == i + 1 { single = true }
                        }
                    }
                    j += 1
                }
                if !single { edges.append((i, i + 1, -1)) }
            }
        }
    }

    /// Expected piece counts over all words (forward–backward in log space).
    func expectedCounts(_ words: [[UInt32]], _ freqs: [Double]) -> [Double] {
        var expected = [Double](repeating: 0, count: scores.count)
        var alpha: [Double] = [], beta: [Double] = []
        var list: [(Int, Int, Int)] = [], bytes: [UInt8] = [], offsets: [Int] = []
        for (w, chars) in words.enumerated() {
            let n = chars.count
            guard n > 0 else { continue }
            edges(chars, excluding: -2, into: &list, bytes: &bytes, offsets: &offsets)
            alpha = [Double](repeating: -.infinity, count: n + 1)
            beta = [Double](repeating: -.infinity, count: n + 1)
            alpha[0] = 0
            for (s, e, id) in list { alpha[e] = Self.logAdd(alpha[e], alpha[s] + (id >= 0 ? scores[id] : unknownScore)) }
            beta[n] = 0
            for (s, e, id) in list.reversed() { beta[s] = Self.logAdd(beta[s], beta[e] + (id >= 0 ? scores[id] : unknownScore)) }
            let z = alpha[n]
            for (s, e, id) in list where id >= 0 {
                expected[id] += freqs[w] * exp(alpha[s] + scores[id] + beta[e] - z)
            }
        }
        return expected
    }

    /// The best segmentation of `chars` (piece ids, -1 for an unknown character), never
    /// using piece `excluding`.
    func viterbi(_ chars: [UInt32], excluding: Int) -> [Int] {
        let n = chars.count
        guard n > 0 else { return [] }
        var list: [(Int, Int, Int)] = [], bytes: [UInt8] = [], offsets: [Int] = []
        edges(chars, excluding: excluding, into: &list, bytes: &bytes, offsets: &offsets)
        var best = [Double](repeating: -.infinity, count: n + 1)
        var back = [(Int, Int)](repeating: (-1, -1), count: n + 1)
        best[0] = 0
        for (s, e, id) in list where best[s] > -.infinity {
            let v = best[s] + (id >= 0 ? scores[id] : unknownScore)
            if v > best[e] { best[e] = v; back[e] = (s, id) }
        }
        var out: [Int] = []
        var e = n
        while e > 0 { let (s, id) = back[e]; out.append(id); e = s }
        return out.reversed()
    }

    @inline(__always)
    static func logAdd(_ a: Double, _ b: Double) -> Double {
        if a == -.infinity { return b }
        if b == -.infinity { return a }
        return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b))
    }
}
