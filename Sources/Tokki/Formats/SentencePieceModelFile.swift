import Foundation
import SwiftProtobuf

/// A SentencePiece model (`.model` file): pieces with scores and types, plus the trainer
/// and normalizer settings that encoding depends on.
///
/// Reading keeps the whole protobuf message, unknown fields included, so ``serialized()``
/// writes back a file the reference library loads identically.
public struct SentencePieceModel: Sendable {
    /// The role of a piece in the vocabulary (SentencePiece's `SentencePiece.Type`).
    public enum PieceType: Int, Sendable, CaseIterable {
        /// An ordinary piece, matched from text.
        case normal = 1
        /// The unknown piece (exactly one per model).
        case unknown = 2
        /// A control symbol such as `<s>`: never matched from text, decodes to nothing.
        case control = 3
        /// A user-defined symbol: always matched as a whole, never split.
        case userDefined = 4
        /// A piece kept in the vocabulary but never produced by encoding.
        case unused = 5
        /// A byte-fallback piece `<0xXX>`.
        case byte = 6
    }

    /// The segmentation algorithm.
    public enum ModelType: String, Sendable {
        /// Unigram language model (Viterbi).
        case unigram
        /// Byte-pair encoding, merging by piece score.
        case bpe
        /// Whitespace-delimited words.
        case word
        /// Single characters.
        case char
    }

    /// One vocabulary entry.
    public struct Piece: Sendable, Equatable {
        /// The piece text (`▁` marks a space).
        public var piece: String
        /// The piece's score (log probability for unigram, merge priority for BPE).
        public var score: Float
        /// The piece's role.
        public var type: PieceType
    }

    /// Normalization settings (`NormalizerSpec`).
    public struct NormalizerSettings: Sendable, Equatable {
        /// Rule name, e.g. `nmt_nfkc` or `identity`.
        public var name: String
        /// The compiled normalization rules (Darts-clone trie + replacement strings); empty for identity.
        public var precompiledCharsmap: [UInt8]
        /// Prepend `▁` (or append it in suffix mode).
        public var addDummyPrefix: Bool
        /// Drop leading and trailing spaces and collapse runs of spaces.
        public var removeExtraWhitespaces: Bool
        /// Write spaces as `▁` (U+2581).
        public var escapeWhitespaces: Bool
    }

    /// The vocabulary, in id order.
    public let pieces: [Piece]
    /// The segmentation algorithm.
    public let modelType: ModelType
    /// How input text is normalized before segmentation.
    public let normalizer: NormalizerSettings
    /// How decoded text is post-processed, when the model has a denormalizer.
    public let denormalizer: NormalizerSettings?
    /// Whether unknown characters are emitted as `<0xXX>` byte pieces.
    public let byteFallback: Bool
    /// Whether `▁` goes at the end of words instead of the start.
    public let treatWhitespaceAsSuffix: Bool
    /// The id of the unknown piece.
    public let unknownID: Int
    /// The beginning-of-sentence id from the trainer settings, or nil when disabled (-1).
    public let bosID: Int?
    /// The end-of-sentence id, or nil when disabled.
    public let eosID: Int?
    /// The padding id, or nil when disabled.
    public let padID: Int?
    /// What `decode` writes for the unknown piece (default " ⁇ ").
    public let unknownSurface: String
    /// The file this model was read from, if any.
    public let path: String?

    let proto: Sentencepiece_ModelProto

    /// Reads a `.model` file.
    ///
    /// - Throws: ``TokkiError/io(path:reason:)`` when the file cannot be read,
    ///   ``TokkiError/invalidModel(path:problem:)`` when it is not a valid model.
    public init(contentsOf url: URL) throws(TokkiError) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .io(path: url.path, reason: "cannot read the model file (\(error.localizedDescription))")
        }
        try self.init(serialized: data, path: url.path)
    }

    /// Parses the bytes of a `.model` file; `path` is only used in error messages.
    public init(serialized data: Data, path: String? = nil) throws(TokkiError) {
        let proto: Sentencepiece_ModelProto
        do {
            proto = try Sentencepiece_ModelProto(serializedBytes: data)
        } catch {
            throw .invalidModel(path: path, problem: "not a SentencePiece model (protobuf decoding failed: \(error))")
        }
        try self.init(proto: proto, path: path)
    }

    init(proto: Sentencepiece_ModelProto, path: String?) throws(TokkiError) {
        func bad(_ problem: String) -> TokkiError { .invalidModel(path: path, problem: problem) }
        guard !proto.pieces.isEmpty else { throw bad("the model has no pieces (truncated or not a SentencePiece model)") }
        var pieces: [Piece] = []
        pieces.reserveCapacity(proto.pieces.count)
        var unk: Int? = nil
        var byteSeen = [Bool](repeating: false, count: 256)
        // Compare bytes, not `String`s: Swift's string equality is canonical equivalence, and
        // real vocabularies hold canonically equivalent but distinct pieces (U+1F77 / U+03AF).
        var normalSeen = Set<[UInt8]>(), reservedSeen = Set<[UInt8]>()
        let byteFallback = proto.trainerSpec.byteFallback
        for (i, p) in proto.pieces.enumerated() {
            guard let type = PieceType(rawValue: p.type.rawValue) else {
                throw bad("piece \(i) has an unknown type \(p.type.rawValue)")
            }
            guard !p.piece.isEmpty else { throw bad("piece \(i) is empty") }
            let isNormal = type == .normal || type == .userDefined || type == .unused
            if isNormal {
                guard normalSeen.insert(Array(p.piece.utf8)).inserted else { throw bad("piece \(i) \"\(p.piece)\" is defined twice") }
            } else {
                guard reservedSeen.insert(Array(p.piece.utf8)).inserted else { throw bad("piece \(i) \"\(p.piece)\" is defined twice") }
            }
            if type == .unknown {
                if let unk { throw bad("two unknown pieces: ids \(unk) and \(i)") }
                unk = i
            }
            if type == .byte {
                guard byteFallback else { throw bad("byte piece \(i) \"\(p.piece)\" found although byte_fallback is off") }
                guard let b = Self.byteValue(of: p.piece) else { throw bad("piece \(i) \"\(p.piece)\" is not a valid byte piece <0xXX>") }
                byteSeen[Int(b)] = true
            }
            pieces.append(Piece(piece: p.piece, score: p.score, type: type))
        }
        guard let unk else { throw bad("the model has no unknown piece") }
        if byteFallback, let missing = byteSeen.firstIndex(of: false) {
            throw bad("byte_fallback is on but the byte piece <0x\(Self.hex(UInt8(missing)))> is missing")
        }
        switch proto.trainerSpec.modelType {
        case .unigram: modelType = .unigram
        case .bpe: modelType = .bpe
        case .word: modelType = .word
        case .char: modelType = .char
        }
        func settings(_ spec: Sentencepiece_NormalizerSpec) -> NormalizerSettings {
            NormalizerSettings(name: spec.name, precompiledCharsmap: [UInt8](spec.precompiledCharsmap),
                               addDummyPrefix: spec.addDummyPrefix, removeExtraWhitespaces: spec.removeExtraWhitespaces,
                               escapeWhitespaces: spec.escapeWhitespaces)
        }
        self.pieces = pieces
        self.normalizer = settings(proto.normalizerSpec)
        self.denormalizer = proto.hasDenormalizerSpec && !proto.denormalizerSpec.precompiledCharsmap.isEmpty
            ? settings(proto.denormalizerSpec) : nil
        self.byteFallback = byteFallback
        self.treatWhitespaceAsSuffix = proto.trainerSpec.treatWhitespaceAsSuffix
        self.unknownID = unk
        let count = pieces.count
        func optionalID(_ v: Int32) -> Int? { v >= 0 && Int(v) < count ? Int(v) : nil }
        self.bosID = optionalID(proto.trainerSpec.bosID)
        self.eosID = optionalID(proto.trainerSpec.eosID)
        self.padID = optionalID(proto.trainerSpec.padID)
        self.unknownSurface = proto.trainerSpec.hasUnkSurface ? proto.trainerSpec.unkSurface : " \u{2047} "
        self.path = path
        self.proto = proto
    }

    /// The serialized model, byte-compatible with the reference (unknown fields preserved).
    public func serialized() throws(TokkiError) -> Data {
        do {
            return try proto.serializedData()
        } catch {
            throw .invalidModel(path: path, problem: "cannot serialize: \(error)")
        }
    }

    /// Writes the model to `url` atomically (temporary file, then rename).
    public func write(to url: URL) throws(TokkiError) {
        let data = try serialized()
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw .io(path: url.path, reason: "cannot write the model (\(error.localizedDescription))")
        }
    }

    /// A human-readable summary of the trainer settings (text format of `TrainerSpec`).
    public var trainerSettingsDescription: String { proto.trainerSpec.textFormatString() }

    /// A human-readable summary of the normalizer settings, without the charsmap bytes.
    public var normalizerSettingsDescription: String {
        var spec = proto.normalizerSpec
        spec.clearPrecompiledCharsmap()
        return spec.textFormatString()
    }

    static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }

    /// The byte of a `<0xXX>` piece (upper-case hex, as SentencePiece writes them).
    static func byteValue(of piece: String) -> UInt8? {
        let u = Array(piece.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E else { return nil }
        func digit(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x41...0x46: return c - 0x41 + 10
            default: return nil
            }
        }
        guard let hi = digit(u[3]), let lo = digit(u[4]) else { return nil }
        return hi << 4 | lo
    }
}
