#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The vocabulary of a SentencePiece model, indexed for encoding. Immutable; a class so
/// that models holding it copy one reference, not a dozen arrays, in their hot loops.
public final class SentencePieceVocabulary: Sendable {
    /// Piece texts as UTF-8, back to back; piece `id` is
    /// `pool[pieceStart[id] ..< pieceStart[id + 1]]`.
    let pool: [UInt8]
    let pieceStart: [Int32]
    /// Piece strings, by id (made on first use; ``piece(_:)`` makes one without the array).
    public var pieces: [String] { store.pieceTexts }
    let store: SentencePieceModel.PieceStore
    /// Scores, by id.
    public let scores: [Float]
    /// Types, by id.
    public let types: [SentencePieceModel.PieceType]
    /// NORMAL, USER_DEFINED and UNUSED pieces: what text can match.
    let matchable: DoubleArrayTrie
    /// The same pieces in a hash table, for models that only need exact look-ups (BPE):
    /// building it is much cheaper than a trie for large vocabularies.
    let matchableTable: PooledKeyTable?
    /// CONTROL, UNKNOWN and BYTE pieces: looked up first by `id(for:)`, as the reference does.
    /// Only ever looked up whole, so a hash table: a model with tens of thousands of control
    /// pieces builds it in a fraction of the time a trie takes.
    let reserved: PooledKeyTable
    /// The unknown piece's id.
    public let unknownID: Int
    /// `<0xXX>` ids by byte, when the model has byte fallback.
    let byteIDs: [Int32]?
    /// Lowest and highest score over NORMAL pieces (`FLT_MAX` / `FLT_MIN` when there are none).
    let minScore: Float
    let maxScore: Float
    /// `isUserDefined[id]` and `isUnused[id]` flags for the hot loops.
    let isUserDefined: [Bool]
    let isUnused: [Bool]
    /// Whether any piece is UNUSED (BPE then records how to re-split merges).
    let hasUnused: Bool
    /// The unigram Viterbi's score of each id in one look-up: a NORMAL piece's score, or NaN
    /// for the pieces that need ``isUnused``, ``isUserDefined`` and ``scores`` (UNUSED and
    /// USER_DEFINED pieces, and a NaN score). Built only for prefix search (the unigram model).
    let viterbiScores: [Float]

    /// Indexes `model`'s pieces. `prefixSearch` builds the trie the unigram model walks;
    /// without it (BPE) the matchable pieces go into a hash table instead.
    init(model: SentencePieceModel, prefixSearch: Bool = true, prebuilt: Tables? = nil) throws(TokkiError) {
        // The model's compact store is shared as it is: no string per piece is made here.
        let store = model.store
        let count = store.count
        let pool = store.pool, starts = store.starts, scores = store.scores, types = store.types
        // The matchable and the reserved ids; the trie (prefix search) also takes the matchable
        // pieces' places in the pool.
        var mStarts: [Int32] = [], mLengths: [Int32] = [], mVals: [Int] = [], rVals: [Int] = []
        mVals.reserveCapacity(count)
        if prefixSearch { mStarts.reserveCapacity(count); mLengths.reserveCapacity(count) }
        var minS = Float.greatestFiniteMagnitude, maxS = Float.leastNormalMagnitude
        pool.withUnsafeBufferPointer { p in
            // Pieces with U+0000 are rare: one search of the whole pool says whether to look.
            let anyNUL = !p.isEmpty && memchr(p.baseAddress!, 0, p.count) != nil
            for i in 0..<count {
                let start = starts[i], length = starts[i + 1] - start
                let hasNUL = anyNUL && length > 0 && memchr(p.baseAddress! + Int(start), 0, Int(length)) != nil
                // A piece containing U+0000 cannot be a trie key (keys are NUL-terminated in the
                // layout, as in the reference); such pieces are never matched from text.
                switch types[i] {
                case .normal, .userDefined, .unused:
                    if !hasNUL {
                        mVals.append(i)
                        if prefixSearch { mStarts.append(start); mLengths.append(length) }
                    }
                    if types[i] == .normal { minS = min(minS, scores[i]); maxS = max(maxS, scores[i]) }
                case .control, .unknown, .byte:
                    if !hasNUL { rVals.append(i) }
                }
            }
        }
        /// The error for a piece text defined twice, naming every id that has it.
        func definedTwice(_ key: [UInt8]) -> TokkiError {
            let ids = (0..<count).filter { Array(store.bytes($0)) == key }
            return .invalidModel(path: model.path, problem: "piece \"\(String(decoding: key, as: UTF8.self))\" is defined twice (ids \(ids.map(String.init).joined(separator: ", ")))")
        }
        /// A hash table of the pieces `ids`, whose texts are in the pool.
        func table(_ ids: [Int]) throws(TokkiError) -> PooledKeyTable {
            switch PooledKeyTable.build(pool: pool, starts: starts, ids: ids.map { Int32($0) }) {
            case .success(let table): return table
            case .failure(let duplicate): throw definedTwice(Array(store.bytes(duplicate.id)))
            }
        }
        if let prebuilt, prebuilt.prefixSearch == prefixSearch {
            // Read from a cache image of this very file (see ``Tables``).
            matchableTable = prebuilt.matchableTable
            reserved = prebuilt.reserved
            matchable = prebuilt.trie
        } else {
            matchableTable = prefixSearch ? nil : try table(mVals)
            reserved = try table(rVals)
            do {
                matchable = prefixSearch ? try DoubleArrayTrie(pool: pool, starts: mStarts, lengths: mLengths, values: mVals) : DoubleArrayTrie(units: [])
            } catch .duplicateKey(let key) {
                throw definedTwice(key)
            } catch {
                throw .invalidModel(path: model.path, problem: "cannot index the vocabulary: \(error)")
            }
        }
        self.pool = pool; pieceStart = starts
        self.store = store; self.scores = scores; self.types = types
        unknownID = model.unknownID
        minScore = minS; maxScore = maxS
        isUserDefined = types.map { $0 == .userDefined }
        isUnused = types.map { $0 == .unused }
        hasUnused = types.contains(.unused)
        viterbiScores = prefixSearch ? zip(scores, types).map { $0.1 == .normal ? $0.0 : .nan } : []
        if model.byteFallback {
            var ids = [Int32](repeating: -1, count: 256)
            for i in 0..<count where types[i] == .byte {
                if let v = SentencePieceModel.byteValue(of: store.text(i)) { ids[Int(v)] = Int32(i) }
            }
            byteIDs = ids
        } else {
            byteIDs = nil
        }
    }

    /// The number of pieces.
    public var count: Int { types.count }

    /// The tables that indexing a vocabulary builds (the trie of a unigram model, or the hash
    /// table of a BPE model's matchable pieces, and the reserved pieces' table): what a
    /// ``ModelCache`` image of a `.model` file holds, so that the next load reads them instead
    /// of building them (the trie of a 262k-piece unigram model takes most of its load).
    struct Tables: Sendable {
        let prefixSearch: Bool
        let trie: DoubleArrayTrie
        let matchableTable: PooledKeyTable?
        let reserved: PooledKeyTable

        /// A hash of the pieces' texts, boundaries and types (which pieces the trie and tables
        /// hold): an image's tables are used only for the pieces they were built from
        /// (whatever the cache's key says).
        static func fingerprint(_ store: SentencePieceModel.PieceStore) -> ContentHash.Digest {
            let a = store.pool.withUnsafeBytes { ContentHash.digest($0) }
            let b = store.starts.withUnsafeBytes { ContentHash.digest($0) }
            let c = store.types.map { UInt8(truncatingIfNeeded: $0.rawValue) }.withUnsafeBytes { ContentHash.digest($0) }
            return (a.0 ^ (b.1 << 17 | b.1 >> 47) ^ (c.0 << 41 | c.0 >> 23), a.1 ^ (b.0 << 29 | b.0 >> 35) ^ c.1)
        }

        /// Writes `vocabulary`'s tables.
        static func write(_ vocabulary: SentencePieceVocabulary, to w: inout ImageWriter) {
            w.int(vocabulary.count)
            let digest = fingerprint(vocabulary.store)
            w.int(Int(bitPattern: UInt(digest.0)))
            w.int(Int(bitPattern: UInt(digest.1)))
            w.int(vocabulary.matchableTable == nil ? 1 : 0)
            w.array(vocabulary.matchable.units)
            if let table = vocabulary.matchableTable { table.write(to: &w) }
            vocabulary.reserved.write(to: &w)
        }

        /// The tables of an image written for `model`'s file, checked against it: the piece
        /// count, every key table's ids and every value the trie can give (below the piece
        /// count, so that no look-up reads outside the per-piece arrays).
        init(image r: inout ImageReader, model: SentencePieceModel) throws(ImageReader.Malformed) {
            let store = model.store
            let at = r.offset
            guard try r.int() == store.count else { throw ImageReader.Malformed(offset: at, problem: "another piece count") }
            let digest = Self.fingerprint(store)
            guard try UInt64(UInt(bitPattern: r.int())) == digest.0, try UInt64(UInt(bitPattern: r.int())) == digest.1 else {
                throw ImageReader.Malformed(offset: at + 8, problem: "the tables of other pieces")
            }
            let flag = try r.int()
            guard flag == 0 || flag == 1 else { throw ImageReader.Malformed(offset: at + 24, problem: "bad flag") }
            prefixSearch = flag == 1
            let trieAt = r.offset
            trie = DoubleArrayTrie(units: try r.array(UInt32.self))
            guard prefixSearch ? !trie.units.isEmpty && trie.valuesAreBelow(store.count) : trie.units.isEmpty else {
                throw ImageReader.Malformed(offset: trieAt, problem: "inconsistent trie")
            }
            matchableTable = prefixSearch ? nil : try PooledKeyTable(image: &r, pool: store.pool, starts: store.starts)
            reserved = try PooledKeyTable(image: &r, pool: store.pool, starts: store.starts)
            try r.expectEnd()
        }
    }

    /// The text of piece `id` (which must exist).
    public func piece(_ id: Int) -> String { store.text(id) }

    /// The UTF-8 bytes of piece `id`.
    @inline(__always)
    func bytes(of id: Int) -> ArraySlice<UInt8> {
        pool[Int(pieceStart[id])..<Int(pieceStart[id + 1])]
    }

    /// The id of `piece` as the reference's `PieceToId`: reserved pieces first, then the
    /// others, else the unknown id.
    public func id(for piece: String) -> Int {
        let b = Array(piece.utf8)
        if let v = b.withUnsafeBufferPointer({ $0.baseAddress.flatMap { reserved.value($0, b.count) } }) { return Int(v) }
        if let v = b.withUnsafeBufferPointer({ matchableID($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, 0, b.count) }) { return v }
        return unknownID
    }

    /// `PieceToId` over a byte range, without allocating.
    @inline(__always)
    func id(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        if end > start, let v = reserved.value(p + start, end - start) { return Int(v) }
        if let v = matchableID(p, start, end) { return v }
        return unknownID
    }

    /// The id of the piece `p[start..<end]`, or the unknown id; unlike ``id(_:_:_:)``, text
    /// spelling a control piece (`<s>`) is unknown, as in the reference's CHAR and WORD models.
    @inline(__always)
    func idOrUnknown(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int32 {
        Int32(matchableID(p, start, end) ?? unknownID)
    }

    /// The id of the NORMAL, USER_DEFINED or UNUSED piece exactly `p[start..<end]`.
    @inline(__always)
    func matchableID(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        guard end > start else { return nil }
        if let table = matchableTable { return table.value(p + start, end - start).map(Int.init) }
        return exact(matchable, p, start, end)
    }

    @inline(__always)
    func exact(_ trie: DoubleArrayTrie, _ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        var found: Int? = nil
        trie.forEachPrefix(of: p, from: start, to: end) { v, l in
            if l == end - start { found = v; return false }
            return true
        }
        return found
    }
}

/// One segment chosen by a model: a byte range of the normalized text and a piece id.
public struct TokenSpan: Sendable, Equatable {
    /// Start of the segment in the normalized bytes.
    public var start: Int32
    /// End (exclusive) of the segment in the normalized bytes.
    public var end: Int32
    /// The piece id (the unknown id for unknown text).
    public var id: Int32
}

/// A segmentation algorithm over normalized UTF-8. Each pipeline stage is one small
/// protocol, so a new algorithm is one conforming type.
public protocol TokenModel: Sendable {
    /// Appends the segments of `normalized` to `spans`, in order, covering every byte.
    func segment(_ normalized: UnsafeBufferPointer<UInt8>, into spans: inout [TokenSpan])
}
