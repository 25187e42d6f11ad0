#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One token produced by a ``PieceModel``: its id and the byte range of the pre-token it
/// covers.
struct ModelToken: Sendable, Equatable {
    var id: Int32
    var start: Int32
    var end: Int32
}

/// The model stage of a Hugging Face pipeline (`tokenizers`' `models`): ``BPEModel``,
/// ``UnigramModel``, ``WordPieceModel`` and ``WordLevelModel``. Build one and pass it, with
/// the other stages, to ``HuggingFaceTokenizer/init(normalizer:preTokenizer:model:postProcessor:decoder:addedTokens:truncation:padding:)``.
///
/// Tokki implements the segmentation of these four kinds only: a type of your own that
/// conforms is refused by the tokenizer's initialiser.
public protocol HuggingFaceModel: Sendable {
    /// One more than the highest id.
    var vocabularySize: Int { get }
    /// The id of a token's text, or nil.
    func id(for token: String) -> Int?
    /// The text of token `id`, or nil.
    func token(for id: Int) -> String?
}

/// A model of the Hugging Face pipeline (BPE, Unigram, WordPiece, WordLevel): turns one
/// pre-token (well-formed UTF-8, or raw bytes for byte-level models) into tokens.
protocol PieceModel: HuggingFaceModel {
    /// Appends the tokens of `p[0..<n]` to `out`, in order.
    func tokenize(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [ModelToken], scratch: inout ModelScratch)
    /// Appends the ids of the tokens of `p[0..<n]` to `ids`, in order.
    func tokenizeIDs(_ p: UnsafePointer<UInt8>, _ n: Int, into ids: inout [Int32], scratch: inout ModelScratch)
    /// The id of a token string, or nil.
    func id(for token: [UInt8]) -> Int?
    /// The string `tokenizers` reports for token `id` covering `text`: the vocabulary string
    /// (a Unigram unknown token reports the text it covers).
    func tokenString(_ id: Int32, covering text: UnsafeBufferPointer<UInt8>) -> String
}

extension PieceModel {
    /// Whether pre-tokens are raw bytes mapped to the byte-level alphabet (a byte-level BPE).
    var isByteLevel: Bool { (self as? BPEModel)?.byteLevel ?? false }

    func tokenString(_ id: Int32, covering text: UnsafeBufferPointer<UInt8>) -> String { token(for: Int(id)) ?? "" }

    /// ``tokenize(_:_:into:scratch:)``, keeping the ids.
    func tokenizeIDs(_ p: UnsafePointer<UInt8>, _ n: Int, into ids: inout [Int32], scratch: inout ModelScratch) {
        ModelScratch.appendIDs(to: &ids, scratch: &scratch) { tokens, scratch in tokenize(p, n, into: &tokens, scratch: &scratch) }
    }
}

/// Per-thread working memory for models: symbol arrays, the merge heap and a cache of
/// recently seen pre-tokens. Reusing one across calls avoids all per-token allocation.
struct ModelScratch: Sendable {
    var ids: [Int32] = []
    var starts: [Int32] = []
    var ends: [Int32] = []
    var prev: [Int32] = []
    var next: [Int32] = []
    var heap = MinHeap<BPEModel.MergeCandidate>()
    /// BPE's linear merge: its symbols and pairs (see `BPEModel.mergeLinear`).
    var linear: [Int32] = []
    var skipped: [(UInt64, Int32)] = []
    var floats: [Double] = []
    /// The tokens of a pre-token missed by ``PieceCache/idsOnMiss(_:_:_:into:scratch:compute:)`` and ``PieceCache/recordOnMiss(_:_:_:scratch:compute:)``.
    var missTokens: [ModelToken] = []
    var bytes: [UInt8] = []
    var cache = PieceCache()
    /// The tables of the tokenizer `cache` works with (kept alive by this reference).
    var tables: SharedWordTables? = nil
    var rng: SplitMixGenerator? = nil
    /// tiktoken models: recently looked-up merges, `(left << 32 | right)` → merged id or -1,
    /// direct-mapped (a pair's merge depends on its two ids only).
    var pairKeys: [UInt64] = []
    var pairValues: [Int32] = []

    static let pairSlots = 1 << 14

    /// Appends to `ids` the ids of the tokens `body` appends to an emptied spare token list
    /// (owned while `body` runs, so that `scratch` stays free to pass on).
    @inline(__always)
    static func appendIDs(to ids: inout [Int32], scratch: inout ModelScratch,
                          _ body: (inout [ModelToken], inout ModelScratch) -> Void) {
        var tokens: [ModelToken] = []
        swap(&tokens, &scratch.missTokens)
        tokens.removeAll(keepingCapacity: true)
        body(&tokens, &scratch)
        for t in tokens { ids.append(t.id) }
        swap(&tokens, &scratch.missTokens)
    }

    init() {}

    /// Points the pre-token cache at `tables`' shared table — a scratch used with another
    /// tokenizer before starts afresh, so that it never replays that tokenizer's tokens.
    @inline(__always)
    mutating func bind(_ tables: SharedWordTables) {
        if self.tables === tables { return }
        self.tables = tables
        cache = PieceCache(shared: tables.normalized.view)
        // The merge memo belongs to the tokenizer too.
        pairKeys = []
        pairValues = []
    }
}

/// A bounded cache from pre-token bytes to their tokens: the tokenizer's
/// ``SharedWordTable`` (when bound, see ``ModelScratch/bind(_:)``) while it has room, then a
/// table of this thread's own, cleared when full, so memory stays bounded on any corpus.
struct PieceCache: Sendable {
    /// The table starts small (cheap for one short text) and doubles up to this size.
    static let maxSlots = 1 << 18
    static let maxKeyLength = 128

    private struct Entry: Sendable {
        var hash: UInt32
        var keyStart: Int32
        var keyLength: Int32
        var valueStart: Int32
        var valueCount: Int32
    }

    private var table = [Int32](repeating: -1, count: 1 << 8)
    private var entries: [Entry] = []
    private var keys: [UInt8] = []
    private(set) var values: [ModelToken] = []
    /// The memory of the shared table, if bound (its owner is ``ModelScratch/tables``).
    private let shared: SharedWordTable.View?

    init(shared: SharedWordTable.View? = nil) { self.shared = shared }

    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32 { ByteStringTableHalf.hash(p, n) }

    /// Starts loading the shared table's slot for hash `h`, a piece ahead of its look-up.
    @inline(__always)
    func prefetch(_ h: UInt32) { shared?.prefetch(h) }

    /// Starts loading the shared record for hash `h`, once its slot is in (a piece later).
    @inline(__always)
    func prefetchRecord(_ h: UInt32) { shared?.prefetchRecord(h) }

    /// Where the tokens of a pre-token are cached: a record of the shared table, a range of
    /// this thread's own `values`, or nowhere.
    enum Hit {
        case shared(UnsafePointer<UInt32>)
        case own(Range<Int>)
        case miss
    }

    /// Looks the pre-token `p[0..<n]` (hash `h`) up: in the shared table, then (when there is
    /// none, or it is full) in this thread's own.
    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32) -> Hit {
        if let view = shared, let r = view.find(p, n, h) { return .shared(view.pool + r) }
        if shared?.isFull ?? true, let found = lookup(p, n, h) { return .own(found) }
        return .miss
    }

    /// Appends the tokens of the pre-token `p[0..<n]` (n > 0, hash `h`) to `out` when
    /// `scratch`'s cache holds them; false (nothing appended) otherwise.
    ///
    /// The cache's hit paths take no closure: a closure that calls back into a model captures
    /// the model, and a model is a large struct, so building the closure's context copied
    /// hundreds of bytes on every pre-token, hit or miss. Models call these first and then a
    /// miss path of their own that is not inlined (``tokensOnMiss(_:_:_:into:scratch:compute:)``).
    @inline(__always)
    static func cachedTokens(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32, into out: inout [ModelToken],
                             scratch: inout ModelScratch) -> Bool {
        switch scratch.cache.find(p, n, h) {
        case .shared(let r): WordRecord.appendTokens(r, to: &out); return true
        case .own(let found):
            scratch.cache.values.withUnsafeBufferPointer { v in out.append(contentsOf: UnsafeBufferPointer(rebasing: v[found])) }
            return true
        case .miss: return false
        }
    }

    /// ``cachedTokens(_:_:_:into:scratch:)`` appending the ids only (a hit copies them
    /// straight from the cache).
    @inline(__always)
    static func cachedIDs(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32, into ids: inout [Int32],
                          scratch: inout ModelScratch) -> Bool {
        switch scratch.cache.find(p, n, h) {
        case .shared(let r): WordRecord.appendIDs(r, to: &ids); return true
        case .own(let found):
            scratch.cache.values.withUnsafeBufferPointer { v in for t in v[found] { ids.append(t.id) } }
            return true
        case .miss: return false
        }
    }

    /// The shared table's record of the pre-token `p[0..<n]` (hash `h`), or nil (read it
    /// with ``WordRecord/span(_:_:count:)``; records never change or move while the table lives).
    @inline(__always)
    static func sharedRecord(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32, scratch: inout ModelScratch) -> UnsafePointer<UInt32>? {
        if case .shared(let r) = scratch.cache.find(p, n, h) { return r }
        return nil
    }

    /// The miss path of ``cachedIDs(_:_:_:into:scratch:)``.
    @inline(__always)
    static func idsOnMiss(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32, into ids: inout [Int32], scratch: inout ModelScratch,
                          compute: (UnsafePointer<UInt8>, Int, inout [ModelToken], inout ModelScratch) -> Void) {
        ModelScratch.appendIDs(to: &ids, scratch: &scratch) { tokens, scratch in
            tokensOnMiss(p, n, h, into: &tokens, scratch: &scratch, compute: compute)
        }
    }

    /// The miss path of ``sharedRecord(_:_:_:scratch:)``: the tokens of `p[0..<n]` into
    /// `scratch.missTokens`, from this thread's own table or made by `compute` and cached.
    @inline(__always)
    static func recordOnMiss(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32, scratch: inout ModelScratch,
                             compute: (UnsafePointer<UInt8>, Int, inout [ModelToken], inout ModelScratch) -> Void) {
        var tokens: [ModelToken] = []
        swap(&tokens, &scratch.missTokens)
        tokens.removeAll(keepingCapacity: true)
        if !appendOwn(p, n, h, to: &tokens, scratch: &scratch) {
            tokensOnMiss(p, n, h, into: &tokens, scratch: &scratch, compute: compute)
        }
        swap(&tokens, &scratch.missTokens)
    }

    /// After the shared table missed: appends the tokens of `p[0..<n]` (hash `h`) from this
    /// thread's own table, which may hold them when the shared one is full; false (nothing
    /// appended) when it does not.
    @inline(__always)
    static func appendOwn(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32, to tokens: inout [ModelToken],
                          scratch: inout ModelScratch) -> Bool {
        guard case .own(let found) = scratch.cache.find(p, n, h) else { return false }
        scratch.cache.values.withUnsafeBufferPointer { v in tokens.append(contentsOf: UnsafeBufferPointer(rebasing: v[found])) }
        return true
    }

    /// The miss path of ``cachedTokens(_:_:_:into:scratch:)``: appends the tokens that
    /// `compute` makes of the pre-token `p[0..<n]` (hash `h`), which was not cached, and caches
    /// them: in the shared table while it has room, else in this thread's own.
    @inline(__always)
    static func tokensOnMiss(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32, into out: inout [ModelToken],
                             scratch: inout ModelScratch,
                             compute: (UnsafePointer<UInt8>, Int, inout [ModelToken], inout ModelScratch) -> Void) {
        let first = out.count
        compute(p, n, &out, &scratch)
        remember(p, n, h, out[first...], scratch: &scratch)
    }

    /// Caches `tokens`, the tokens of the pre-token `p[0..<n]` (hash `h`), which was not
    /// cached: in the shared table while it has room, else in this thread's own. The miss
    /// paths of a large model call this after tokenizing the piece themselves, rather than
    /// handing ``tokensOnMiss(_:_:_:into:scratch:compute:)`` a closure: a closure that calls
    /// the model captures (copies) the whole model on every miss.
    @inline(__always)
    static func remember(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32, _ tokens: ArraySlice<ModelToken>,
                         scratch: inout ModelScratch) {
        if let view = scratch.cache.shared, !view.isFull,
           view.insert(p, n, h, spans: tokens, offset: 0, gap: 0, deviation: 0, score: nil) {
            return
        }
        scratch.cache.insert(p, n, h, tokens)
    }

    /// The range in `values` of the cached tokens of `p[0..<n]` (hash `h`), or nil.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32) -> Range<Int>? {
        let mask = table.count - 1
        var slot = ByteStringTableHalf.home(h, mask)
        // Raw views: no reference counting and no slices on the hot path.
        return table.withUnsafeBufferPointer { t in
            entries.withUnsafeBufferPointer { es in
                while true {
                    let e = t[slot]
                    if e < 0 { return nil }
                    let entry = es[Int(e)]
                    if entry.hash == h && Int(entry.keyLength) == n {
                        let same = keys.withUnsafeBufferPointer { k in
                            n == 0 || bytesEqual(k.baseAddress! + Int(entry.keyStart), p, n)
                        }
                        if same { return Int(entry.valueStart)..<(Int(entry.valueStart) + Int(entry.valueCount)) }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    /// Remembers the tokens of `p[0..<n]`.
    mutating func insert(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32, _ tokens: ArraySlice<ModelToken>) {
        guard n <= Self.maxKeyLength else { return }
        if (entries.count + 1) * 2 > table.count {
            if table.count < Self.maxSlots {
                grow()
            } else {
                for k in table.indices { table[k] = -1 }
                entries.removeAll(keepingCapacity: true)
                keys.removeAll(keepingCapacity: true)
                values.removeAll(keepingCapacity: true)
            }
        }
        let mask = table.count - 1
        var slot = ByteStringTableHalf.home(h, mask)
        while table[slot] >= 0 { slot = (slot + 1) & mask }
        table[slot] = Int32(entries.count)
        entries.append(Entry(hash: h, keyStart: Int32(keys.count), keyLength: Int32(n),
                             valueStart: Int32(values.count), valueCount: Int32(tokens.count)))
        keys.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        values.append(contentsOf: tokens)
    }

    /// Doubles the table and re-places every entry.
    private mutating func grow() {
        var grown = [Int32](repeating: -1, count: table.count * 2)
        let mask = grown.count - 1
        for (k, e) in entries.enumerated() {
            var slot = ByteStringTableHalf.home(e.hash, mask)
            while grown[slot] >= 0 { slot = (slot + 1) & mask }
            grown[slot] = Int32(k)
        }
        table = grown
    }
}
