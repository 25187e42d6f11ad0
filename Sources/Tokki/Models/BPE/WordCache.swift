#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSupport
import Synchronization

/// The record format shared by ``WordCache`` and ``SharedWordTable``: UInt32s
/// `[keyLength | spanCount << 16] [gap] [deviation] [id]×count [start]×count [end]×count [score]×count [key bytes, padded]`
/// — everything a hit needs, together; the ids are contiguous, so an ids-only hit reads them
/// in one run (``appendIDs(_:to:)``).
enum WordRecord {
    /// What a record stores of a token: its byte range and id.
    protocol Span {
        var recordStart: Int32 { get }
        var recordEnd: Int32 { get }
        var recordID: Int32 { get }
    }

    /// The UInt32s a record of `count` spans and an `n`-byte key takes.
    @inline(__always)
    static func size(keyLength n: Int, spans count: Int) -> Int { 3 + 4 * count + (n + 3) / 4 }

    /// Writes a record into `r`, which is exactly ``size(keyLength:spans:)`` UInt32s (its
    /// subscript checks every write in debug builds).
    static func write<S: Collection>(_ r: UnsafeMutableBufferPointer<UInt32>, _ p: UnsafePointer<UInt8>, _ n: Int, spans: S,
                                     offset: Int32, gap: Float, deviation: Float, score: ((S.Element) -> Float)?) where S.Element: Span {
        let count = spans.count
        assert(r.count == size(keyLength: n, spans: count))
        r[0] = UInt32(n) | UInt32(count) << 16
        r[1] = gap.bitPattern
        r[2] = deviation.bitPattern
        var v = 3
        for s in spans {
            r[v] = UInt32(bitPattern: s.recordID)
            r[v + count] = UInt32(bitPattern: s.recordStart - offset)
            r[v + 2 * count] = UInt32(bitPattern: s.recordEnd - offset)
            r[v + 3 * count] = (score?(s) ?? 0).bitPattern
            v += 1
        }
        v += 3 * count
        // The key's n bytes go into the last (n + 3) / 4 UInt32s, zero-padded.
        let words = (n + 3) / 4
        assert(v + words == r.count && n <= 4 * words)
        if words > 0 { r[v + words - 1] = 0 }
        UnsafeMutableRawPointer(r.baseAddress! + v).copyMemory(from: p, byteCount: n)
    }

    /// Whether the record at `r` is for the `n` bytes at `p`.
    @inline(__always)
    static func matches(_ r: UnsafePointer<UInt32>, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let header = r[0]
        guard Int(header & 0xFFFF) == n else { return false }
        let count = Int(header >> 16)
        // Keys are short: word loads (``bytesEqual``), not a call to `memcmp`.
        return bytesEqual(UnsafeRawPointer(r + 3 + 4 * count), UnsafeRawPointer(p), n)
    }

    @inline(__always)
    static func gapAndDeviation(_ r: UnsafePointer<UInt32>) -> (gap: Float, deviation: Float) {
        (Float(bitPattern: r[1]), Float(bitPattern: r[2]))
    }

    @inline(__always)
    static func appendSpans(_ r: UnsafePointer<UInt32>, base: Int32, to spans: inout [TokenSpan], running: inout Float) {
        forEachSpan(r) { start, end, id, score in
            spans.append(TokenSpan(start: start + base, end: end + base, id: id))
            running = score + running
        }
    }

    /// The number of spans (tokens) of the record at `r`.
    @inline(__always)
    static func spanCount(_ r: UnsafePointer<UInt32>) -> Int { Int(r[0] >> 16) }

    /// Span `k` (below `count`, the record's ``spanCount(_:)``) of the record at `r`: its id
    /// and byte range relative to the key's start.
    @inline(__always)
    static func span(_ r: UnsafePointer<UInt32>, _ k: Int, count: Int) -> (id: Int32, start: Int32, end: Int32) {
        assert(k >= 0 && k < count && count == spanCount(r))
        return (Int32(bitPattern: r[3 + k]), Int32(bitPattern: r[3 + count + k]), Int32(bitPattern: r[3 + 2 * count + k]))
    }

    /// Appends a record's spans as model tokens (positions relative to the key's start).
    @inline(__always)
    static func appendTokens(_ r: UnsafePointer<UInt32>, to out: inout [ModelToken]) {
        let count = Int(r[0] >> 16)
        for k in 3..<(3 + count) {
            out.append(ModelToken(id: Int32(bitPattern: r[k]), start: Int32(bitPattern: r[k + count]), end: Int32(bitPattern: r[k + 2 * count])))
        }
    }

    /// Appends a record's ids (one at a time: a word has few, and a call to copy them costs more).
    @inline(__always)
    static func appendIDs(_ r: UnsafePointer<UInt32>, to ids: inout [Int32]) {
        let count = Int(r[0] >> 16)
        for k in 3..<(3 + count) { ids.append(Int32(bitPattern: r[k])) }
    }

    @inline(__always)
    static func forEachSpan(_ r: UnsafePointer<UInt32>, _ body: (Int32, Int32, Int32, Float) -> Void) {
        let count = Int(r[0] >> 16)
        for k in 3..<(3 + count) {
            body(Int32(bitPattern: r[k + count]), Int32(bitPattern: r[k + 2 * count]), Int32(bitPattern: r[k]),
                 Float(bitPattern: r[k + 3 * count]))
        }
    }
}

/// A word table shared by every thread that encodes with one tokenizer, so that a word
/// segmented on one thread is a hit on all the others (with one table per thread, each
/// thread pays for every distinct word again, which costs a fifth more work on two threads).
///
/// Insert-only and lock-free: a record is written into space reserved with an atomic bump
/// of the pool, then published by a compare-and-swap of its table slot (release); a reader
/// loads the slot (acquire) before it reads the record, and a published record never
/// changes. When the table or the pool is full, inserting stops (``View/isFull``) and the
/// threads fall back to their own ``WordCache`` tables for further words: memory stays
/// bounded.
///
/// The class owns the memory; threads work through a ``View`` of raw pointers, so a look-up
/// never touches the object's reference count (two threads bumping one count contend for
/// its cache line on every word). The counters sit on cache lines of their own.
final class SharedWordTable: @unchecked Sendable {
    /// The default table size (2 MiB; half of it is used) and pool capacity in UInt32s
    /// (16 MiB; its pages are touched only as records are written).
    static let defaultSlotCount = 1 << 18
    static let defaultPoolCapacity = 1 << 22
    /// The counters' stride in `Atomic<Int>`s: one 64-byte cache line each.
    static let counterStride = 8

    let view: View

    /// A table of `slotCount` slots (a power of two, at least 2) and a pool of `poolCapacity`
    /// UInt32s (below 2^32).
    init(slotCount: Int = SharedWordTable.defaultSlotCount, poolCapacity: Int = SharedWordTable.defaultPoolCapacity) {
        let slotCount = max(2, slotCount), poolCapacity = min(max(1, poolCapacity), Int(UInt32.max))
        precondition(slotCount & (slotCount - 1) == 0, "slotCount must be a power of two")
        // Both blocks are fresh mappings, aligned to 2 MB and marked for huge pages
        // (``LargeArrays/map(bytes:populate:)``): the slots are then one zeroed huge page
        // mapped in at once, not 512 page faults and a 2 MB memset (about 0.5 ms of every
        // process that encodes), and look-ups, which land at random places, need one TLB
        // entry. The slots are populated, not left to fault: a page read before it is written
        // maps the shared zero page, and the first write then replaces it, which stops every
        // other thread of the process for a TLB flush — once per page, in the middle of
        // encoding. (An all-zero atomic holds 0.) Where the system refuses a mapping, the heap
        // is used, zeroed by writing.
        // A slot table a quarter the size, and prefetching three pieces ahead instead of two,
        // measured the same: what look-ups wait for is the cache beyond L2 (see
        // ``View/prefetch(_:)``; the prefetches gave about 5%).
        let slotBytes = slotCount * MemoryLayout<UInt64>.stride
        let poolBytes = poolCapacity * MemoryLayout<UInt32>.stride
        let mappedSlots = LargeArrays.map(bytes: slotBytes, populate: true)
        let raw = mappedSlots ?? UnsafeMutableRawPointer.allocate(byteCount: slotBytes, alignment: 64)
        if mappedSlots == nil { raw.initializeMemory(as: UInt64.self, repeating: 0, count: slotCount) }
        let slots = raw.bindMemory(to: Atomic<UInt64>.self, capacity: slotCount)
        let counters = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: 3 * Self.counterStride)
        for k in 0..<(3 * Self.counterStride) { (counters + k).initialize(to: Atomic(0)) }
        // The pool's pages are mapped in as records are written (records are written before
        // they are read, see ``View``).
        let mappedPool = LargeArrays.map(bytes: poolBytes, populate: false)
        let poolRaw = mappedPool ?? UnsafeMutableRawPointer.allocate(byteCount: poolBytes, alignment: 64)
        let pool = poolRaw.bindMemory(to: UInt32.self, capacity: poolCapacity)
        memory = (mappedSlots != nil ? slotBytes : nil, mappedPool != nil ? poolBytes : nil)
        view = View(slots: slots, mask: slotCount - 1, pool: pool, poolCapacity: poolCapacity, counters: counters)
    }

    /// The sizes of the slots' and the pool's mappings (nil: heap memory).
    private let memory: (slots: Int?, pool: Int?)

    deinit {
        if let bytes = memory.slots { LargeArrays.unmap(UnsafeMutableRawPointer(view.slots), bytes: bytes) } else {
            UnsafeMutableRawPointer(view.slots).deallocate()
        }
        if let bytes = memory.pool { LargeArrays.unmap(UnsafeMutableRawPointer(view.pool), bytes: bytes) } else {
            view.pool.deallocate()
        }
        view.counters.deinitialize(count: 3 * Self.counterStride)
        view.counters.deallocate()
    }

    /// The table's memory, valid while the table lives (a ``WordCache`` keeps it alive).
    struct View: @unchecked Sendable {
        /// `hash | record offset << 32`; 0 is empty (hashes are never 0).
        let slots: UnsafeMutablePointer<Atomic<UInt64>>
        /// The slot count less one.
        let mask: Int
        let pool: UnsafeMutablePointer<UInt32>
        let poolCapacity: Int
        /// UInt32s reserved in the pool, at 0; records inserted, at `counterStride`; full
        /// (non-zero), at `2 * counterStride`.
        let counters: UnsafeMutablePointer<Atomic<Int>>

        /// Whether no more words are inserted.
        @inline(__always)
        var isFull: Bool { counters[2 * SharedWordTable.counterStride].load(ordering: .relaxed) != 0 }

        /// Starts loading the slot where a look-up of hash `h` begins (a hint, so that the
        /// look-up a word later does not wait for memory).
        @inline(__always)
        func prefetch(_ h: UInt32) { tk_prefetch(UnsafeRawPointer(slots + ByteStringTableHalf.home(h, mask))) }

        /// Starts loading the record that the first slot for hash `h` points to, when that
        /// slot holds the hash (read after ``prefetch(_:)`` has brought it in).
        @inline(__always)
        func prefetchRecord(_ h: UInt32) {
            let e = slots[ByteStringTableHalf.home(h, mask)].load(ordering: .relaxed)
            if e != 0 && UInt32(truncatingIfNeeded: e) == h { tk_prefetch(UnsafeRawPointer(pool + Int(e >> 32))) }
        }

        /// The pool offset of the record of the `n` bytes at `p` (hash `h`), or nil.
        @inline(__always)
        func find(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32) -> Int? {
            var slot = ByteStringTableHalf.home(h, mask)
            while true {
                let e = slots[slot].load(ordering: .acquiring)
                if e == 0 { return nil }
                if UInt32(truncatingIfNeeded: e) == h {
                    let r = Int(e >> 32)
                    if WordRecord.matches(pool + r, p, n) { return r }
                }
                slot = (slot + 1) & mask
            }
        }

        /// Inserts a record; false when the table is full (nothing inserted).
        func insert<S: Collection>(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32, spans: S, offset: Int32,
                                   gap: Float, deviation: Float, score: ((S.Element) -> Float)?) -> Bool where S.Element: WordRecord.Span {
            if isFull || n > 0xFFFF || spans.count > 0xFFFF { return false }
            let size = WordRecord.size(keyLength: n, spans: spans.count)
            let r = counters[0].wrappingAdd(size, ordering: .relaxed).oldValue
            // At most half the slots are used, so that every probe ends at an empty one.
            guard r + size <= poolCapacity,
                  counters[SharedWordTable.counterStride].wrappingAdd(1, ordering: .relaxed).oldValue < (mask + 1) / 2 else {
                counters[2 * SharedWordTable.counterStride].store(1, ordering: .relaxed)
                return false
            }
            // [r, r + size) was reserved by this thread alone.
            assert(r >= 0 && r + size <= poolCapacity)
            WordRecord.write(UnsafeMutableBufferPointer(start: pool + r, count: size), p, n, spans: spans, offset: offset,
                             gap: gap, deviation: deviation, score: score)
            let entry = UInt64(h) | UInt64(r) << 32
            var slot = ByteStringTableHalf.home(h, mask)
            while true {
                let (exchanged, original) = slots[slot].compareExchange(expected: 0, desired: entry,
                                                                        successOrdering: .releasing, failureOrdering: .acquiring)
                if exchanged { return true }
                // Another thread put the same word in first: its record serves (this one is unused).
                if UInt32(truncatingIfNeeded: original) == h && WordRecord.matches(pool + Int(original >> 32), p, n) {
                    return true
                }
                slot = (slot + 1) & mask
            }
        }
    }
}

extension TokenSpan: WordRecord.Span {
    var recordStart: Int32 { start }
    var recordEnd: Int32 { end }
    var recordID: Int32 { id }
}

extension ModelToken: WordRecord.Span {
    var recordStart: Int32 { start }
    var recordEnd: Int32 { end }
    var recordID: Int32 { id }
}

/// A tokenizer's two shared word tables — words of normalized text (or a Hugging Face
/// model's pre-tokens), and raw words (see ``SentencePieceTokenizer``) — made on first use, so a tokenizer that only ever encodes
/// one text at a time never allocates them.
final class SharedWordTables: Sendable {
    private let normalizedTable = AtomicLazyReference<SharedWordTable>()
    private let rawTable = AtomicLazyReference<SharedWordTable>()
    private let slotCount: Int
    private let poolCapacity: Int

    /// Tables of the given size (tests make small ones to exercise the full state).
    init(slotCount: Int = SharedWordTable.defaultSlotCount, poolCapacity: Int = SharedWordTable.defaultPoolCapacity) {
        self.slotCount = slotCount
        self.poolCapacity = poolCapacity
    }

    var normalized: SharedWordTable {
        normalizedTable.load() ?? normalizedTable.storeIfNil(SharedWordTable(slotCount: slotCount, poolCapacity: poolCapacity))
    }
    var raw: SharedWordTable {
        rawTable.load() ?? rawTable.storeIfNil(SharedWordTable(slotCount: slotCount, poolCapacity: poolCapacity))
    }
}

/// A bounded, allocation-free cache from a word's bytes to its segmentation (spans relative
/// to the word start), one per thread. Words go to the tokenizer's ``SharedWordTable`` while
/// it has room, then to this thread's own table, which starts small (cheap for one short
/// text), doubles up to ``maxSlots`` and is cleared when full.
///
/// It holds the shared table's ``SharedWordTable/View`` only — raw pointers, so that copying
/// a cache or looking a word up never touches a reference count the other threads touch
/// too. Whoever keeps the cache keeps the table alive (``SentencePieceTokenizer/Scratch``
/// holds the tokenizer's ``SharedWordTables``).
///
/// The table holds 8-byte entries (a 32-bit hash and a record offset) so it stays in cache;
/// records are in ``WordRecord``'s format. A record handle below 0 is `~offset` in the shared
/// table's pool.
struct WordCache: Sendable {
    static let initialSlots = 1 << 12
    static let maxSlots = 1 << 18
    static let maxWordLength = 96
    static let maxPool = 1 << 22

    /// The memory of the table shared with the other threads, if any.
    private let view: SharedWordTable.View?
    /// `hash` (never 0 when used) and the record's offset in `pool`.
    /// Empty until the first word of its own (so an idle cache costs no allocation).
    var table: [UInt64] = []
    var pool: [UInt32] = []
    var entries = 0

    /// A cache of its own, working with `shared` too when given (which its owner must keep
    /// alive as long as the cache).
    init(shared: SharedWordTable.View? = nil) { view = shared }

    /// The table hash of a word (shared with ``ByteStringTable``).
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32 { ByteStringTableHalf.hash(p, n) }

    /// Starts loading the shared table's slot for hash `h` (a hint, a word ahead of its look-up).
    @inline(__always)
    func prefetch(_ h: UInt32) { view?.prefetch(h) }

    /// Looks `word` up: a record handle when cached, else the empty slot of this thread's
    /// table where it would go (-1 when it goes to the shared table).
    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32) -> (slot: Int, record: Int?) {
        if let view {
            if let r = view.find(p, n, h) { return (-1, ~r) }
            if !view.isFull { return (-1, nil) }
        }
        return findOwn(p, n, h)
    }

    @inline(__always)
    private func findOwn(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32) -> (slot: Int, record: Int?) {
        if table.isEmpty { return (-1, nil) }
        let mask = table.count - 1
        var slot = ByteStringTableHalf.home(h, mask)
        return table.withUnsafeBufferPointer { t in
            pool.withUnsafeBufferPointer { pl in
                while true {
                    let e = t[slot]
                    if e == 0 { return (slot, nil) }
                    if UInt32(truncatingIfNeeded: e) == h {
                        let r = Int(e >> 32)
                        if WordRecord.matches(pl.baseAddress! + r, p, n) { return (slot, r) }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    /// Calls `body` with the record of handle `record`.
    @inline(__always)
    private func withRecord<R>(_ record: Int, _ body: (UnsafePointer<UInt32>) -> R) -> R {
        if record < 0, let view { return body(view.pool + ~record) }
        return pool.withUnsafeBufferPointer { pl in body(pl.baseAddress! + record) }
    }

    /// The unigram decision gap and path-score deviation stored with a record.
    @inline(__always)
    func gapAndDeviation(_ record: Int) -> (gap: Float, deviation: Float) {
        withRecord(record) { WordRecord.gapAndDeviation($0) }
    }

    /// Appends a record's spans, shifted to `base`, and adds their path scores to `running`
    /// in order (float, as the reference accumulates them).
    @inline(__always)
    func appendSpans(_ record: Int, base: Int32, to spans: inout [TokenSpan], running: inout Float) {
        withRecord(record) { WordRecord.appendSpans($0, base: base, to: &spans, running: &running) }
    }

    /// Appends the ids of a record's spans to `ids`, in order.
    @inline(__always)
    func appendIDs(_ record: Int, to ids: inout [Int32]) {
        withRecord(record) { WordRecord.appendIDs($0, to: &ids) }
    }

    /// Calls `body(start, end, id, score)` for each span of a record, in order (positions
    /// relative to the word start; `score` is the span's path score).
    @inline(__always)
    func forEachSpan(_ record: Int, _ body: (Int32, Int32, Int32, Float) -> Void) {
        withRecord(record) { WordRecord.forEachSpan($0, body) }
    }

    /// Remembers a word's spans (`slot` as ``find(_:_:_:)`` returned it).
    mutating func insert(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32, slot: Int, spans: ArraySlice<TokenSpan>, offset: Int32,
                         gap: Float = 0, deviation: Float = 0, score: ((TokenSpan) -> Float)? = nil) {
        let count = spans.count
        guard n <= 0xFFFF, count <= 0xFFFF else { return }
        if let view, view.insert(p, n, h, spans: spans, offset: offset, gap: gap, deviation: deviation, score: score) { return }
        var slot = slot
        if slot < 0 || (entries + 1) * 2 > table.count || pool.count > Self.maxPool {
            if (entries + 1) * 2 > table.count || pool.count > Self.maxPool {
                // At most half full: double the table, or start again when it is at its largest.
                if table.count < Self.maxSlots && pool.count <= Self.maxPool { grow() } else { clear() }
            }
            let (s, found) = findOwn(p, n, h)
            if found != nil { return }
            slot = s
        }
        let r = pool.count
        let size = WordRecord.size(keyLength: n, spans: count)
        table[slot] = UInt64(h) | UInt64(r) << 32
        pool.append(contentsOf: repeatElement(0, count: size))
        pool.withUnsafeMutableBufferPointer { pl in
            // The record's `size` UInt32s were just appended.
            assert(r + size == pl.count)
            WordRecord.write(UnsafeMutableBufferPointer(rebasing: pl[r..<(r + size)]), p, n, spans: spans, offset: offset,
                             gap: gap, deviation: deviation, score: score)
        }
        entries += 1
    }

    /// Remembers a word's ids, as spans with no byte range, for paths that cache final ids
    /// (``appendIDs(_:to:)``); `spans` is working memory.
    mutating func insertIDs(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32, slot: Int, ids: ArraySlice<Int32>,
                            spans: inout [TokenSpan]) {
        spans.removeAll(keepingCapacity: true)
        for id in ids { spans.append(TokenSpan(start: 0, end: 0, id: id)) }
        insert(p, n, h, slot: slot, spans: spans[...], offset: 0)
    }

    /// Doubles the table and re-places every record (the pool is unchanged).
    private mutating func grow() {
        var grown = [UInt64](repeating: 0, count: max(Self.initialSlots, table.count * 2))
        let mask = grown.count - 1
        for e in table where e != 0 {
            var slot = ByteStringTableHalf.home(UInt32(truncatingIfNeeded: e), mask)
            while grown[slot] != 0 { slot = (slot + 1) & mask }
            grown[slot] = e
        }
        table = grown
    }

    mutating func clear() {
        table.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        pool.removeAll(keepingCapacity: true)
        entries = 0
    }

    /// The words of normalized text: a word ends before a `▁` that follows other text (a run
    /// of `▁` stays with the text after it), and at the end — except after a character in
    /// `joiners` (see ``joiners(_:treatWhitespaceAsSuffix:)``), where a piece may go on.
    struct Words {
        let p: UnsafePointer<UInt8>
        let n: Int
        let joiners: [UInt32]
        var i = 0
        var wordStart = 0
        var inSpaceRun = false

        init(_ p: UnsafePointer<UInt8>, _ n: Int, joiners: [UInt32] = []) { self.p = p; self.n = n; self.joiners = joiners }

        @inline(__always)
        mutating func next() -> (start: Int, end: Int)? {
            while i < n {
                let isSpace = i + 2 < n && p[i] == 0xE2 && p[i + 1] == 0x96 && p[i + 2] == 0x81
                if isSpace && !inSpaceRun && i > wordStart && !joinsNext(at: i) {
                    let word = (wordStart, i)
                    wordStart = i
                    inSpaceRun = true; i += 3
                    return word
                }
                if isSpace { inSpaceRun = true; i += 3 } else { inSpaceRun = false; i += 1 }
            }
            if n > wordStart {
                let word = (wordStart, n)
                wordStart = n
                return word
            }
            return nil
        }

        /// Whether the character that ends just before byte `i` (> `wordStart`) is a joiner.
        @inline(__always)
        func joinsNext(at i: Int) -> Bool { Self.endsWithJoiner(p, from: wordStart, to: i, joiners: joiners) }

        /// Whether the last character of `p[start..<end]` (non-empty) is one of `joiners`.
        @inline(__always)
        static func endsWithJoiner(_ p: UnsafePointer<UInt8>, from start: Int, to end: Int, joiners: [UInt32]) -> Bool {
            if joiners.isEmpty { return false }
            var k = end - 1
            while k > start && p[k] & 0xC0 == 0x80 { k -= 1 }
            return joiners.contains(scalar(p + k, end - k))
        }

        /// The code point of the UTF-8 sequence `p[0..<n]` (malformed bytes give distinct
        /// values above U+10FFFF, so that they never equal a joiner taken from a piece).
        @inline(__always)
        static func scalar(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32 {
            var v: UInt32 = 0
            for k in 0..<min(n, 4) { v = v << 8 | UInt32(p[k]) }
            return n > 4 ? UInt32.max : v
        }
    }

    /// The characters after which a `▁` may continue a piece, so that words cannot be
    /// segmented independently there: every non-`▁` character that some matchable piece holds
    /// right before a `▁` (as ``Words/scalar(_:_:)`` values, that is its UTF-8 bytes). Nil
    /// when words are not independent at all (whitespace as suffix) or when so many
    /// characters join that splitting would gain little (more than 64).
    static func joiners(_ vocabulary: SentencePieceVocabulary, treatWhitespaceAsSuffix: Bool) -> [UInt32]? {
        if treatWhitespaceAsSuffix { return nil }
        var found: Set<UInt32> = []
        vocabulary.pool.withUnsafeBufferPointer { pool in
            vocabulary.pieceStart.withUnsafeBufferPointer { starts in
                guard let base = pool.baseAddress else { return }
                let total = pool.count
                // Every `▁` in the pool (found with memchr), attributed to its piece.
                var id = 0
                var k = 0
                while k < total, let hit = memchr(base + k, 0xE2, total - k) {
                    let pos = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
                    k = pos + 1
                    guard pos + 2 < total && base[pos + 1] == 0x96 && base[pos + 2] == 0x81 else { continue }
                    while Int(starts[id + 1]) <= pos { id += 1 }
                    let s = Int(starts[id]), end = Int(starts[id + 1])
                    guard pos > s && pos + 3 <= end else { continue }
                    switch vocabulary.types[id] {
                    case .normal, .userDefined, .unused:
                        // The character before this `▁`, when it is not one.
                        var c = pos - 1
                        while c > s && base[c] & 0xC0 == 0x80 { c -= 1 }
                        let isSpace = pos - c == 3 && base[c] == 0xE2 && base[c + 1] == 0x96 && base[c + 2] == 0x81
                        if !isSpace { found.insert(Words.scalar(base + c, pos - c)) }
                    default: continue
                    }
                }
            }
        }
        return found.count > 64 ? nil : found.sorted()
    }
}
