import Foundation
import Tokki

/// Extends an existing tokenizer with new pieces learned from a corpus (usually Korean text
/// for a model trained mostly on other languages), by continuing the base's own algorithm:
/// - SentencePiece BPE `.model` and Hugging Face BPE `tokenizer.json` (byte-level, as Llama 3
///   and Qwen, or Metaspace with byte fallback): the corpus is segmented exactly as the base
///   segments it, and new merges are learned on top, ranked after every existing merge;
///   characters the base does not know become pieces too when that saves more tokens;
/// - SentencePiece unigram `.model`: new pieces with scores estimated by EM while the old
///   pieces keep theirs.
///
/// Every existing id keeps its piece, score (or merge rank) and type; new pieces get the ids
/// after the base's, then `reserve` special tokens. By default a new piece must hold Hangul,
/// so text without Hangul is segmented exactly as before.
public struct VocabularyExtender: Sendable {
    /// Which new pieces are allowed.
    public enum Scripts: String, Sendable, CaseIterable {
        /// Pieces holding Hangul (syllables or jamo); byte-level pieces holding the start of
        /// a Hangul character.
        case hangul
        /// Any piece the base's rules allow.
        case any
    }

    /// The options.
    public struct Configuration: Sendable, Equatable {
        /// New pieces to add (reserved tokens not included).
        public var add = 6000
        /// Pieces seen fewer times in the corpus are not added.
        public var minFrequency = 1
        /// The share of the occurrences of characters the base does not know (and the
        /// scripts allow) covered by new single-character pieces, before any merge.
        public var characterCoverage = 0.9995
        /// Special tokens reserved after the new pieces (`<reserved_N>`; user-defined
        /// pieces in a `.model`, special added tokens in a `tokenizer.json`).
        public var reserve = 0
        /// Which new pieces are allowed.
        public var scripts = Scripts.hangul
        /// The normalization the user expects the base to have (nil: the base's, unchecked);
        /// a different one is refused, since the new pieces would be learned on text the
        /// model never sees.
        public var normalization: TrainingNormalization? = nil
        /// Worker threads for reading the corpus.
        public var threads = Parallelism.threads
        /// The defaults.
        public init() {}
    }

    /// One new piece.
    public struct NewPiece: Sendable, Equatable {
        /// Its id in the extended vocabulary.
        public var id: Int
        /// Its text, as the vocabulary spells it (`▁` for spaces; GPT-2 byte spelling in a
        /// byte-level vocabulary).
        public var piece: String
        /// The base ids whose concatenation it is (for mean-of-subwords initialisation).
        public var baseIDs: [Int]
    }

    /// An extended tokenizer.
    public struct Result: Sendable {
        /// The extended `.model` (SentencePiece bases).
        public let model: SentencePieceModel?
        /// The extended `tokenizer.json` bytes (Hugging Face bases).
        public let tokenizerJSON: [UInt8]?
        /// The new pieces, by id.
        public let newPieces: [NewPiece]
        /// The reserved special tokens' ids and texts.
        public let reserved: [(id: Int, piece: String)]
        /// The base vocabulary's size (the first new id).
        public let baseVocabularySize: Int
        /// What reading the corpus found.
        public let statistics: CorpusStatistics

        /// The `PREFIX.init.json` document: for each new id, the base ids whose
        /// concatenation is its piece; reserved ids have none (initialise them as you like,
        /// for example with the mean of all rows).
        public func initializationJSON() -> [UInt8] {
            var w = JSONWriter()
            w.raw("{\n  \"format\": \"tokki-extend-init/1\",\n  \"base_vocabulary_size\": ")
            w.integer(baseVocabularySize)
            w.raw(",\n  \"vocabulary_size\": ")
            w.integer(baseVocabularySize + newPieces.count + reserved.count)
            w.raw(",\n  \"new\": [")
            for (k, p) in newPieces.enumerated() {
                w.raw(k == 0 ? "\n    " : ",\n    ")
                w.raw("{\"id\": "); w.integer(p.id); w.raw(", \"piece\": "); w.string(p.piece); w.raw(", \"base_ids\": [")
                w.raw(p.baseIDs.map(String.init).joined(separator: ", "))
                w.raw("]}")
            }
            w.raw(newPieces.isEmpty ? "],\n  \"reserved\": [" : "\n  ],\n  \"reserved\": [")
            w.raw(reserved.map { String($0.id) }.joined(separator: ", "))
            w.raw("]\n}\n")
            return w.bytes
        }
    }

    /// The options.
    public let configuration: Configuration

    /// Creates an extender.
    public init(_ configuration: Configuration = Configuration()) { self.configuration = configuration }

    /// Extends the tokenizer at `path` (a `.model`, a `tokenizer.json` or a model folder
    /// holding one) with pieces learned from `corpus`.
    ///
    /// - Throws: ``TrainingError/cannotExtend(path:reason:)`` for a base that cannot be
    ///   extended (WordPiece, tiktoken files without merges, a normalization other than the
    ///   one asked for), ``TrainingError/invalidConfiguration(_:)`` when the corpus gives
    ///   fewer pieces than asked, and the corpus reader's errors.
    public func extend(model path: String, corpus: CorpusOptions, progress: (@Sendable (String, Double) -> Void)? = nil)
        throws(TrainingError) -> Result {
        let c = configuration
        guard c.add >= 0, c.reserve >= 0 else { throw .invalidConfiguration("--add and --reserve must be 0 or more") }
        guard c.minFrequency >= 1 else { throw .invalidConfiguration("--min-frequency must be at least 1") }
        let format: TokenizerFormat, file: String
        do {
            file = try TokenizerLoader.resolve(path)
            format = try TokenizerFormat.detect(at: file)
        } catch { throw .tokki(error) }
        switch format {
        case .sentencePiece:
            let model: SentencePieceModel
            do { model = try SentencePieceModel(contentsOf: URL(fileURLWithPath: file)) } catch { throw .tokki(error) }
            try checkNormalization(model, path: file)
            switch model.modelType {
            case .bpe: return try extend(sentencePieceBPE: model, path: file, corpus: corpus, progress: progress)
            case .unigram: return try extend(sentencePieceUnigram: model, path: file, corpus: corpus, progress: progress)
            default: throw .cannotExtend(path: file, reason: "a SentencePiece \(model.modelType.rawValue) model has no subwords to extend")
            }
        case .huggingFace:
            return try extend(huggingFace: file, corpus: corpus, progress: progress)
        default:
            throw .cannotExtend(path: path, reason: "a \(format.rawValue) file has no merges to continue; extend a SentencePiece .model or a BPE tokenizer.json")
        }
    }

    /// Whether `text` (UTF-8) holds a Hangul syllable or jamo.
    static func holdsHangul(_ text: [UInt8]) -> Bool {
        // Every Hangul scalar is encoded with a lead byte E1, E3, EA, EB, EC or ED.
        guard text.contains(where: { $0 >= 0xE1 && $0 <= 0xED }) else { return false }
        for s in String(decoding: text, as: UTF8.self).unicodeScalars where isHangul(s.value) { return true }
        return false
    }

    static func isHangul(_ v: UInt32) -> Bool {
        (0xAC00...0xD7A3).contains(v) || (0x1100...0x11FF).contains(v) || (0x3130...0x318F).contains(v)
            || (0xA960...0xA97F).contains(v) || (0xD7B0...0xD7FF).contains(v)
    }

    /// Whether raw bytes hold the first two bytes of a Hangul character's UTF-8 (jamo
    /// U+1100–11FF: E1 84–87; compatibility jamo U+3130–318F: E3 84–86; syllables and
    /// extended jamo U+A960–D7FF: EA A5–BF, EB, EC, ED 80–9F).
    static func holdsHangulStart(_ raw: [UInt8]) -> Bool {
        guard raw.count >= 2 else { return false }
        for i in 0..<(raw.count - 1) {
            let a = raw[i], b = raw[i + 1]
            switch a {
            case 0xE1: if (0x84...0x87).contains(b) { return true }
            case 0xE3: if (0x84...0x86).contains(b) { return true }
            case 0xEA: if (0xA5...0xBF).contains(b) { return true }
            case 0xEB, 0xEC: if (0x80...0xBF).contains(b) { return true }
            case 0xED: if (0x80...0x9F).contains(b) { return true }
            default: break
            }
        }
        return false
    }

    /// The reserved tokens' texts, avoiding any spelled like an existing token.
    func reservedTexts(existing: (String) -> Bool) -> [String] {
        var out: [String] = []
        var k = 0
        while out.count < configuration.reserve {
            let t = "<reserved_\(k)>"
            if !existing(t) { out.append(t) }
            k += 1
        }
        return out
    }

    /// The result for a SentencePiece base: `new` pieces (text, score, base ids) after the
    /// base's, then the reserved tokens as user-defined pieces.
    func sentencePieceResult(_ model: SentencePieceModel, new: [(text: String, score: Float, baseIDs: [Int32])],
                             statistics: CorpusStatistics) throws(TrainingError) -> Result {
        let count = model.pieces.count
        var extra = new.map { SentencePieceModel.Piece(piece: $0.text, score: $0.score, type: .normal) }
        let existing = Set(model.pieces.map(\.piece) + extra.map(\.piece))
        let reservedTexts = reservedTexts { existing.contains($0) }
        extra += reservedTexts.map { .init(piece: $0, score: 0, type: .userDefined) }
        let extended: SentencePieceModel
        do { extended = try model.appending(extra) } catch { throw .tokki(error) }
        return Result(model: extended, tokenizerJSON: nil,
                      newPieces: new.enumerated().map { NewPiece(id: count + $0.offset, piece: $0.element.text, baseIDs: $0.element.baseIDs.map(Int.init)) },
                      reserved: reservedTexts.enumerated().map { (id: count + new.count + $0.offset, piece: $0.element) },
                      baseVocabularySize: count, statistics: statistics)
    }

    /// Refuses a count of learned pieces below the one asked for.
    func checkCount(_ learned: Int, what: String? = nil) throws(TrainingError) {
        let c = configuration
        guard learned >= c.add else {
            throw .invalidConfiguration("--add \(c.add): this corpus gives only \(learned) new pieces " + (what ?? "seen at least \(c.minFrequency) times")
                + (c.scripts == .hangul ? " holding Hangul" : "") + "; lower --add or --min-frequency, or give more text")
        }
    }
}
