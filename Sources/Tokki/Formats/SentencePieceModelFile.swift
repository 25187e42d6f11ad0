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

        /// Creates a vocabulary entry.
        public init(piece: String, score: Float, type: PieceType = .normal) {
            self.piece = piece
            self.score = score
            self.type = type
        }
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

        /// Creates normalization settings (SentencePiece's defaults for the whitespace flags).
        public init(name: String, precompiledCharsmap: [UInt8], addDummyPrefix: Bool = true,
                    removeExtraWhitespaces: Bool = true, escapeWhitespaces: Bool = true) {
            self.name = name
            self.precompiledCharsmap = precompiledCharsmap
            self.addDummyPrefix = addDummyPrefix
            self.removeExtraWhitespaces = removeExtraWhitespaces
            self.escapeWhitespaces = escapeWhitespaces
        }
    }

    /// The vocabulary, in id order (made from the compact store on first use).
    public var pieces: [Piece] { store.pieces }
    /// The pieces as read, compact.
    let store: PieceStore
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

    /// Everything but the pieces (trainer, normalizer, denormalizer specs, unknown fields).
    let proto: Sentencepiece_ModelProto
    /// The file's bytes, when the model was read from one: written back unchanged.
    let original: Data?

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
    ///
    /// The repeated `pieces` field is read by a dedicated wire-format scanner (hundreds of
    /// thousands of small messages); the remaining fields are decoded with SwiftProtobuf.
    public init(serialized data: Data, path: String? = nil) throws(TokkiError) {
        let split: (pieces: PieceStore, rest: [UInt8], invalidType: (index: Int, type: Int)?)
        do {
            split = try data.withUnsafeBytes { raw in
                try Self.splitPieces(UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count))
            }
        } catch {
            let message = (error as? WireError)?.message ?? "\(error)"
            throw .invalidModel(path: path, problem: "not a SentencePiece model (\(message))")
        }
        let proto: Sentencepiece_ModelProto
        do {
            proto = try Sentencepiece_ModelProto(serializedBytes: split.rest)
        } catch {
            throw .invalidModel(path: path, problem: "not a SentencePiece model (protobuf decoding failed: \(error))")
        }
        try self.init(store: split.pieces, invalidType: split.invalidType, settings: proto, original: data, path: path)
    }

    /// Builds a model from a decoded message (used for models made in memory).
    init(proto: Sentencepiece_ModelProto, path: String?) throws(TokkiError) {
        var settings = proto
        settings.pieces = []
        var invalidType: (index: Int, type: Int)? = nil
        let pieces: [Piece] = proto.pieces.enumerated().map { (i, p) in
            let type = PieceType(rawValue: p.type.rawValue)
            if type == nil && invalidType == nil { invalidType = (i, p.type.rawValue) }
            return Piece(piece: p.piece, score: p.score, type: type ?? .normal)
        }
        try self.init(store: PieceStore(pieces: pieces), invalidType: invalidType, settings: settings, original: nil, path: path)
    }

    struct WireError: Error { let message: String }

    /// Reads a base-128 varint at `i`.
    @inline(__always)
    static func varint(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int) throws -> UInt64 {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < end else { throw WireError(message: "truncated varint at byte \(i)") }
                let byte = b[i]; i += 1
                guard shift < 64 else { throw WireError(message: "varint too long at byte \(i)") }
                v |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return v }
                shift += 7
            }
    }

    static func skip(_ b: UnsafeBufferPointer<UInt8>, _ wireType: UInt64, _ i: inout Int, _ end: Int) throws {
            switch wireType {
            case 0: _ = try varint(b, &i, end)
            case 1: guard i + 8 <= end else { throw WireError(message: "truncated field at byte \(i)") }; i += 8
            case 2:
                let len = try varint(b, &i, end)
                guard len <= UInt64(end - i) else { throw WireError(message: "field length \(len) runs past the end at byte \(i)") }
                i += Int(len)
            case 5: guard i + 4 <= end else { throw WireError(message: "truncated field at byte \(i)") }; i += 4
            default: throw WireError(message: "unsupported wire type \(wireType) at byte \(i)")
            }
    }

    /// Separates the top-level `pieces` fields (number 1) from everything else, reading the
    /// pieces into a compact store (each text checked to be UTF-8).
    static func splitPieces(_ b: UnsafeBufferPointer<UInt8>) throws -> (pieces: PieceStore, rest: [UInt8], invalidType: (index: Int, type: Int)?) {
        var invalidType: (index: Int, type: Int)? = nil
        var starts: [Int32] = [0], scores: [Float] = [], types: [PieceType] = []
        // Where each piece's text is in the file; the texts are copied into the pool at the end,
        // in one pass (an append per piece costs more than the copy).
        var sources: [Int] = []
        // Upper bounds from the file size (a piece takes at least 7 bytes in the file).
        let expected = b.count / 12
        starts.reserveCapacity(expected + 1); scores.reserveCapacity(expected); types.reserveCapacity(expected)
        sources.reserveCapacity(expected)
        var poolCount = 0
        var rest: [UInt8] = []
        var i = 0
        let n = b.count
        func varint(_ i: inout Int, _ end: Int) throws -> UInt64 { try Self.varint(b, &i, end) }
        func skip(_ wt: UInt64, _ i: inout Int, _ end: Int) throws { try Self.skip(b, wt, &i, end) }
        while i < n {
            let fieldStart = i
            let key = try varint(&i, n)
            let field = key >> 3, wireType = key & 7
            guard field > 0 else { throw WireError(message: "invalid field number 0 at byte \(fieldStart)") }
            if field == 1 && wireType == 2 {
                let index = types.count
                let len = try varint(&i, n)
                guard len <= UInt64(n - i) else { throw WireError(message: "piece \(index) runs past the end of the file") }
                let end = i + Int(len)
                var score: Float = 0
                var type = 1
                var text: Range<Int>? = nil
                while i < end {
                    let k = try varint(&i, end)
                    switch (k >> 3, k & 7) {
                    case (1, 2):
                        let l = try varint(&i, end)
                        guard l <= UInt64(end - i) else { throw WireError(message: "piece \(index) text runs past its message") }
                        text = i..<(i + Int(l))   // the last occurrence wins, as in protobuf
                        i += Int(l)
                    case (2, 5):
                        guard i + 4 <= end else { throw WireError(message: "truncated score of piece \(index)") }
                        let bits = UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
                        score = Float(bitPattern: bits)
                        i += 4
                    case (3, 0):
                        let t = try varint(&i, end)
                        type = t > 1000 ? -1 : Int(t)
                    case (_, let wt):
                        try skip(wt, &i, end)
                    }
                }
                // An undefined type is reported by the model's checks, in piece order.
                let pieceType = PieceType(rawValue: type) ?? .normal
                if pieceType.rawValue != type && invalidType == nil { invalidType = (index, type) }
                // Checked as UTF-8 all at once below.
                let source = text ?? i..<i
                guard poolCount + source.count <= Int(Int32.max) else { throw WireError(message: "piece \(index): the pieces' text exceeds 2 GiB") }
                sources.append(source.lowerBound)
                poolCount += source.count
                starts.append(Int32(poolCount))
                scores.append(score)
                types.append(pieceType)
            } else {
                try skip(wireType, &i, n)
                rest.append(contentsOf: UnsafeBufferPointer(rebasing: b[fieldStart..<i]))
            }
        }
        let pool = [UInt8](unsafeUninitializedCapacity: poolCount) { out, initialized in
            guard let to = out.baseAddress, let from = b.baseAddress else { initialized = 0; return }
            for k in sources.indices {
                let n = Int(starts[k + 1] - starts[k])
                // Piece k's text, from where the file has it, to where the starts put it.
                assert(Int(starts[k]) + n <= out.count && sources[k] + n <= b.count)
                (to + Int(starts[k])).initialize(from: from + sources[k], count: n)
            }
            initialized = poolCount
        }
        if let bad = Self.firstInvalidPiece(pool: pool, starts: starts) {
            throw WireError(message: "piece \(bad) is not valid UTF-8")
        }
        return (PieceStore(pool: pool, starts: starts, scores: scores, types: types), rest, invalidType)
    }

    /// The first piece whose text is not valid UTF-8 on its own, or nil. One pass of the
    /// validator over all the pieces back to back, and a look at each piece's first byte: the
    /// concatenation is valid and no piece starts with a continuation byte exactly when every
    /// piece is valid (a piece cut inside a character leaves the next piece, or the end of the
    /// pool, starting inside one). Only when that fails are the pieces checked one by one, to
    /// name the first (262,144 calls of the validator cost more than the one pass).
    static func firstInvalidPiece(pool: [UInt8], starts: [Int32]) -> Int? {
        let count = starts.count - 1
        let fine: Bool = pool.withUnsafeBufferPointer { p in
            guard UTF8Validation.isWellFormed(p) else { return false }
            var continuation = false
            for k in 0..<count where starts[k + 1] > starts[k] {
                continuation = continuation || p[Int(starts[k])] & 0xC0 == 0x80
            }
            return !continuation
        }
        if fine { return nil }
        return pool.withUnsafeBufferPointer { p in
            (0..<count).first { k in
                UTF8Validation.firstInvalidOffset(in: UnsafeBufferPointer(rebasing: p[Int(starts[k])..<Int(starts[k + 1])])) != nil
            }
        }
    }

    init(store: PieceStore, invalidType: (index: Int, type: Int)? = nil, settings proto: Sentencepiece_ModelProto,
         original: Data?, path: String?) throws(TokkiError) {
        func bad(_ problem: String) -> TokkiError { .invalidModel(path: path, problem: problem) }
        guard store.count > 0 else { throw bad("the model has no pieces (truncated or not a SentencePiece model)") }
        var unk: Int? = nil
        var byteSeen = [Bool](repeating: false, count: 256)
        let byteFallback = proto.trainerSpec.byteFallback
        try store.starts.withUnsafeBufferPointer { (starts) throws(TokkiError) in
            for i in 0..<store.count {
                if let invalidType, invalidType.index == i { throw bad("piece \(i) has an unknown type \(invalidType.type)") }
                let type = store.types[i]
                // Duplicates are found (byte-wise, not by Swift's canonical-equivalence string
                // equality) when the vocabulary tries are built.
                guard starts[i + 1] > starts[i] else { throw bad("piece \(i) is empty") }
                switch type {
                case .unknown:
                    if let unk { throw bad("two unknown pieces: ids \(unk) and \(i)") }
                    unk = i
                case .byte:
                    let piece = store.text(i)
                    guard byteFallback else { throw bad("byte piece \(i) \"\(piece)\" found although byte_fallback is off") }
                    guard let b = Self.byteValue(of: piece) else { throw bad("piece \(i) \"\(piece)\" is not a valid byte piece <0xXX>") }
                    byteSeen[Int(b)] = true
                default: break
                }
            }
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
        self.store = store
        self.normalizer = settings(proto.normalizerSpec)
        self.denormalizer = proto.hasDenormalizerSpec && !proto.denormalizerSpec.precompiledCharsmap.isEmpty
            ? settings(proto.denormalizerSpec) : nil
        self.byteFallback = byteFallback
        self.treatWhitespaceAsSuffix = proto.trainerSpec.treatWhitespaceAsSuffix
        self.unknownID = unk
        let count = store.count
        func optionalID(_ v: Int32) -> Int? { v >= 0 && Int(v) < count ? Int(v) : nil }
        self.bosID = optionalID(proto.trainerSpec.bosID)
        self.eosID = optionalID(proto.trainerSpec.eosID)
        self.padID = optionalID(proto.trainerSpec.padID)
        self.unknownSurface = proto.trainerSpec.hasUnkSurface ? proto.trainerSpec.unkSurface : " \u{2047} "
        self.path = path
        self.proto = proto
        self.original = original
    }

    /// The serialized model, byte-compatible with the reference: a model read from a file
    /// is written back byte for byte (unknown fields included).
    public func serialized() throws(TokkiError) -> Data {
        if let original { return original }
        // The pieces (field 1, first in field order) are written here directly, the rest
        // of the message by swift-protobuf: the same bytes as serializing it whole, without
        // making a message object per piece.
        var rest = proto
        rest.pieces = []
        let tail: Data
        do {
            tail = try rest.serializedData()
        } catch {
            throw .invalidModel(path: path, problem: "cannot serialize: \(error)")
        }
        var out: [UInt8] = []
        var size = tail.count
        for p in pieces { size += 16 + p.piece.utf8.count }
        out.reserveCapacity(size)
        func varint(_ v: Int) {
            var x = UInt64(v)
            while x >= 0x80 { out.append(UInt8(x & 0x7F) | 0x80); x >>= 7 }
            out.append(UInt8(x))
        }
        func varintSize(_ v: Int) -> Int { v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x20_0000 ? 3 : v < 0x1000_0000 ? 4 : 5 }
        for p in pieces {
            var text = p.piece
            text.withUTF8 { t in
                let typed = p.type != .normal
                let body = 1 + varintSize(t.count) + t.count + 5 + (typed ? 1 + varintSize(p.type.rawValue) : 0)
                out.append(0x0A); varint(body)                  // pieces, length-delimited
                out.append(0x0A); varint(t.count)               // piece
                out.append(contentsOf: t)
                out.append(0x15)                                // score, fixed32
                let bits = p.score.bitPattern
                for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: bits >> (8 * k))) }
                if typed { out.append(0x18); varint(p.type.rawValue) }   // type
            }
        }
        out.append(contentsOf: tail)
        return Data(out)
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
