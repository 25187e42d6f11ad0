import Foundation

extension SentencePieceModel {
    /// The trainer settings recorded in a model (`TrainerSpec`): what a trainer was asked
    /// for, so that `tokki inspect` and the reference library show it.
    public struct TrainerSettings: Sendable, Equatable {
        /// Input files.
        public var inputs: [String] = []
        /// The output prefix.
        public var modelPrefix: String = ""
        /// Requested vocabulary size.
        public var vocabularySize: Int = 8000
        /// Character coverage.
        public var characterCoverage: Double = 0.9995
        /// Sampled input sentences (0: all).
        public var inputSentenceSize: Int = 0
        /// Longest piece, in characters.
        public var maxPieceLength: Int = 16
        /// Pieces do not mix Unicode scripts.
        public var splitByUnicodeScript: Bool = true
        /// Pieces do not mix digits and other characters.
        public var splitByNumber: Bool = true
        /// Pieces do not cross whitespace.
        public var splitByWhitespace: Bool = true
        /// Every digit is its own piece.
        public var splitDigits: Bool = false
        /// Byte fallback pieces.
        public var byteFallback: Bool = false
        /// Control symbols.
        public var controlSymbols: [String] = []
        /// User-defined symbols.
        public var userDefinedSymbols: [String] = []
        /// Threads used.
        public var threads: Int = 1
        /// Special piece ids (-1: absent) and texts.
        public var unknownID = 0, bosID = 1, eosID = 2, padID = -1
        /// The special pieces' texts.
        public var unknownPiece = "<unk>", bosPiece = "<s>", eosPiece = "</s>", padPiece = "<pad>"

        /// Settings with SentencePiece's defaults.
        public init() {}
    }

    /// Assembles a model in memory (as a trainer does); `serialized()` gives the `.model`
    /// bytes.
    ///
    /// - Throws: ``TokkiError/invalidModel(path:problem:)`` when the pieces break
    ///   SentencePiece's rules (exactly one unknown piece, byte pieces only with byte
    ///   fallback).
    public init(pieces: [Piece], modelType: ModelType, normalizer: NormalizerSettings,
                trainer: TrainerSettings) throws(TokkiError) {
        var proto = Sentencepiece_ModelProto()
        proto.pieces = pieces.map { p in
            var s = Sentencepiece_ModelProto.SentencePiece()
            s.piece = p.piece
            s.score = p.score
            s.type = Sentencepiece_ModelProto.SentencePiece.TypeEnum(rawValue: p.type.rawValue) ?? .normal
            return s
        }
        var t = Sentencepiece_TrainerSpec()
        t.input = trainer.inputs
        t.modelPrefix = trainer.modelPrefix
        switch modelType {
        case .unigram: t.modelType = .unigram
        case .bpe: t.modelType = .bpe
        case .word: t.modelType = .word
        case .char: t.modelType = .char
        }
        t.vocabSize = Int32(trainer.vocabularySize)
        t.characterCoverage = Float(trainer.characterCoverage)
        t.inputSentenceSize = UInt64(max(0, trainer.inputSentenceSize))
        t.maxSentencepieceLength = Int32(trainer.maxPieceLength)
        t.splitByUnicodeScript = trainer.splitByUnicodeScript
        t.splitByNumber = trainer.splitByNumber
        t.splitByWhitespace = trainer.splitByWhitespace
        t.splitDigits = trainer.splitDigits
        t.byteFallback = trainer.byteFallback
        t.controlSymbols = trainer.controlSymbols
        t.userDefinedSymbols = trainer.userDefinedSymbols
        t.numThreads = Int32(trainer.threads)
        t.unkID = Int32(trainer.unknownID); t.bosID = Int32(trainer.bosID)
        t.eosID = Int32(trainer.eosID); t.padID = Int32(trainer.padID)
        t.unkPiece = trainer.unknownPiece; t.bosPiece = trainer.bosPiece
        t.eosPiece = trainer.eosPiece; t.padPiece = trainer.padPiece
        proto.trainerSpec = t
        var n = Sentencepiece_NormalizerSpec()
        n.name = normalizer.name
        n.precompiledCharsmap = Data(normalizer.precompiledCharsmap)
        n.addDummyPrefix = normalizer.addDummyPrefix
        n.removeExtraWhitespaces = normalizer.removeExtraWhitespaces
        n.escapeWhitespaces = normalizer.escapeWhitespaces
        proto.normalizerSpec = n
        try self.init(proto: proto, path: nil)
    }

    /// The `.vocab` text SentencePiece writes beside a model: `piece<TAB>score` per line.
    public func vocabularyText() -> String {
        var out = ""
        for p in pieces {
            let score = p.score == p.score.rounded() && abs(p.score) < 1e7 ? String(Int(p.score)) : "\(p.score)"
            out += "\(p.piece)\t\(score)\n"
        }
        return out
    }
}

extension SentencePieceModel {
    /// A copy of this model with `extra` pieces after its own: every existing id keeps its
    /// piece, score and type, and every other setting (normalizer, trainer spec, unknown
    /// fields) is kept; the trainer spec's vocabulary size is updated.
    ///
    /// - Throws: ``TokkiError/invalidModel(path:problem:)`` when a new piece is spelled like
    ///   an existing one or breaks SentencePiece's rules.
    public func appending(_ extra: [Piece]) throws(TokkiError) -> SentencePieceModel {
        var settings = proto
        settings.pieces = []
        settings.trainerSpec.vocabSize = Int32(pieces.count + extra.count)
        let model = try SentencePieceModel(store: PieceStore(pieces: pieces + extra), settings: settings, original: nil, path: nil)
        return model
    }

    /// The longest piece the trainer allowed, in characters (`max_sentencepiece_length`).
    public var maxPieceLength: Int { proto.trainerSpec.hasMaxSentencepieceLength ? Int(proto.trainerSpec.maxSentencepieceLength) : 16 }

    /// Whether the trainer kept digits apart from other characters (`split_by_number`).
    public var splitsByNumber: Bool { proto.trainerSpec.hasSplitByNumber ? proto.trainerSpec.splitByNumber : true }
}
