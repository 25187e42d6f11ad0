import Foundation
import Tokki

/// Trains a SentencePiece-style BPE model: the corpus is normalized with the model's own
/// charsmap, cut into `▁`-words, and the most frequent adjacent pair of symbols (weighted by
/// word frequency, exact counts) is merged until the vocabulary is full. Pieces follow
/// SentencePiece's validity rules (length, scripts, numbers, digits, whitespace only at the
/// start), so the model loads in the `sentencepiece` package and encodes identically there.
public struct BPETrainer: Sendable {
    /// The options.
    public let configuration: TrainerConfiguration

    /// Creates a trainer.
    public init(_ configuration: TrainerConfiguration = TrainerConfiguration()) { self.configuration = configuration }

    /// Trains on a corpus; `progress` receives phase names and fractions.
    public func train(_ corpus: CorpusOptions, progress: (@Sendable (String, Double) -> Void)? = nil)
        throws(TrainingError) -> (model: SentencePieceModel, statistics: CorpusStatistics) {
        var (words, stats, settings) = try WordCounter.words(of: corpus, configuration, progress: progress)
        let pieces = try merge(&words, progress: progress)
        return (try configuration.model(pieces, type: .bpe, normalizer: settings, corpus: corpus), stats)
    }

    /// The BPE merges over `words`, returning the full piece list.
    ///
    /// `words` is emptied as soon as the merger holds what it needs (peak memory).
    func merge(_ words: inout WordCounts, progress: (@Sendable (String, Double) -> Void)?)
        throws(TrainingError) -> [SentencePieceModel.Piece] {
        let c = configuration
        let meta = try c.metaPieces()
        var (required, characters, ends) = try c.requiredCharacters(words, meta: meta, keepingCharacters: true)
        let frequencies = words.counts
        words = WordCounts()
        let minimum = meta.count + required.count
        guard c.vocabularySize >= minimum else { throw .vocabularyTooSmall(requested: c.vocabularySize, minimum: minimum) }
        let target = c.vocabularySize - minimum

        // Symbols: characters first (ids 0…), merged pieces after.
        var bmpSymbol = [Int32](repeating: -1, count: 0x10000)
        var otherSymbol: [UInt32: Int32] = [:]
        for (k, (ch, _)) in required.enumerated() {
            if ch < 0x10000 { bmpSymbol[Int(ch)] = Int32(k) } else { otherSymbol[ch] = Int32(k) }
        }
        // The characters become symbol ids in place.
        characters.withUnsafeMutableBufferPointer { chars in
            for k in chars.indices {
                let ch = UInt32(bitPattern: chars[k])
                chars[k] = ch < 0x10000 ? bmpSymbol[Int(ch)] : otherSymbol[ch] ?? -1
            }
        }
        let rule = PieceRule(c, classes: CharacterClasses(required.map(\.0)))
        var merger = try PairMerger(symbols: required.map { [$0.0] }, summaries: required.map { rule.summary(of: $0.0) },
                                    flatSequences: characters, ends: ends, frequencies: frequencies, combine: rule.combine)
        characters = []
        var merged: [Int32] = []
        while merged.count < target, let m = merger.next() {
            if m.isNewText { merged.append(m.symbol) }
            if merged.count % 500 == 0 { progress?("merging", Double(merged.count) / Double(max(1, target))) }
        }
        let available = meta.count + required.count + merged.count
        if merged.count < target { throw .vocabularyTooLarge(requested: c.vocabularySize, maximum: available) }
        // SentencePiece's layout: specials, merged pieces (score -i), then the characters.
        var pieces = meta
        for (i, symbol) in merged.enumerated() { pieces.append(.init(piece: PieceText.string(merger.text(symbol)), score: -Float(i), type: .normal)) }
        for (i, (ch, _)) in required.enumerated() {
            pieces.append(.init(piece: PieceText.string([ch]), score: -Float(merged.count + i), type: .normal))
        }
        return pieces
    }
}
