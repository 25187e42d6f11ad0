import Foundation
import Tokki

extension VocabularyExtender {
    /// Extends a SentencePiece unigram model: candidate pieces are the frequent substrings of
    /// the corpus's words the base lacks; their scores are estimated by EM over lattices that
    /// hold the base's pieces with their scores fixed, and the candidates are pruned, as
    /// SentencePiece's trainer prunes, by how much the corpus's likelihood loses without each,
    /// until `add` remain. Old pieces keep their scores, so their order does not change.
    func extend(sentencePieceUnigram model: SentencePieceModel, path: String, corpus: CorpusOptions,
                progress: (@Sendable (String, Double) -> Void)?) throws(TrainingError) -> Result {
        let c = configuration
        let (words, statistics) = try sentencePieceWords(model, corpus: corpus, progress: progress)
        let pieces = model.pieces
        var lattice = UnigramExtensionLattice(model: model)
        let maxLength = model.maxPieceLength, byNumber = model.splitsByNumber, hangul = c.scripts == .hangul

        // Candidates: substrings of words the base lacks, counted by word frequency.
        progress?("candidates", 0)
        var counts: [[UInt8]: Int64] = [:]
        for (word, count) in words where word.count <= Self.longestWord {
            let bounds = Self.characters(word).map(\.lowerBound) + [word.count]
            for i in 0..<(bounds.count - 1) {
                for j in (i + 1)..<min(bounds.count, i + maxLength + 1) {
                    let sub = Array(word[bounds[i]..<bounds[j]])
                    if lattice.baseID(sub) != nil { continue }
                    counts[sub, default: 0] += count
                }
            }
        }
        func acceptable(_ text: [UInt8]) -> Bool {
            var digits = false, others = false
            for (k, s) in String(decoding: text, as: UTF8.self).unicodeScalars.enumerated() {
                if s.value == 0x2581 { if k > 0 { return false }; continue }
                if (0x30...0x39).contains(s.value) { digits = true } else { others = true }
            }
            if byNumber && digits && others { return false }
            return !hangul || Self.holdsHangul(text)
        }
        // Characters the base does not know, covering `characterCoverage` of their
        // occurrences, are always added; the other seeds are the most frequent by
        // frequency × length, as SentencePiece seeds its pieces.
        let single = counts.filter { Self.characters($0.key).count == 1 && acceptable($0.key) }
            .sorted { $0.value > $1.value || ($0.value == $1.value && $0.key.lexicographicallyPrecedes($1.key)) }
        let total = single.reduce(Int64(0)) { $0 + $1.value }
        var required: [[UInt8]] = []
        var covered: Int64 = 0
        for (ch, f) in single where required.count < c.add && f >= Int64(c.minFrequency) && Double(covered) < c.characterCoverage * Double(total) {
            required.append(ch)
            covered += f
        }
        let requiredSet = Set(required)
        var seeds = counts.filter { $0.value >= Int64(c.minFrequency) && !requiredSet.contains($0.key) && Self.characters($0.key).count > 1 && acceptable($0.key) }
            .map { (text: $0.key, score: Double($0.value) * Double(Self.characters($0.key).count), count: $0.value) }
        counts = [:]
        seeds.sort { $0.score > $1.score || ($0.score == $1.score && $0.text.lexicographicallyPrecedes($1.text)) }
        let target = c.add - required.count
        if seeds.count > max(4 * target, 2000) { seeds.removeLast(seeds.count - max(4 * target, 2000)) }
        try checkCount(required.count + seeds.count)

        // EM with the base's scores fixed; prune by likelihood loss.
        let candidates = required + seeds.map(\.text)
        let initial = required.map { _ in 0.0 } + seeds.map { log(Double($0.count)) }
        lattice.setCandidates(candidates, scores: initial, words: words.filter { $0.word.count <= Self.longestWord })
        var alive = [Bool](repeating: true, count: candidates.count)
        var round = 0
        // As SentencePiece: prune to a tenth more than asked, then keep the best scores.
        let goal = c.add + c.add / 10
        while true {
            for _ in 0..<2 { lattice.expectationMaximization(alive: alive) }
            let count = alive.filter { $0 }.count
            progress?("pruning", Double(candidates.count - count) / Double(max(1, candidates.count - c.add)))
            if count <= goal || round > 40 { break }
            let keep = max(goal, Int(Double(count) * 0.75))
            let losses = lattice.pruningLosses(alive: alive)
            let order = (0..<candidates.count).filter { alive[$0] && !requiredSet.contains(candidates[$0]) }
                .sorted { losses[$0] > losses[$1] || (losses[$0] == losses[$1] && $0 < $1) }
            let drop = count - keep
            for k in order.suffix(drop) { alive[k] = false }
            round += 1
        }
        var chosen = (0..<candidates.count).filter { alive[$0] && lattice.scores[$0].isFinite }
        try checkCount(chosen.count)
        chosen.sort { lattice.scores[$0] > lattice.scores[$1] || (lattice.scores[$0] == lattice.scores[$1] && $0 < $1) }
        chosen = Array(chosen.prefix(c.add))

        return try sentencePieceResult(model, new: chosen.map { i in
            (String(decoding: candidates[i], as: UTF8.self), Float(lattice.scores[i]), lattice.baseSegmentation(candidates[i]))
        }, statistics: statistics)
    }
}

/// The lattices of a corpus's words over a unigram base's pieces (scores fixed) and
/// candidate pieces (scores estimated).
struct UnigramExtensionLattice {
    /// The base's normal pieces by text, and their scores by id.
    private var base: [[UInt8]: Int32] = [:]
    private let baseScores: [Double]
    private let unknownScore: Double
    private let unknownID: Int32
    private let byteFallback: Bool
    private var byteIDs = [Int32](repeating: -1, count: 256)
    private let maxLength: Int
    /// Candidate texts and scores.
    private(set) var candidates: [[UInt8]] = []
    private(set) var scores: [Double] = []
    private var candidateIndex: [[UInt8]: Int32] = [:]
    /// Per word: frequency, number of characters, and its edges (start, end, piece) where a
    /// piece ≥ 0 is a base id, -1 - k candidate k, and `Int32.min` the unknown character.
    private var frequency: [Double] = []
    private var length: [Int32] = []
    private var edgeStart: [Int32] = [0]
    private var edges: [(Int32, Int32, Int32)] = []

    init(model: SentencePieceModel) {
        var scores: [Double] = []
        var lowest = Double.infinity
        for (i, p) in model.pieces.enumerated() {
            scores.append(Double(p.score))
            if p.type == .normal {
                base[Array(p.piece.utf8)] = Int32(i)
                lowest = min(lowest, Double(p.score))
            }
            if p.type == .byte, p.piece.hasPrefix("<0x"), let v = UInt8(p.piece.dropFirst(3).dropLast(), radix: 16) { byteIDs[Int(v)] = Int32(i) }
        }
        baseScores = scores
        // SentencePiece's penalty for the unknown piece.
        unknownScore = (lowest.isFinite ? lowest : 0) - 10
        unknownID = Int32(model.unknownID)
        byteFallback = model.byteFallback
        maxLength = model.maxPieceLength
    }

    func baseID(_ text: [UInt8]) -> Int32? { base[text] }

    /// Sets the candidates and builds every word's lattice.
    mutating func setCandidates(_ texts: [[UInt8]], scores initial: [Double], words: [(word: [UInt8], count: Int64)]) {
        candidates = texts
        let sum = log(initial.reduce(0) { $0 + exp($1) })
        scores = initial.map { $0 - sum }
        for (k, t) in texts.enumerated() { candidateIndex[t] = Int32(k) }
        for (word, count) in words {
            let bounds = VocabularyExtender.characters(word).map(\.lowerBound) + [word.count]
            let n = bounds.count - 1
            for i in 0..<n {
                var single = false
                for j in (i + 1)...min(n, i + maxLength) {
                    let sub = Array(word[bounds[i]..<bounds[j]])
                    if let id = base[sub] {
                        edges.append((Int32(i), Int32(j), id))
                        single = single || j == i + 1
                    } else if let k = candidateIndex[sub] {
                        edges.append((Int32(i), Int32(j), -1 - k))
                        single = single || j == i + 1
                    }
                }
                if !single { edges.append((Int32(i), Int32(i + 1), .min)) }
            }
            frequency.append(Double(count))
            length.append(Int32(n))
            edgeStart.append(Int32(edges.count))
        }
    }

    private func score(_ piece: Int32, _ alive: [Bool]) -> Double? {
        if piece >= 0 { return baseScores[Int(piece)] }
        if piece == .min { return unknownScore }
        let k = Int(-1 - piece)
        return alive[k] ? scores[k] : nil
    }

    private static func logAdd(_ a: Double, _ b: Double) -> Double {
        if a == -.infinity { return b }
        if b == -.infinity { return a }
        return max(a, b) + log1p(exp(-abs(a - b)))
    }

    /// One EM step: expected counts by forward-backward, then SentencePiece's Bayesian
    /// M-step for the candidates (digamma of the expected count over digamma of the total).
    /// A candidate expected less than half a time is not dropped here, as SentencePiece's
    /// trainer drops it, but scored as expected a thousandth of a time: pruning removes such
    /// pieces first, and only a corpus with too few useful pieces keeps them.
    mutating func expectationMaximization(alive: [Bool]) {
        var expected = [Double](repeating: 0, count: candidates.count)
        var total = 0.0
        var alpha: [Double] = [], beta: [Double] = []
        for w in 0..<frequency.count {
            let n = Int(length[w])
            let range = Int(edgeStart[w])..<Int(edgeStart[w + 1])
            // Reused across words: no allocation once they hold the longest word.
            alpha.removeAll(keepingCapacity: true); alpha.append(contentsOf: repeatElement(-.infinity, count: n + 1)); alpha[0] = 0
            beta.removeAll(keepingCapacity: true); beta.append(contentsOf: repeatElement(-.infinity, count: n + 1)); beta[n] = 0
            // Edges are in order of start position.
            for e in range {
                let (s, t, p) = edges[e]
                guard let sc = score(p, alive) else { continue }
                alpha[Int(t)] = Self.logAdd(alpha[Int(t)], alpha[Int(s)] + sc)
            }
            for e in range.reversed() {
                let (s, t, p) = edges[e]
                guard let sc = score(p, alive) else { continue }
                beta[Int(s)] = Self.logAdd(beta[Int(s)], beta[Int(t)] + sc)
            }
            let z = alpha[n]
            guard z.isFinite else { continue }
            for e in range {
                let (s, t, p) = edges[e]
                guard let sc = score(p, alive) else { continue }
                let m = exp(alpha[Int(s)] + sc + beta[Int(t)] - z) * frequency[w]
                total += m
                if p < 0 && p != .min { expected[Int(-1 - p)] += m }
            }
        }
        let all = digamma(total)
        for k in 0..<candidates.count where alive[k] {
            scores[k] = digamma(expected[k] < 0.5 ? 1e-3 : expected[k]) - all
        }
    }

    /// For each live candidate: how much the corpus's log-likelihood would lose without it —
    /// its Viterbi frequency times the gap between its score and that of the best
    /// segmentation of its text without it.
    func pruningLosses(alive: [Bool]) -> [Double] {
        var uses = [Double](repeating: 0, count: candidates.count)
        for w in 0..<frequency.count {
            for p in viterbi(w, alive) where p < 0 && p != .min { uses[Int(-1 - p)] += frequency[w] }
        }
        var losses = [Double](repeating: 0, count: candidates.count)
        for k in candidates.indices where alive[k] {
            guard scores[k].isFinite else { losses[k] = -.infinity; continue }
            var without = alive
            without[k] = false
            let alternative = bestScore(candidates[k], alive: without)
            losses[k] = uses[k] * (scores[k] - alternative)
        }
        return losses
    }

    /// The Viterbi path of word `w` (pieces).
    private func viterbi(_ w: Int, _ alive: [Bool]) -> [Int32] {
        let n = Int(length[w])
        var best = [Double](repeating: -.infinity, count: n + 1); best[0] = 0
        var back = [Int](repeating: -1, count: n + 1)
        let range = Int(edgeStart[w])..<Int(edgeStart[w + 1])
        for e in range {
            let (s, t, p) = edges[e]
            guard let sc = score(p, alive), best[Int(s)] + sc > best[Int(t)] else { continue }
            best[Int(t)] = best[Int(s)] + sc
            back[Int(t)] = e
        }
        var out: [Int32] = []
        var at = n
        while at > 0, back[at] >= 0 { let e = edges[back[at]]; out.append(e.2); at = Int(e.0) }
        return out
    }

    /// The best segmentation score of `text` with the base's pieces and the live candidates.
    private func bestScore(_ text: [UInt8], alive: [Bool]) -> Double {
        let bounds = VocabularyExtender.characters(text).map(\.lowerBound) + [text.count]
        let n = bounds.count - 1
        var best = [Double](repeating: -.infinity, count: n + 1); best[0] = 0
        for i in 0..<n where best[i].isFinite {
            var single = false
            for j in (i + 1)...min(n, i + maxLength) {
                let sub = Array(text[bounds[i]..<bounds[j]])
                var sc: Double? = nil
                if let id = base[sub] { sc = baseScores[Int(id)] } else if let k = candidateIndex[sub], alive[Int(k)], scores[Int(k)].isFinite { sc = scores[Int(k)] }
                if let sc {
                    best[j] = max(best[j], best[i] + sc)
                    single = single || j == i + 1
                }
            }
            if !single { best[i + 1] = max(best[i + 1], best[i] + unknownScore) }
        }
        return best[n]
    }

    /// The base's own segmentation of `text` (Viterbi over its pieces; unknown characters as
    /// byte pieces or the unknown piece).
    func baseSegmentation(_ text: [UInt8]) -> [Int32] {
        let chars = VocabularyExtender.characters(text)
        let bounds = chars.map(\.lowerBound) + [text.count]
        let n = bounds.count - 1
        var best = [Double](repeating: -.infinity, count: n + 1); best[0] = 0
        var back = [(Int, Int32)](repeating: (-1, 0), count: n + 1)
        for i in 0..<n where best[i].isFinite {
            var single = false
            for j in (i + 1)...min(n, i + maxLength) {
                if let id = base[Array(text[bounds[i]..<bounds[j]])] {
                    single = single || j == i + 1
                    if best[i] + baseScores[Int(id)] > best[j] { best[j] = best[i] + baseScores[Int(id)]; back[j] = (i, id) }
                }
            }
            if !single, best[i] + unknownScore > best[i + 1] { best[i + 1] = best[i] + unknownScore; back[i + 1] = (i, .min) }
        }
        var out: [Int32] = []
        var at = n
        while at > 0, back[at].0 >= 0 {
            let (from, id) = back[at]
            if id == .min {
                let bytes = text[bounds[from]..<bounds[at]]
                out += byteFallback ? bytes.reversed().map { byteIDs[Int($0)] } : [unknownID]
            } else {
                out.append(id)
            }
            at = from
        }
        // Without byte fallback, a run of unknown characters is one unknown piece.
        var fused: [Int32] = []
        for id in out.reversed() where byteFallback || !(id == unknownID && fused.last == unknownID) { fused.append(id) }
        return fused
    }
}

/// The digamma function ψ(x) for x > 0 (recurrence up to 5, then the asymptotic series).
func digamma(_ x: Double) -> Double {
    var x = x, r = 0.0
    while x < 5 { r -= 1 / x; x += 1 }
    let f = 1 / (x * x)
    return r + log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))))
}
