import Dispatch
import Foundation

/// Hugging Face's BPE model: a pre-token is split into characters (or, for byte-level
/// vocabularies, bytes), then adjacent pairs are merged in the order of the `merges` list
/// (lowest rank first, leftmost on ties) until no listed pair remains.
///
/// ```swift
/// let bpe = try BPEModel(vocabulary: ["a": 0, "b": 1, "ab": 2], merges: [("a", "b")])
/// ```
///
/// Options follow `tokenizers`' `models.BPE`: `unk_token`, `fuse_unk`, `byte_fallback`,
/// `continuing_subword_prefix`, `end_of_word_suffix`, `ignore_merges` and `dropout`.
public struct BPEModel: Sendable {
    /// Model options (names as in `tokenizer.json`).
    public struct Options: Sendable, Equatable {
        /// Probability of skipping a merge (BPE-dropout), or nil.
        public var dropout: Double?
        /// The token for characters not in the vocabulary; without one they are dropped.
        public var unknownToken: String?
        /// Prefix of every non-initial symbol of a word (`##` in some models).
        public var continuingSubwordPrefix: String?
        /// Suffix of the final symbol of a word (`</w>` in some models).
        public var endOfWordSuffix: String?
        /// Merge consecutive unknown characters into one unknown token.
        public var fuseUnknown: Bool
        /// Emit `<0xXX>` tokens for the bytes of unknown characters.
        public var byteFallback: Bool
        /// Emit a whole pre-token as one token when it is in the vocabulary.
        public var ignoreMerges: Bool

        /// Options with `tokenizers`' defaults.
        public init(dropout: Double? = nil, unknownToken: String? = nil, continuingSubwordPrefix: String? = nil,
                    endOfWordSuffix: String? = nil, fuseUnknown: Bool = false, byteFallback: Bool = false,
                    ignoreMerges: Bool = false) {
            self.dropout = dropout
            self.unknownToken = unknownToken
            self.continuingSubwordPrefix = continuingSubwordPrefix
            self.endOfWordSuffix = endOfWordSuffix
            self.fuseUnknown = fuseUnknown
            self.byteFallback = byteFallback
            self.ignoreMerges = ignoreMerges
        }
    }

    /// The options.
    public let options: Options
    /// Whether pre-tokens are raw bytes whose tokens are GPT-2 byte-level strings.
    public let byteLevel: Bool
    let tokens: TokenTable
    /// For byte-level models with `ignore_merges`: token strings decoded to the raw bytes
    /// they stand for (whole pre-tokens are looked up in it).
    let rawTokens: TokenTable?
    let merges: PairTable
    /// tiktoken models: no pair table; the merge of two adjacent symbols is the token (if
    /// any) spelled by their bytes, looked up in `tokens` and ranked by its id, as tiktoken's
    /// own `_byte_pair_merge` does. Loading then builds no table of every token's splits.
    let mergesByBytes: Bool
    /// The merges in rank order, as (left, right) ids.
    let mergeList: [(Int32, Int32)]
    let unknownID: Int32?
    let byteFallbackIDs: [Int32]?
    /// Byte-level models: the id of each single byte (-1 when absent).
    let byteIDs: [Int32]
    /// Plain byte-level models: the merge of every two single bytes, `rank << 32 | merged id`
    /// (UInt64.max: none), at `first << 8 | second` — a word's first merges, read from 512 KB
    /// instead of the pair table. Empty for other models.
    let bytePairs: [UInt64]
    let prefix: [UInt8]
    let suffix: [UInt8]

    /// A model from a vocabulary and merges given as token strings.
    ///
    /// - Throws: ``TokkiError/invalidModel(path:problem:)`` naming a merge whose tokens (or
    ///   whose result) are not in the vocabulary, or a duplicated token or id.
    public init(vocabulary: [String: Int], merges: [(String, String)], options: Options = Options(), byteLevel: Bool = false) throws(TokkiError) {
        let tokens = vocabulary.map { (bytes: ArraySlice(Array($0.key.utf8)), id: $0.value) }
        let table: TokenTable
        do { table = try TokenTable(tokens: tokens) } catch { throw .invalidModel(path: nil, problem: "vocabulary: \(error.message)") }
        var list: [(Int32, Int32)] = []
        for (k, m) in merges.enumerated() {
            guard let a = table.id(Array(m.0.utf8)), let b = table.id(Array(m.1.utf8)) else {
                throw .invalidModel(path: nil, problem: "merge \(k) ('\(m.0) \(m.1)') names a token that is not in the vocabulary")
            }
            list.append((a, b))
        }
        try self.init(tokens: table, merges: list, options: options, byteLevel: byteLevel, path: nil)
    }

    /// A model from a token table and merges as id pairs (ranks = positions). `mergedIDs`
    /// (the id of each merge's result, -1 when it is not a token) are looked up when not given.
    /// `rawTokens`: the table of tokens as raw bytes when already built (a cache image).
    init(tokens: TokenTable, merges: [(Int32, Int32)], mergedIDs: [Int32]? = nil, options: Options, byteLevel: Bool,
         path: String?, rawTokens prebuiltRaw: TokenTable? = nil, pairs prebuiltPairs: PairTable? = nil) throws(TokkiError) {
        self.tokens = tokens
        self.options = options
        self.byteLevel = byteLevel
        self.mergeList = merges
        mergesByBytes = false
        let prefixBytes = Array((options.continuingSubwordPrefix ?? "").utf8)
        let mergedIDs = mergedIDs ?? Self.mergedIDs(merges, tokens: tokens, prefix: prefixBytes)
        if let rank = mergedIDs.firstIndex(of: -1) {
            let m = merges[rank]
            let a = String(decoding: tokens.bytes(of: Int(m.0)), as: UTF8.self), b = String(decoding: tokens.bytes(of: Int(m.1)), as: UTF8.self)
            throw .invalidModel(path: path, problem: "model.merges[\(rank)]: the merge of '\(a)' and '\(b)' is not in the vocabulary")
        }
        // The pair table and (byte-level models with ignore_merges) the table of tokens as raw
        // bytes need nothing from each other: built side by side.
        let buildRaw = byteLevel && options.ignoreMerges && prebuiltRaw == nil
        nonisolated(unsafe) var pairs: PairTable? = prebuiltPairs
        nonisolated(unsafe) var raw: Result<TokenTable, TokkiError>? = byteLevel && options.ignoreMerges ? prebuiltRaw.map { .success($0) } : nil
        Parallelism.run(tasks: buildRaw ? 2 : 1) { task in
            if task == 0 {
                if pairs == nil { pairs = PairTable(merges: merges, mergedIDs: mergedIDs) }
            } else {
                raw = Result { () throws(TokkiError) in try Self.rawTokenTable(tokens, path: path) }
            }
        }
        guard let pairs else { throw .invalidModel(path: path, problem: "internal: the merge table was not built") }
        self.merges = pairs
        switch raw {
        case .success(let table)?: rawTokens = table
        case .failure(let error)?: throw error
        case nil: rawTokens = nil
        }
        if let unk = options.unknownToken {
            unknownID = tokens.id(Array(unk.utf8))
        } else {
            unknownID = nil
        }
        byteFallbackIDs = options.byteFallback ? tokens.byteFallbackIDs() : nil
        prefix = prefixBytes
        suffix = Array((options.endOfWordSuffix ?? "").utf8)
        if byteLevel {
            var single = [Int32](repeating: -1, count: 256)
            for b in 0..<256 { single[b] = tokens.id(ByteLevelAlphabet.utf8ForByte[b]) ?? -1 }
            byteIDs = single
            bytePairs = prefixBytes.isEmpty && suffix.isEmpty ? Self.bytePairs(merges, mergedIDs, single, vocabularySize: tokens.count) : []
        } else {
            byteIDs = []
            bytePairs = []
        }
    }

    /// The id of each merge's result (left token, then right token without `prefix` when it
    /// starts with it), -1 when it is not a token; looked up on all cores.
    static func mergedIDs(_ merges: [(Int32, Int32)], tokens: TokenTable, prefix: [UInt8]) -> [Int32] {
        var mergedIDs = [Int32](repeating: -1, count: merges.count)
        mergedIDs.withUnsafeMutableBufferPointer { out in
            tokens.pool.withUnsafeBufferPointer { pool in
                tokens.starts.withUnsafeBufferPointer { starts in
                    tokens.lengths.withUnsafeBufferPointer { lengths in
                        tokens.withUnsafeLookup { lookup in
                            nonisolated(unsafe) let out = out
                            parallelRanges(merges.count, threads: min(4, Parallelism.threads), grain: 4096) { range in
                                var joined: [UInt8] = []
                                for rank in range {
                                    let (a, b) = merges[rank]
                                    joined.removeAll(keepingCapacity: true)
                                    if let p = pool.baseAddress {
                                        joined.append(contentsOf: UnsafeBufferPointer(start: p + Int(starts[Int(a)]), count: Int(lengths[Int(a)])))
                                        var right = UnsafeBufferPointer(start: p + Int(starts[Int(b)]), count: Int(lengths[Int(b)]))
                                        if !prefix.isEmpty && right.starts(with: prefix) { right = UnsafeBufferPointer(rebasing: right.dropFirst(prefix.count)) }
                                        joined.append(contentsOf: right)
                                    }
                                    assert(rank < out.count)
                                    out[rank] = joined.withUnsafeBufferPointer { j in
                                        withUnsafePointer(to: UInt8(0)) { zero in lookup.value(j.baseAddress ?? zero, j.count) }
                                    } ?? -1
                                }
                            }
                        }
                    }
                }
            }
        }
        return mergedIDs
    }

    /// A byte-level vocabulary's tokens decoded to the raw bytes they stand for (tokens that
    /// are not byte-level strings are left out).
    static func rawTokenTable(_ tokens: TokenTable, path: String?) throws(TokkiError) -> TokenTable {
        let count = tokens.count
        var pool = [UInt8](repeating: 0, count: tokens.pool.count)
        var starts: [Int32] = [], lengths: [Int32] = [], ids: [Int32] = []
        starts.reserveCapacity(count); lengths.reserveCapacity(count); ids.reserveCapacity(count)
        var used = 0
        ByteLevelAlphabet.byteForScalar.withUnsafeBufferPointer { byteFor in
            tokens.pool.withUnsafeBufferPointer { b in
                tokens.starts.withUnsafeBufferPointer { tokenStarts in
                    tokens.lengths.withUnsafeBufferPointer { tokenLengths in
                        pool.withUnsafeMutableBufferPointer { out in
                            guard let p = b.baseAddress, let o = out.baseAddress else { return }
                            for id in 0..<count where tokenLengths[id] >= 0 {
                                let s = Int(tokenStarts[id]), e = s + Int(tokenLengths[id])
                                let mark = used
                                var i = s
                                var ok = true
                                while i < e {
                                    // Byte-level strings use U+0021…U+0143 only (1 or 2 UTF-8 bytes).
                                    let c = p[i]
                                    var v: Int
                                    if c < 0x80 {
                                        v = Int(c); i += 1
                                    } else {
                                        let (scalar, len) = decodeScalar(p, i, e)
                                        v = Int(scalar); i += len
                                    }
                                    guard v < 0x144, byteFor[v] >= 0 else { ok = false; break }
                                    // One byte per scalar of at least one byte: `used` ≤ i ≤ the pool's size.
                                    assert(used < out.count)
                                    o[used] = UInt8(truncatingIfNeeded: byteFor[v])
                                    used += 1
                                }
                                if ok {
                                    starts.append(Int32(mark)); lengths.append(Int32(used - mark)); ids.append(Int32(id))
                                } else {
                                    used = mark
                                }
                            }
                        }
                    }
                }
            }
        }
        pool.removeSubrange(used...)
        do { return try TokenTable(pool: pool, keyStarts: starts, keyLengths: lengths, ids: ids) } catch {
            throw .invalidModel(path: path, problem: "model.vocab: \(error.message) (after byte-level decoding)")
        }
    }

    /// The number of merges.
    public var mergeCount: Int { mergeList.count }

    /// The merges in rank order, as (left, right) ids (vocabulary extension reads them).
    package var mergePairs: [(Int32, Int32)] { mergeList }

    /// Byte-level models: the id of each single byte (-1 when absent).
    package var singleByteIDs: [Int32] { byteIDs }

    /// The id of the unknown token, if any.
    package var unknownTokenID: Int32? { unknownID }

    /// tiktoken's byte-pair encoding as a BPE model over raw bytes: two adjacent symbols merge
    /// when their bytes together are a token, ranked by that token's rank, so merging the
    /// lowest-rank adjacent pair first (leftmost on ties) is exactly tiktoken's
    /// `_byte_pair_merge`; a pre-token that is itself a token is emitted whole, as tiktoken does.
    init(tiktoken table: TokenTable, path: String?) {
        tokens = table
        rawTokens = table
        options = Options(ignoreMerges: true)
        byteLevel = true
        mergeList = []
        unknownID = nil
        byteFallbackIDs = nil
        prefix = []
        suffix = []
        var single = [Int32](repeating: -1, count: 256)
        for b in 0..<256 { single[b] = table.id([UInt8(b)]) ?? -1 }
        byteIDs = single
        merges = PairTable(capacity: 0)
        mergesByBytes = true
        // A pair of bytes merges into the token they spell, ranked by its id.
        var pairs = [UInt64](repeating: .max, count: 1 << 16)
        for id in 0..<table.count where table.lengths[id] == 2 {
            let b = table.bytes(of: id)
            pairs[Int(b[b.startIndex]) << 8 | Int(b[b.startIndex + 1])] = UInt64(id) << 32 | UInt64(id)
        }
        bytePairs = pairs
    }

    /// ``bytePairs`` from the merges (the first of a pair wins, as in the pair table).
    static func bytePairs(_ merges: [(Int32, Int32)], _ mergedIDs: [Int32], _ byteIDs: [Int32], vocabularySize: Int) -> [UInt64] {
        var byteOf = [Int16](repeating: -1, count: vocabularySize)
        for b in 0..<256 where byteIDs[b] >= 0 && Int(byteIDs[b]) < vocabularySize { byteOf[Int(byteIDs[b])] = Int16(b) }
        var pairs = [UInt64](repeating: .max, count: 1 << 16)
        for (rank, (a, b)) in merges.enumerated() where a >= 0 && Int(a) < vocabularySize && b >= 0 && Int(b) < vocabularySize {
            let x = byteOf[Int(a)], y = byteOf[Int(b)]
            guard x >= 0 && y >= 0 else { continue }
            let k = Int(x) << 8 | Int(y)
            if pairs[k] == .max { pairs[k] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: mergedIDs[rank])) }
        }
        return pairs
    }
}

extension BPEModel: PieceModel {
    /// One more than the highest id.
    public var vocabularySize: Int { tokens.count }

    func id(for token: [UInt8]) -> Int? { tokens.id(token).map(Int.init) }

    /// The id of a token's text, or nil.
    public func id(for token: String) -> Int? { tokens.id(Array(token.utf8)).map(Int.init) }

    /// The text of token `id`, or nil.
    public func token(for id: Int) -> String? { tokens.string(of: id) }

    // Always inlined, as is tokenizeIDs, so that a hit costs no call. BPEModel is a large struct
    // (384 bytes): a method call passes it by address, but a closure that captures it copies
    // all of it (memcpy) each time the closure runs, so the per-piece paths hold no closure
    // over the model; the miss paths below are methods that are not inlined.
    @inline(__always)
    func tokenize(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [ModelToken], scratch: inout ModelScratch) {
        guard n > 0 else { return }
        // With dropout the tokens are random: never cached.
        guard options.dropout == nil || options.dropout == 0 else {
            tokenizeUncached(p, n, into: &out, scratch: &scratch)
            return
        }
        let h = PieceCache.hash(p, n)
        if !PieceCache.cachedTokens(p, n, h, into: &out, scratch: &scratch) { tokensOnMiss(p, n, h, into: &out, scratch: &scratch) }
    }

    // The miss paths are not inlined, and call the model directly (no closure around it, which
    // would copy the whole model on every miss), then cache the tokens (``PieceCache/remember``).
    @inline(never)
    func tokensOnMiss(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32, into out: inout [ModelToken], scratch: inout ModelScratch) {
        let first = out.count
        tokenizeUncached(p, n, into: &out, scratch: &scratch)
        PieceCache.remember(p, n, h, out[first...], scratch: &scratch)
    }

    @inline(never)
    func idsOnMiss(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32, into ids: inout [Int32], scratch: inout ModelScratch) {
        var tokens: [ModelToken] = []
        swap(&tokens, &scratch.missTokens)
        tokens.removeAll(keepingCapacity: true)
        tokenizeUncached(p, n, into: &tokens, scratch: &scratch)
        PieceCache.remember(p, n, h, tokens[...], scratch: &scratch)
        for t in tokens { ids.append(t.id) }
        swap(&tokens, &scratch.missTokens)
    }

    @inline(never)
    private func idsWithDropout(_ p: UnsafePointer<UInt8>, _ n: Int, into ids: inout [Int32], scratch: inout ModelScratch) {
        ModelScratch.appendIDs(to: &ids, scratch: &scratch) { tokens, scratch in tokenizeUncached(p, n, into: &tokens, scratch: &scratch) }
    }

    /// Appends the ids of the pieces `split` finds in `text` (a split that
    /// ``RegexSplit/scansPieces``), each tokenized as the scanner finds it.
    ///
    /// A loop over a cursor, not a closure per piece: a closure that calls the model captures
    /// it, and a closure's capture of this large struct is copied (hundreds of bytes) on every
    /// piece. A hit reads the word cache only; a miss calls a method that is not inlined.
    @inline(__always)
    func appendPieceIDs(_ split: RegexSplit, _ text: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], scratch: inout ModelScratch) {
        guard let base = text.baseAddress, var cursor = split.pieceCursor(text) else { return }
        guard options.dropout == nil || options.dropout == 0 else {
            while let (start, end) = cursor.next() { tokenizeIDs(base + start, end - start, into: &ids, scratch: &scratch) }
            return
        }
        // Pieces are found a piece ahead, and the shared word table's slot of the next one is
        // prefetched while this one is looked up (the table is larger than the cache).
        var next = cursor.next()
        var nextHash: UInt32 = 0
        if let (s, e) = next {
            nextHash = PieceCache.hash(base + s, e - s)
            scratch.cache.prefetch(nextHash)
        }
        while let (start, end) = next {
            let h = nextHash
            next = cursor.next()
            if let (s, e) = next {
                nextHash = PieceCache.hash(base + s, e - s)
                scratch.cache.prefetch(nextHash)
            }
            let p = base + start, n = end - start
            if !PieceCache.cachedIDs(p, n, h, into: &ids, scratch: &scratch) { idsOnMiss(p, n, h, into: &ids, scratch: &scratch) }
        }
    }

    @inline(never)
    func recordOnMiss(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32, scratch: inout ModelScratch) {
        var tokens: [ModelToken] = []
        swap(&tokens, &scratch.missTokens)
        tokens.removeAll(keepingCapacity: true)
        if !PieceCache.appendOwn(p, n, h, to: &tokens, scratch: &scratch) {
            tokenizeUncached(p, n, into: &tokens, scratch: &scratch)
            PieceCache.remember(p, n, h, tokens[...], scratch: &scratch)
        }
        swap(&tokens, &scratch.missTokens)
    }

    /// The tokens of ``tokenize(_:_:into:scratch:)`` for a caller that reads them itself,
    /// without a token list on a hit (see ``PieceCache/sharedRecord(_:_:_:scratch:)``): the
    /// shared word record, or nil with the tokens in `scratch.missTokens`. `n` > 0.
    @inline(__always)
    func tokenRecord(_ p: UnsafePointer<UInt8>, _ n: Int, scratch: inout ModelScratch) -> UnsafePointer<UInt32>? {
        guard options.dropout == nil || options.dropout == 0 else {
            var tokens: [ModelToken] = []
            swap(&tokens, &scratch.missTokens)
            tokens.removeAll(keepingCapacity: true)
            tokenizeUncached(p, n, into: &tokens, scratch: &scratch)
            swap(&tokens, &scratch.missTokens)
            return nil
        }
        return tokenRecord(p, n, hash: PieceCache.hash(p, n), scratch: &scratch)
    }

    /// ``tokenRecord(_:_:scratch:)`` of a piece whose hash (``PieceCache/hash(_:_:)``) the
    /// caller computed, e.g. to prefetch its slot a piece ahead.
    @inline(__always)
    func tokenRecord(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt32, scratch: inout ModelScratch) -> UnsafePointer<UInt32>? {
        guard options.dropout == nil || options.dropout == 0 else { return tokenRecord(p, n, scratch: &scratch) }
        if let r = PieceCache.sharedRecord(p, n, h, scratch: &scratch) { return r }
        recordOnMiss(p, n, h, scratch: &scratch)
        return nil
    }

    @inline(__always)
    func tokenizeIDs(_ p: UnsafePointer<UInt8>, _ n: Int, into ids: inout [Int32], scratch: inout ModelScratch) {
        guard n > 0 else { return }
        guard options.dropout == nil || options.dropout == 0 else {
            idsWithDropout(p, n, into: &ids, scratch: &scratch)
            return
        }
        let h = PieceCache.hash(p, n)
        if !PieceCache.cachedIDs(p, n, h, into: &ids, scratch: &scratch) { idsOnMiss(p, n, h, into: &ids, scratch: &scratch) }
    }

    func tokenizeUncached(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [ModelToken], scratch: inout ModelScratch) {
        if options.ignoreMerges {
            let whole = byteLevel && suffix.isEmpty ? rawTokens?.id(p, n) : wholeWordID(p, n)
            if let id = whole { out.append(ModelToken(id: id, start: 0, end: Int32(n))); return }
        }
        let linear = (options.dropout ?? 0) == 0
        if linear && byteLevel && prefix.isEmpty && suffix.isEmpty && n <= Self.linearMergeLimit
            && mergeLinear(&scratch, p, n, fromBytes: true, into: &out) {
            return
        }
        // Initial symbols.
        scratch.ids.removeAll(keepingCapacity: true)
        scratch.starts.removeAll(keepingCapacity: true)
        scratch.ends.removeAll(keepingCapacity: true)
        if byteLevel {
            let plain = prefix.isEmpty && suffix.isEmpty
            var key: [UInt8] = []
            for i in 0..<n {
                var id = byteIDs[Int(p[i])]
                if !plain && (i > 0 && !prefix.isEmpty || i == n - 1 && !suffix.isEmpty) {
                    // Prefixed / suffixed symbols are looked up by their byte-level strings.
                    key.removeAll(keepingCapacity: true)
                    if i > 0 { key.append(contentsOf: prefix) }
                    key.append(contentsOf: ByteLevelAlphabet.utf8ForByte[Int(p[i])])
                    if i == n - 1 { key.append(contentsOf: suffix) }
                    id = tokens.id(key) ?? -1
                }
                if id >= 0 {
                    scratch.ids.append(id); scratch.starts.append(Int32(i)); scratch.ends.append(Int32(i + 1))
                } else {
                    appendUnknown(start: i, end: i + 1, p, &scratch)
                }
            }
        } else {
            initialCharacters(p, n, &scratch)
        }
        if linear && scratch.ids.count <= Self.linearMergeLimit && mergeLinear(&scratch, p, n, fromBytes: false, into: &out) {
            return
        }
        merge(&scratch, p)
        // Emit the surviving symbols in order.
        var k: Int32 = scratch.ids.isEmpty ? -1 : 0
        while k >= 0 {
            let i = Int(k)
            out.append(ModelToken(id: scratch.ids[i], start: scratch.starts[i], end: scratch.ends[i]))
            k = scratch.next[i]
        }
    }

    private func wholeWordID(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32? {
        if suffix.isEmpty && !byteLevel { return tokens.id(p, n) }
        let word = UnsafeBufferPointer(start: p, count: n)
        var key = byteLevel ? ByteLevelAlphabet.encode(word) : Array(word)
        key.append(contentsOf: suffix)
        return tokens.id(key)
    }

    private func initialCharacters(_ p: UnsafePointer<UInt8>, _ n: Int, _ scratch: inout ModelScratch) {
        var i = 0
        var key: [UInt8] = []
        let plain = prefix.isEmpty && suffix.isEmpty
        while i < n {
            let len = min(n - i, Self.utf8Length(p[i]))
            let id: Int32?
            if plain {
                id = tokens.id(p + i, len)
            } else {
                key.removeAll(keepingCapacity: true)
                if i > 0 { key.append(contentsOf: prefix) }
                key.append(contentsOf: UnsafeBufferPointer(start: p + i, count: len))
                if i + len == n { key.append(contentsOf: suffix) }
                id = tokens.id(key)
            }
            if let id {
                scratch.ids.append(id); scratch.starts.append(Int32(i)); scratch.ends.append(Int32(i + len))
            } else {
                appendUnknown(start: i, end: i + len, p, &scratch)
            }
            i += len
        }
    }

    private func appendUnknown(start: Int, end: Int, _ p: UnsafePointer<UInt8>, _ scratch: inout ModelScratch) {
        if let fallback = byteFallbackIDs, (start..<end).allSatisfy({ fallback[Int(p[$0])] >= 0 }) {
            for k in start..<end {
                scratch.ids.append(fallback[Int(p[k])]); scratch.starts.append(Int32(k)); scratch.ends.append(Int32(k + 1))
            }
            return
        }
        guard let unk = unknownID else { return }
        if options.fuseUnknown, let last = scratch.ids.last, last == unk, scratch.ends.last == Int32(start) {
            scratch.ends[scratch.ends.count - 1] = Int32(end)
            return
        }
        scratch.ids.append(unk); scratch.starts.append(Int32(start)); scratch.ends.append(Int32(end))
    }

    @inline(__always)
    static func utf8Length(_ b: UInt8) -> Int {
        b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
    }

    /// The merge of symbols `l` and its right neighbour `r` in `s`: (rank, merged id), or nil.
    @inline(__always)
    private func mergeOf(_ s: inout ModelScratch, _ l: Int, _ r: Int, _ p: UnsafePointer<UInt8>) -> (rank: Int32, merged: Int32)? {
        let rank = pairRank(s.ids[l], s.ids[r], p + Int(s.starts[l]), Int(s.ends[r] - s.starts[l]), &s.pairKeys, &s.pairValues)
        return rank < 0 ? nil : (rank, mergedID(rank: rank))
    }

    /// The id a merge of rank `rank` makes.
    @inline(__always)
    private func mergedID(rank: Int32) -> Int32 { mergesByBytes ? rank : merges.mergedID(rank: rank) }

    /// The rank of the merge of adjacent symbols `a` and `b` that together spell the `n`
    /// bytes at `p`, or -1. `memoKeys` and `memoValues` are the scratch's memo of byte-keyed
    /// merges (``ModelScratch/pairKeys``).
    @inline(__always)
    private func pairRank(_ a: Int32, _ b: Int32, _ p: UnsafePointer<UInt8>, _ n: Int,
                          _ memoKeys: inout [UInt64], _ memoValues: inout [Int32]) -> Int32 {
        guard mergesByBytes else { return merges.rank(a, b) }
        // A pair's merge depends only on its two ids, so recent answers are kept in a small
        // table.
        let key = UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
        if memoKeys.isEmpty {
            memoKeys = [UInt64](repeating: .max, count: ModelScratch.pairSlots)
            memoValues = [Int32](repeating: -1, count: ModelScratch.pairSlots)
        }
        let slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 50) & (ModelScratch.pairSlots - 1)
        if memoKeys[slot] == key { return memoValues[slot] }
        let id = tokens.id(p, n) ?? -1
        memoKeys[slot] = key
        memoValues[slot] = id
        return id
    }

    /// Words of at most this many symbols are merged by ``mergeLinear(_:_:_:fromBytes:into:)``.
    static let linearMergeLimit = 32

    /// Runs the merges over the few symbols of the pre-token `p[0..<n]` (no dropout) and
    /// appends the result to `out`: the symbols are the bytes of `p` (`fromBytes`, a plain
    /// byte-level model; false, with nothing appended, when a byte has no token) or those in
    /// `s.ids`, `s.starts` and `s.ends` (at most ``linearMergeLimit``).
    ///
    /// The rank of each adjacent pair is looked up once, when the pair forms, and the next
    /// merge is the lowest rank found by a scan, leftmost on ties: for a short word cheaper
    /// than ``merge(_:_:)``'s heap, which looks every popped pair up again. The merges are the
    /// same, in the same order: the heap pops the lowest (rank, position) among the current
    /// pairs (a stale entry never passes its check, since a position's pair only ever grows
    /// to cover more bytes, so it never has the merged id of an earlier pair there), and
    /// positions keep the symbols' order.
    private func mergeLinear(_ s: inout ModelScratch, _ p: UnsafePointer<UInt8>, _ n: Int, fromBytes: Bool,
                             into out: inout [ModelToken]) -> Bool {
        let limit = Self.linearMergeLimit
        var work: [Int32] = []
        swap(&work, &s.linear)   // owned, so that `s` stays free for the merge memo
        defer { swap(&work, &s.linear) }
        if work.count < 5 * limit { work = [Int32](repeating: 0, count: 5 * limit) }
        return work.withUnsafeMutableBufferPointer { w -> Bool in
            // Five areas of `limit` entries: the symbols' ids, starts and ends, and each pair's
            // rank (as a UInt32 bit pattern; UInt32.max: no merge) and merged id, read when the
            // pair forms (reading it only when the pair merges puts it on the critical path:
            // slower). Pair k is symbols k and k + 1; there are count ≤ limit symbols.
            let ids = w.baseAddress!, starts = ids + limit, ends = ids + 2 * limit, ranks = ids + 3 * limit, merged = ids + 4 * limit
            var count: Int
            if fromBytes {
                assert(n <= limit)
                for i in 0..<n {
                    let id = byteIDs[Int(p[i])]
                    if id < 0 { return false }
                    ids[i] = id; starts[i] = Int32(i); ends[i] = Int32(i + 1)
                }
                count = n
            } else {
                count = s.ids.count
                assert(count <= limit)
                for k in 0..<count { ids[k] = s.ids[k]; starts[k] = s.starts[k]; ends[k] = s.ends[k] }
            }
            // `count` is passed, not captured: a nested function that captures a variable boxes
            // it on the heap (one allocation per call of mergeLinear).
            @inline(__always) func lookUp(_ k: Int, _ count: Int) {
                assert(k + 1 < count && count <= limit)
                let rank = pairRank(ids[k], ids[k + 1], p + Int(starts[k]), Int(ends[k + 1] - starts[k]), &s.pairKeys, &s.pairValues)
                ranks[k] = rank
                merged[k] = rank < 0 ? -1 : mergedID(rank: rank)
            }
            if fromBytes && !bytePairs.isEmpty {
                bytePairs.withUnsafeBufferPointer { pairs in
                    for k in 0..<max(0, count - 1) {
                        assert(k + 1 < count && count <= limit)
                        let v = pairs[Int(p[k]) << 8 | Int(p[k + 1])]
                        ranks[k] = v == .max ? -1 : Int32(truncatingIfNeeded: v >> 32)
                        merged[k] = Int32(truncatingIfNeeded: v)
                    }
                }
            } else if count > 1 {
                for k in 0..<(count - 1) { lookUp(k, count) }
            }
            while count > 1 {
                var best = 0, bestRank = UInt32(bitPattern: ranks[0])
                for k in 1..<(count - 1) where UInt32(bitPattern: ranks[k]) < bestRank { best = k; bestRank = UInt32(bitPattern: ranks[k]) }
                if bestRank == .max { break }
                // Symbol best absorbs best + 1; the symbols and pairs after it move down one.
                ids[best] = merged[best]
                ends[best] = ends[best + 1]
                var k = best + 1
                while k < count - 1 {
                    assert(k + 1 < limit)
                    ids[k] = ids[k + 1]; starts[k] = starts[k + 1]; ends[k] = ends[k + 1]
                    if k < count - 2 { ranks[k] = ranks[k + 1]; merged[k] = merged[k + 1] }
                    k += 1
                }
                count -= 1
                if best + 1 < count { lookUp(best, count) }
                if best > 0 { lookUp(best - 1, count) }
            }
            for k in 0..<count { out.append(ModelToken(id: ids[k], start: starts[k], end: ends[k])) }
            return true
        }
    }

    /// Runs the merges over the symbols in `scratch` (a linked list by `prev`/`next`) of the
    /// pre-token `p`.
    private func merge(_ s: inout ModelScratch, _ p: UnsafePointer<UInt8>) {
        let count = s.ids.count
        s.prev.removeAll(keepingCapacity: true)
        s.next.removeAll(keepingCapacity: true)
        for i in 0..<count {
            s.prev.append(Int32(i - 1))
            s.next.append(i + 1 < count ? Int32(i + 1) : -1)
        }
        guard count > 1 else { return }
        s.heap.removeAll(keepingCapacity: true)
        for i in 0..<(count - 1) {
            if let m = mergeOf(&s, i, i + 1, p) {
                Self.push(&s, rank: m.rank, position: Int32(i), merged: m.merged)
            }
        }
        let dropout = options.dropout ?? 0
        s.skipped.removeAll(keepingCapacity: true)
        while let top = s.heap.pop() {
            let key = top.key, merged = top.merged
            if dropout > 0 {
                if s.rng == nil { s.rng = SplitMixGenerator(seed: 0) }
                if Double.random(in: 0..<1, using: &s.rng!) < dropout {
                    s.skipped.append((key, merged))
                    continue
                }
                for (k, m) in s.skipped { Self.push(&s, key: k, merged: m) }
                s.skipped.removeAll(keepingCapacity: true)
            }
            let pos = Int(key & 0xFFFF_FFFF)
            // Stale entries: the symbol was merged away, or its pair changed.
            if s.ids[pos] < 0 { continue }
            let right = s.next[pos]
            guard right >= 0 else { continue }
            let r = Int(right)
            guard let m = mergeOf(&s, pos, r, p), m.merged == merged else { continue }
            // Merge pos with its right neighbour.
            s.ids[pos] = merged
            s.ends[pos] = s.ends[r]
            s.ids[r] = -1
            let after = s.next[r]
            s.next[pos] = after
            if after >= 0 { s.prev[Int(after)] = Int32(pos) }
            let before = s.prev[pos]
            if before >= 0, let m2 = mergeOf(&s, Int(before), pos, p) {
                Self.push(&s, rank: m2.rank, position: before, merged: m2.merged)
            }
            if after >= 0, let m2 = mergeOf(&s, pos, Int(after), p) {
                Self.push(&s, rank: m2.rank, position: Int32(pos), merged: m2.merged)
            }
        }
    }

    /// A merge waiting in the heap: `rank << 32 | position` (so lower ranks, then leftmost
    /// positions, come first) with the merged id alongside.
    struct MergeCandidate: MinHeapElement, Sendable {
        var key: UInt64
        var merged: Int32

        @inline(__always) static func before(_ a: Self, _ b: Self) -> Bool { a.key < b.key }
    }

    @inline(__always)
    private static func push(_ s: inout ModelScratch, rank: Int32, position: Int32, merged: Int32) {
        push(&s, key: UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(UInt32(bitPattern: position)), merged: merged)
    }

    @inline(__always)
    private static func push(_ s: inout ModelScratch, key: UInt64, merged: Int32) {
        s.heap.push(MergeCandidate(key: key, merged: merged))
    }
}

/// An open-addressing hash table from a pair of token ids to (merge rank, merged id). Key and
/// value share one 16-byte slot, so a probe reads one cache line.
struct PairTable: Sendable {
    private struct Slot: Sendable {
        var key: UInt64
        var value: UInt64
    }

    private static let empty = Slot(key: .max, value: 0)
    // Read from a cache image, the tables are used in place (``TableArray``).
    private var slots: TableArray<Slot>
    private let mask: Int
    /// The compact form, used when every id is below 2^20 − 1 and every rank below 2^24:
    /// one UInt64 a pair, `(left + 1) << 44 | right << 24 | rank` (0: empty), at most 60%
    /// full — a quarter of the wide table's memory (2 MB for 150,000 merges), so more of it
    /// stays in cache. Empty otherwise.
    private var packed = TableArray<UInt64>([])
    private var packedMask = 0
    /// The id each merge makes, by rank.
    private var mergedByRank = TableArray<Int32>([])
    /// The image mapping the tables lie in, when read from one (kept alive with them).
    private var imageOwner: (any AnyObject & Sendable)? = nil

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 + 2 { size <<= 1 }
        slots = TableArray(LargeArrays.make(repeating: Self.empty, count: size))
        mask = size - 1
    }

    /// ``init(merges:mergedIDs:)`` in the compact form, or nil when an id or rank does not fit.
    private init?(compact merges: [(Int32, Int32)], mergedIDs: [Int32]) {
        let n = merges.count
        guard n < 1 << 24, merges.allSatisfy({ $0.0 >= 0 && $0.0 < Self.packedIDLimit && $0.1 >= 0 && $0.1 < Self.packedIDLimit }) else {
            return nil
        }
        var size = 16
        while size * 3 < n * 5 + 5 { size <<= 1 }
        let mask = size - 1
        var table = LargeArrays.make(repeating: UInt64(0), count: size)
        table.withUnsafeMutableBufferPointer { t in
            for (rank, (a, b)) in merges.enumerated() {
                let key = Self.packedKey(a, b)
                var i = Self.slot(key, mask)
                // The first occurrence of a pair wins; fewer than `size` entries, so a probe
                // ends at an empty slot.
                while t[i] != 0 && t[i] >> 24 != key { i = (i + 1) & mask }
                assert(i < t.count)
                if t[i] == 0 { t[i] = key << 24 | UInt64(rank) }
            }
        }
        slots = TableArray([])
        self.mask = 0
        packed = TableArray(table)
        packedMask = mask
        mergedByRank = TableArray(mergedIDs)
    }

    /// Ids at or above this do not fit the compact form.
    private static let packedIDLimit: Int32 = (1 << 20) - 1

    @inline(__always)
    private static func packedKey(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(a + 1) << 20 | UInt64(b) }

    /// A table of `merges` (rank = position; the first occurrence of a pair wins) with their
    /// results `mergedIDs`. The entries are first bucket-sorted by home slot (stable, so ranks
    /// stay in order within a bucket), then placed in that order into slots that are cleared
    /// just ahead of use: building writes the 16 MB table once, from start to end, instead of
    /// clearing it and then jumping around it.
    init(merges: [(Int32, Int32)], mergedIDs: [Int32]) {
        if let compact = PairTable(compact: merges, mergedIDs: mergedIDs) {
            self = compact
            return
        }
        let n = merges.count
        var size = 16
        while size < n * 2 + 2 { size <<= 1 }
        mergedByRank = TableArray(mergedIDs)
        let mask = size - 1
        let slotBits = size.trailingZeroBitCount
        let bucketBits = min(slotBits, 12)
        let shift = slotBits - bucketBits
        let bucketCount = 1 << bucketBits
        var offsets = [Int](repeating: 0, count: bucketCount + 1)
        var homes = [UInt32](repeating: 0, count: n)
        let sorted: [Slot] = merges.withUnsafeBufferPointer { m in
            mergedIDs.withUnsafeBufferPointer { merged in
                homes.withUnsafeMutableBufferPointer { h in
                    offsets.withUnsafeMutableBufferPointer { o in
                        for r in 0..<n {
                            let home = Self.slot(Self.key(m[r].0, m[r].1), mask)
                            // home < size = bucketCount << shift, so its bucket + 1 ≤ bucketCount.
                            assert(r < h.count && home >> shift + 1 < o.count)
                            h[r] = UInt32(truncatingIfNeeded: home)
                            o[home >> shift + 1] += 1
                        }
                        for k in 1...bucketCount { o[k] += o[k - 1] }
                        return [Slot](unsafeUninitializedCapacity: n) { out, count in
                            for r in 0..<n {
                                let bucket = Int(h[r]) >> shift
                                assert(o[bucket] < n)  // the running start of the bucket, below its end
                                out[o[bucket]] = Slot(key: Self.key(m[r].0, m[r].1),
                                                      value: UInt64(UInt32(bitPattern: Int32(truncatingIfNeeded: r))) << 32
                                                          | UInt64(UInt32(bitPattern: merged[r])))
                                o[bucket] += 1
                            }
                            count = n
                        }
                    }
                }
            }
        }
        homes = []
        slots = TableArray([Slot](unsafeUninitializedCapacity: size) { t, count in
            // Slots below `cleared` are initialized; probing never looks past them unset.
            var cleared = 0
            for e in sorted {
                var i = Self.slot(e.key, mask)
                while true {
                    while i >= cleared {
                        let end = min(size, cleared + 1024)
                        for k in cleared..<end { t[k] = Self.empty }
                        cleared = end
                    }
                    if t[i].key == .max { t[i] = e; break }
                    if t[i].key == e.key { break }
                    i = (i + 1) & mask
                }
            }
            for k in cleared..<size { t[k] = Self.empty }
            count = size
        })
        self.mask = mask
    }

    @inline(__always)
    private static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        var h = key &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        return Int(truncatingIfNeeded: h) & mask
    }

    /// The merge of `a` and `b`: its rank and merged id, or nil.
    @inline(__always)
    func lookup(_ a: Int32, _ b: Int32) -> (rank: Int32, merged: Int32)? {
        let r = rank(a, b)
        return r < 0 ? nil : (r, mergedID(rank: r))
    }

    /// The id the merge of rank `rank` makes.
    @inline(__always)
    func mergedID(rank: Int32) -> Int32 { mergedByRank[Int(rank)] }

    /// The id each merge makes, by rank.
    var mergedIDs: [Int32] { mergedByRank.arrayValue }

    /// Whether the table is used in place in a cache image's mapping (``TableArray``).
    var isMapped: Bool { (packed.isEmpty ? slots.isMapped : packed.isMapped) && mergedByRank.isMapped }

    /// The rank of the merge of `a` and `b`, or -1.
    @inline(__always)
    func rank(_ a: Int32, _ b: Int32) -> Int32 {
        if !packed.isEmpty {
            guard a >= 0 && a < Self.packedIDLimit && b >= 0 && b < Self.packedIDLimit else { return -1 }
            let key = Self.packedKey(a, b)
            var i = Self.slot(key, packedMask)
            return packed.withUnsafeBufferPointer { t in
                while true {
                    let e = t[i]
                    if e == 0 { return -1 }
                    if e >> 24 == key { return Int32(truncatingIfNeeded: e & 0xFF_FFFF) }
                    i = (i + 1) & packedMask
                }
            }
        }
        let key = UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
        var i = Self.slot(key, mask)
        return slots.withUnsafeBufferPointer { t in
            while true {
                let stored = t[i]
                if stored.key == key { return Int32(truncatingIfNeeded: stored.value >> 32) }
                if stored.key == .max { return -1 }
                i = (i + 1) & mask
            }
        }
    }
}

// MARK: - Compiled images (ModelCache)

extension PairTable {
    /// Writes the table to a cache image.
    func write(to w: inout ImageWriter) {
        w.array(slots.arrayValue)
        w.array(packed.arrayValue)
        w.array(mergedByRank.arrayValue)
    }

    /// A table read back from ``write(to:)``: one of its two forms, a power-of-two size with
    /// an empty slot (so that every probe ends), and every rank in it below the number of
    /// merges (the merged ids are checked by the caller).
    init(image r: inout ImageReader) throws(ImageReader.Malformed) {
        let at = r.offset
        slots = try r.mappedArray(Slot.self)
        packed = try r.mappedArray(UInt64.self)
        mergedByRank = try r.mappedArray(Int32.self)
        imageOwner = r.mappingOwner
        mask = max(slots.count - 1, 0)
        packedMask = max(packed.count - 1, 0)
        let n = UInt64(mergedByRank.count)
        let ok: Bool
        if packed.isEmpty {
            ok = slots.count > 0 && slots.count & mask == 0 && slots.withUnsafeBufferPointer { t in
                t.contains { $0.key == .max } && t.allSatisfy { $0.key == .max || $0.value >> 32 < n }
            }
        } else {
            let (highest, empty) = ImageReader.highestAndZeros(packed) { $0 & 0xFF_FFFF }   // the ranks
            // Without merges every slot must be empty: a rank-0 entry would index no merge.
            ok = slots.isEmpty && packed.count & packedMask == 0 && empty > 0 && (n == 0 ? empty == packed.count : highest < n)
        }
        guard ok else { throw ImageReader.Malformed(offset: at, problem: "inconsistent merge table") }
    }
}
