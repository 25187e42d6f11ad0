import Foundation
import Tokki

/// The options of the SentencePiece-style trainers (``BPETrainer``, ``UnigramTrainer``),
/// with SentencePiece's defaults (the CLI reads its option defaults from here).
///
/// What only one algorithm uses lives beside it (``UnigramTrainer/Options``);
/// ``ByteLevelBPETrainer/Configuration`` takes the settings it shares from here with
/// ``ByteLevelBPETrainer/Configuration/init(sharing:)``.
public struct TrainerConfiguration: Sendable, Equatable {
    /// The vocabulary size, special pieces included.
    public var vocabularySize = 8000
    /// The share of characters (by frequency) that must be pieces; the rest are unknown.
    public var characterCoverage = 0.9995
    /// Normalization compiled into the model.
    public var normalization = TrainingNormalization.korean
    /// Add `<0x00>`…`<0xFF>` pieces so unknown characters become bytes.
    public var byteFallback = false
    /// Pieces always matched and never split.
    public var userDefinedSymbols: [String] = []
    /// Pieces with no surface (only added by id).
    public var controlSymbols: [String] = []
    /// Every digit is its own piece.
    public var splitDigits = false
    /// Pieces do not mix Unicode scripts (Han, Hiragana and Katakana count as one).
    public var splitByUnicodeScript = true
    /// Pieces do not mix digits with other characters.
    public var splitByNumber = true
    /// The longest piece, in characters.
    public var maxPieceLength = 16
    /// Special pieces: ids (-1: absent) and texts.
    public var unknownID = 0, bosID = 1, eosID = 2, padID = -1
    /// Texts of the special pieces.
    public var unknownPiece = "<unk>", bosPiece = "<s>", eosPiece = "</s>", padPiece = "<pad>"
    /// Worker threads for normalizing and counting (default: the process-wide
    /// `Parallelism.threads`; the result does not depend on it).
    public var threads = Parallelism.threads

    /// The defaults.
    public init() {}
}

extension TrainerConfiguration {
    /// Checks the ranges of the numeric options.
    func validate() throws(TrainingError) {
        guard vocabularySize > 0, characterCoverage > 0, characterCoverage <= 1, maxPieceLength > 0 else {
            throw .invalidConfiguration("vocabulary size, character coverage (0…1] and max piece length must be positive")
        }
    }

    /// The trainer settings recorded in the model (its `TrainerSpec`): the one mapping from
    /// the options to the model file.
    func trainerSettings(_ corpus: CorpusOptions) -> SentencePieceModel.TrainerSettings {
        var trainer = SentencePieceModel.TrainerSettings()
        trainer.inputs = corpus.inputs
        trainer.vocabularySize = vocabularySize
        trainer.characterCoverage = characterCoverage
        trainer.inputSentenceSize = corpus.inputSentenceSize
        trainer.maxPieceLength = maxPieceLength
        trainer.splitByUnicodeScript = splitByUnicodeScript
        trainer.splitByNumber = splitByNumber
        trainer.splitDigits = splitDigits
        trainer.byteFallback = byteFallback
        trainer.controlSymbols = controlSymbols
        trainer.userDefinedSymbols = userDefinedSymbols
        // The thread count is not recorded: the file must not depend on it.
        trainer.unknownID = unknownID; trainer.bosID = bosID; trainer.eosID = eosID; trainer.padID = padID
        trainer.unknownPiece = unknownPiece; trainer.bosPiece = bosPiece
        trainer.eosPiece = eosPiece; trainer.padPiece = padPiece
        return trainer
    }

    /// A model of `pieces` carrying these options and the corpus's normalizer `settings`.
    func model(_ pieces: [SentencePieceModel.Piece], type: SentencePieceModel.ModelType,
               normalizer settings: SentencePieceModel.NormalizerSettings, corpus: CorpusOptions) throws(TrainingError) -> SentencePieceModel {
        do {
            return try SentencePieceModel(pieces: pieces, modelType: type, normalizer: settings, trainer: trainerSettings(corpus))
        } catch {
            throw .tokki(error)
        }
    }

    /// The special pieces in id order (unk, bos, eos, pad at their ids; then control and
    /// user-defined symbols; then the byte pieces).
    func metaPieces() throws(TrainingError) -> [SentencePieceModel.Piece] {
        var fixed: [Int: SentencePieceModel.Piece] = [:]
        for (id, piece, type) in [(unknownID, unknownPiece, SentencePieceModel.PieceType.unknown),
                                  (bosID, bosPiece, .control), (eosID, eosPiece, .control), (padID, padPiece, .control)]
        where id >= 0 {
            guard fixed[id] == nil else { throw .invalidConfiguration("two special pieces have id \(id)") }
            fixed[id] = SentencePieceModel.Piece(piece: piece, score: 0, type: type)
        }
        guard unknownID >= 0 else { throw .invalidConfiguration("the unknown piece needs an id") }
        var rest = controlSymbols.map { SentencePieceModel.Piece(piece: $0, score: 0, type: .control) }
            + userDefinedSymbols.map { SentencePieceModel.Piece(piece: $0, score: 0, type: .userDefined) }
        if byteFallback {
            rest += (0..<256).map { b in
                SentencePieceModel.Piece(piece: "<0x\(b < 16 ? "0" : "")\(String(b, radix: 16, uppercase: true))>", score: 0, type: .byte)
            }
        }
        var out: [SentencePieceModel.Piece] = []
        var k = 0
        let total = fixed.count + rest.count
        for id in 0..<total {
            if let f = fixed[id] { out.append(f) } else if k < rest.count { out.append(rest[k]); k += 1 }
        }
        guard out.count == total else { throw .invalidConfiguration("special piece ids must be 0…\(total - 1) without gaps") }
        var seen = Set<String>()
        for p in out where !seen.insert(p.piece).inserted { throw .invalidConfiguration("the piece '\(p.piece)' is given twice") }
        return out
    }

    /// The characters that must be pieces (the most frequent ones covering
    /// `characterCoverage` of all, and `▁`), by frequency; with `keepingCharacters`, also
    /// every word's characters back to back (word `k` ends at `ends[k]`).
    func requiredCharacters(_ words: WordCounts, meta: [SentencePieceModel.Piece], keepingCharacters: Bool = false)
        throws(TrainingError) -> (required: [(UInt32, Int64)], characters: [Int32], ends: [Int32]) {
        let metaTexts = Set(meta.map { Array($0.piece.utf8) })
        // Counts: an array for the BMP, a dictionary beyond.
        var bmpCount = [Int64](repeating: 0, count: 0x10000)
        var otherCount: [UInt32: Int64] = [:]
        var characters: [Int32] = [], ends: [Int32] = []
        if keepingCharacters {
            // One per lead byte: exact for well-formed text.
            words.withKeys { pool, _, _ in characters.reserveCapacity(pool.reduce(0) { $0 + ($1 & 0xC0 != 0x80 ? 1 : 0) }) }
            ends.reserveCapacity(words.counts.count)
        }
        var wordCharacters: [UInt32] = []
        for k in words.counts.indices {
            let n = words.counts[k]
            wordCharacters.removeAll(keepingCapacity: true)
            words.withWord(k) { PieceText.appendScalars(of: $0, to: &wordCharacters) }
            // NUL is never a piece (it ends keys in the trie; SentencePiece skips it too): it
            // stays unknown, like an uncovered character.
            for s in wordCharacters where s != 0 {
                if s < 0x10000 { bmpCount[Int(s)] += n } else { otherCount[s, default: 0] += n }
            }
            if keepingCharacters {
                for ch in wordCharacters { characters.append(Int32(bitPattern: ch)) }
                guard characters.count < Int(Int32.max) else {
                    throw .invalidConfiguration("the distinct words hold more characters than training can index; sample the corpus (input sentence size)")
                }
                ends.append(Int32(characters.count))
            }
        }
        var charCount: [(key: UInt32, value: Int64)] = []
        for (s, n) in bmpCount.enumerated() where n > 0 { charCount.append((UInt32(s), n)) }
        for (s, n) in otherCount { charCount.append((s, n)) }
        let total = charCount.reduce(0) { $0 + $1.value }
        let byFrequency = charCount.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        var required: [(UInt32, Int64)] = []
        var covered: Int64 = 0
        for (ch, n) in byFrequency {
            if Double(covered) / Double(total) >= characterCoverage && ch != 0x2581 { continue }
            required.append((ch, n))
            covered += n
        }
        // Characters that are also special pieces are not added twice.
        required.removeAll { metaTexts.contains(Array(PieceText.string([$0.0]).utf8)) }
        return (required, characters, ends)
    }
}
