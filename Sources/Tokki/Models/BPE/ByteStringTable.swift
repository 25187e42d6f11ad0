#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import Dispatch

/// A hash table from arbitrary byte strings (NUL bytes allowed) to 32-bit values, looked up
/// by pointer and length without allocating, split in two halves by one hash bit so that
/// large tables build on two threads. Used for BPE pieces and tiktoken ranks.
struct ByteStringTable: Sendable {
    // Two stored halves rather than an array of them: reading an array element copies the
    // half (retaining its four arrays) on every lookup.
    private var low: ByteStringTableHalf
    private var high: ByteStringTableHalf

    /// An empty table with room for `capacity` keys.
    init(capacity: Int) {
        low = ByteStringTableHalf(capacity: capacity / 2 + 1)
        high = ByteStringTableHalf(capacity: capacity / 2 + 1)
    }

    /// Builds a table from keys stored back to back in `pool` (key `k` is
    /// `pool[starts[k] ..< starts[k] + lengths[k]]`), on two threads. Returns the index of a
    /// duplicated key instead when there is one (the first key, in index order, equal to an
    /// earlier one; in the low half first).
    static func build(pool: [UInt8], starts: [Int32], lengths: [Int32], values: [Int32]) -> Result<ByteStringTable, DuplicateKey> {
        let n = values.count
        // Keys are read at `starts[k]`, `lengths[k]` for every value `k`, inside the pool.
        assert(starts.count >= n && lengths.count >= n, "ByteStringTable: \(n) values for \(starts.count) starts, \(lengths.count) lengths")
        assert((0..<n).allSatisfy { starts[$0] >= 0 && lengths[$0] >= 0 && Int(starts[$0]) + Int(lengths[$0]) <= pool.count })
        // Each key is hashed once (on all cores); each half then takes its keys.
        var hashes = [UInt32](repeating: 0, count: n)
        pool.withUnsafeBufferPointer { p in
            starts.withUnsafeBufferPointer { s in
                lengths.withUnsafeBufferPointer { l in
                    hashes.withUnsafeMutableBufferPointer { h in
                        nonisolated(unsafe) let p = p, s = s, l = l, h = h
                        parallelRanges(n, threads: min(4, Parallelism.threads), grain: 4096) { range in
                            withUnsafePointer(to: UInt8(0)) { zero in
                                let base = p.baseAddress ?? zero
                                for k in range {
                                    assert(k < h.count)
                                    h[k] = ByteStringTableHalf.hash(base + Int(s[k]), Int(l[k]))
                                }
                            }
                        }
                    }
                }
            }
        }
        let keyHashes = hashes
        var halves = [ByteStringTableHalf](repeating: ByteStringTableHalf(capacity: 0), count: 2)
        var duplicates = [Int](repeating: -1, count: 2)
        halves.withUnsafeMutableBufferPointer { hs in
            duplicates.withUnsafeMutableBufferPointer { ds in
                nonisolated(unsafe) let hs = hs, ds = ds
                Parallelism.run(tasks: 2) { half in
                    let (table, duplicate) = ByteStringTableHalf.build(half: half, pool: pool, starts: starts, lengths: lengths,
                                                                       values: values, hashes: keyHashes)
                    assert(half < hs.count && half < ds.count)
                    hs[half] = table
                    ds[half] = duplicate ?? -1
                }
            }
        }
        if let k = duplicates.first(where: { $0 >= 0 }) { return .failure(DuplicateKey(index: k)) }
        return .success(ByteStringTable(halves: halves))
    }

    struct DuplicateKey: Error { let index: Int }

    private init(halves: [ByteStringTableHalf]) {
        low = halves[0]
        high = halves[1]
    }

    var count: Int { low.count + high.count }

    /// Whether both halves are used in place in a cache image's mapping (``TableArray``).
    var isMapped: Bool { low.isMapped && high.isMapped }

    /// The value of `p[0..<n]`, or nil.
    @inline(__always)
    func value(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32? {
        let h = ByteStringTableHalf.hash(p, n)
        return h >> 31 == 0 ? low.value(p, n, h) : high.value(p, n, h)
    }

    /// Adds `key` → `value`; returns false when the key is already present.
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, _ value: Int32) -> Bool {
        let h = ByteStringTableHalf.hash(key)
        return h >> 31 == 0 ? low.insert(key, h, value) : high.insert(key, h, value)
    }

    /// Runs `body` with a lookup over raw pointers into the table (no reference counting per
    /// lookup, which matters when several threads look up at once); valid only inside `body`.
    func withUnsafeLookup<R>(_ body: (UnsafeByteStringLookup) -> R) -> R {
        low.withUnsafeParts { l in high.withUnsafeParts { h in body(UnsafeByteStringLookup(low: l, high: h)) } }
    }
}

/// Raw pointers into a ``ByteStringTable``, from ``ByteStringTable/withUnsafeLookup(_:)``.
/// Read-only, so threads may share it while the table lives.
struct UnsafeByteStringLookup: @unchecked Sendable {
    fileprivate let low: ByteStringTableHalf.Parts
    fileprivate let high: ByteStringTableHalf.Parts

    /// The value of `p[0..<n]`, or nil.
    @inline(__always)
    func value(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32? {
        let h = ByteStringTableHalf.hash(p, n)
        return (h >> 31 == 0 ? low : high).value(p, n, h)
    }

    /// One key of a batch: its bytes (from a base pointer) and, while looking it up, its hash,
    /// home slot word and entry.
    struct BatchKey {
        var start: Int32
        var length: Int32
        fileprivate var hash: UInt32 = 0
        fileprivate var slot: UInt64 = 0
        fileprivate var entry = ByteStringTableHalf.Entry(start: 0, length: -1, value: -1)

        /// The key `base[start ..< start + length]`.
        init(start: Int32, length: Int32) {
            self.start = start
            self.length = length
        }
    }

    /// Looks up a batch of keys at once, writing each value (or -1) to `out`. Each step
    /// (hash and home slot, entry, key bytes) is done for every key before the next, so that
    /// the cache misses of different keys overlap instead of queueing one after another.
    /// `out` has room for `keys.count` values.
    func values(_ keys: UnsafeMutableBufferPointer<BatchKey>, base: UnsafePointer<UInt8>, into out: UnsafeMutablePointer<Int32>) {
        // The hashes first, then the slots in a loop of a few instructions per key, so that
        // the out-of-order core has many of the (cache-missing) slot loads in flight at once;
        // with the hash in the same loop it holds only a few.
        for j in keys.indices {
            keys[j].hash = ByteStringTableHalf.hash(base + Int(keys[j].start), Int(keys[j].length))
        }
        for j in keys.indices {
            let h = keys[j].hash
            let part = h >> 31 == 0 ? low : high
            keys[j].slot = part.slots[ByteStringTableHalf.home(h, part.mask)]
        }
        for j in keys.indices {
            let e = keys[j].slot
            if e != 0 && UInt32(truncatingIfNeeded: e) == keys[j].hash {
                keys[j].entry = (keys[j].hash >> 31 == 0 ? low : high).entries[Int(e >> 32)]
            }
        }
        for j in keys.indices {
            let k = keys[j]
            let n = Int(k.length), p = base + Int(k.start)
            if k.slot == 0 {
                out[j] = -1
            } else if k.entry.length == k.length
                        && (n == 0 || (k.hash >> 31 == 0 ? low : high).pool.baseAddress.map { bytesEqual($0 + Int(k.entry.start), p, n) } ?? false) {
                out[j] = k.entry.value
            } else {
                // Another key in the home slot: probe on.
                out[j] = (k.hash >> 31 == 0 ? low : high).value(p, n, k.hash) ?? -1
            }
        }
    }
}

/// One half of a ``ByteStringTable``.
struct ByteStringTableHalf: Sendable {
    // Read from a cache image, the three tables are used in place (``TableArray``).
    private var slots: TableArray<UInt64>          // hash (low 32 bits, never 0) | entry index << 32
    private var hashes = TableArray<UInt32>([])
    /// Per entry: key start in `pool`, key length, value — one array, so a lookup touches
    /// one cache line for all three.
    private var entries = TableArray<Entry>([])
    private var pool: [UInt8] = []
    private var mask: Int
    /// The image mapping the tables lie in, when read from one (kept alive with them).
    private var imageOwner: (any AnyObject & Sendable)? = nil

    fileprivate struct Entry: Sendable {
        var start: Int32
        var length: Int32
        var value: Int32
    }

    /// Raw pointers to one half's arrays.
    fileprivate struct Parts: @unchecked Sendable {
        let slots: UnsafeBufferPointer<UInt64>
        let entries: UnsafeBufferPointer<Entry>
        let pool: UnsafeBufferPointer<UInt8>
        let mask: Int

        @inline(__always)
        func value(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32) -> Int32? {
            var slot = ByteStringTableHalf.home(h, mask)
            while true {
                let e = slots[slot]
                if e == 0 { return nil }
                if UInt32(truncatingIfNeeded: e) == h {
                    let entry = entries[Int(e >> 32)]
                    if Int(entry.length) == n
                        && (n == 0 || pool.baseAddress.map { bytesEqual($0 + Int(entry.start), p, n) } ?? false) {
                        return entry.value
                    }
                }
                slot = (slot + 1) & mask
            }
        }
    }

    fileprivate func withUnsafeParts<R>(_ body: (Parts) -> R) -> R {
        slots.withUnsafeBufferPointer { s in
            entries.withUnsafeBufferPointer { en in
                pool.withUnsafeBufferPointer { pl in body(Parts(slots: s, entries: en, pool: pl, mask: mask)) }
            }
        }
    }

    /// A table with room for `capacity` keys (of `poolCapacity` bytes in all).
    init(capacity: Int, poolCapacity: Int? = nil) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = TableArray(LargeArrays.make(repeating: UInt64(0), count: size))
        mask = size - 1
        hashes.reserveCapacity(capacity)
        entries.reserveCapacity(capacity)
        pool.reserveCapacity(poolCapacity ?? capacity * 8)
    }

    var count: Int { entries.count }

    /// Whether the half's tables are used in place in a cache image's mapping.
    var isMapped: Bool { slots.isMapped && hashes.isMapped && entries.isMapped }

    /// The half (`half`: the top hash bit) of a table of the given keys, whose hashes are
    /// `hashes`. The half shares `pool` (no key is copied). Also returns the first key (in
    /// index order) equal to an earlier one, if any.
    static func build(half: Int, pool: [UInt8], starts: [Int32], lengths: [Int32], values: [Int32],
                      hashes: [UInt32]) -> (ByteStringTableHalf, Int?) {
        var mine = 0
        for h in hashes where Int(h >> 31) == half { mine += 1 }
        var table = ByteStringTableHalf(capacity: mine, poolCapacity: 0)
        table.pool = pool
        let mask = table.mask
        var duplicate: Int? = nil
        var entries = [Entry](repeating: Entry(start: 0, length: 0, value: 0), count: mine)
        var entryHashes = [UInt32](repeating: 0, count: mine)
        var used = 0
        table.slots.withUnsafeMutableBufferPointer { sl in
            entries.withUnsafeMutableBufferPointer { en in
                entryHashes.withUnsafeMutableBufferPointer { eh in
                    pool.withUnsafeBufferPointer { src in
                        withUnsafePointer(to: UInt8(0)) { zero in
                            let base = src.baseAddress ?? zero
                            for k in hashes.indices {
                                let h = hashes[k]
                                guard Int(h >> 31) == half else { continue }
                                let n = Int(lengths[k]), start = Int(starts[k])
                                var slot = ByteStringTableHalf.home(h, mask)
                                var isDuplicate = false
                                while true {
                                    let e = sl[slot]
                                    if e == 0 { break }
                                    if UInt32(truncatingIfNeeded: e) == h {
                                        let entry = en[Int(e >> 32)]
                                        if Int(entry.length) == n && bytesEqual(base + Int(entry.start), base + start, n) {
                                            isDuplicate = true
                                            break
                                        }
                                    }
                                    slot = (slot + 1) & mask
                                }
                                if isDuplicate {
                                    if duplicate == nil { duplicate = k }
                                    continue
                                }
                                // `mine` keys of this half, at most one entry each; the load factor
                                // stays ≤ 1/2, so probing ended at an empty slot.
                                assert(used < en.count && used < eh.count && slot < sl.count && sl[slot] == 0)
                                sl[slot] = UInt64(h) | UInt64(used) << 32
                                en[used] = Entry(start: Int32(start), length: Int32(n), value: values[k])
                                eh[used] = h
                                used += 1
                            }
                        }
                    }
                }
            }
        }
        entries.removeSubrange(used...)
        entryHashes.removeSubrange(used...)
        table.entries = TableArray(entries)
        table.hashes = TableArray(entryHashes)
        return (table, duplicate)
    }

    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt32 {
        if let p = key.baseAddress { return hash(p, key.count) }
        return withUnsafePointer(to: UInt8(0)) { hash($0, 0) }
    }

    /// The slot where the probe for hash `h` starts in a table of `mask + 1` slots: the hash
    /// without its low bit, which is always set (starting at `h & mask` would use odd slots
    /// only, and every probe would run through the clusters that builds).
    @inline(__always)
    static func home(_ h: UInt32, _ mask: Int) -> Int { Int(h >> 1) & mask }

    /// The table hash of `p[0..<n]` (never 0). Words of 8 bytes, then the last 1–7 bytes in
    /// one word read with (overlapping) 4-byte or single-byte loads, so a short key costs a
    /// few multiplications rather than one per byte. Never reads outside `p[0..<n]`.
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32 {
        let raw = UnsafeRawPointer(p)
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ (UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15)
        var i = 0
        while i + 8 <= n {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 32
            i += 8
        }
        let r = n - i
        if r > 0 {
            let tail: UInt64
            if r >= 4 {
                tail = UInt64(raw.loadUnaligned(fromByteOffset: i, as: UInt32.self))
                    | UInt64(raw.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)) << 32
            } else {
                tail = UInt64(p[i]) | UInt64(p[i + r >> 1]) << 8 | UInt64(p[n - 1]) << 16
            }
            h = (h ^ tail) &* 0xBF58_476D_1CE4_E5B9
        }
        h ^= h >> 29
        h = h &* 0x94D0_49BB_1331_11EB
        h ^= h >> 32
        return UInt32(truncatingIfNeeded: h) | 1
    }

    /// The value of `p[0..<n]` (whose hash is `h`), or nil.
    @inline(__always)
    func value(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32) -> Int32? {
        var slot = ByteStringTableHalf.home(h, mask)
        return slots.withUnsafeBufferPointer { s in
            entries.withUnsafeBufferPointer { en in
                pool.withUnsafeBufferPointer { pl in
                    while true {
                        let e = s[slot]
                        if e == 0 { return nil }
                        if UInt32(truncatingIfNeeded: e) == h {
                            let entry = en[Int(e >> 32)]
                            if Int(entry.length) == n && (n == 0 || bytesEqual(pl.baseAddress! + Int(entry.start), p, n)) {
                                return entry.value
                            }
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
    }

    /// Adds `key` → `value`; returns false when the key is already present.
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, _ h: UInt32, _ value: Int32) -> Bool {
        let n = key.count
        let p = key.baseAddress
        var slot = ByteStringTableHalf.home(h, mask)
        // One probe sequence: stop at an equal key (duplicate) or at the first empty slot.
        let duplicate: Bool = slots.withUnsafeBufferPointer { sl in
            pool.withUnsafeBufferPointer { pl in
                while true {
                    let e = sl[slot]
                    if e == 0 { return false }
                    if UInt32(truncatingIfNeeded: e) == h {
                        let entry = entries[Int(e >> 32)]
                        if Int(entry.length) == n && (n == 0 || memcmp(pl.baseAddress! + Int(entry.start), p!, n) == 0) {
                            return true
                        }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
        if duplicate { return false }
        if (entries.count + 1) * 2 > slots.count {
            grow()
            slot = ByteStringTableHalf.home(h, mask)
            while slots[slot] != 0 { slot = (slot + 1) & mask }
        }
        let index = entries.count
        assert(slots[slot] == 0 && (entries.count + 1) * 2 <= slots.count, "ByteStringTable: load factor above 1/2")
        hashes.append(h)
        slots[slot] = UInt64(h) | UInt64(index) << 32
        entries.append(Entry(start: Int32(pool.count), length: Int32(n), value: value))
        pool.append(contentsOf: key)
        return true
    }

    /// Doubles the slot array and re-places every entry (keeps the load factor ≤ 1/2, so
    /// probing always ends at an empty slot).
    private mutating func grow() {
        let size = slots.count * 2
        var grown = LargeArrays.make(repeating: UInt64(0), count: size)
        let m = size - 1
        hashes.withUnsafeBufferPointer { hs in
            for (index, h) in hs.enumerated() {
                var slot = ByteStringTableHalf.home(h, m)
                while grown[slot] != 0 { slot = (slot + 1) & m }
                grown[slot] = UInt64(h) | UInt64(index) << 32
            }
        }
        slots = TableArray(grown)
        mask = m
    }
}

/// Whether `a[0..<n]` equals `b[0..<n]`; word loads instead of a `memcmp` call, as token keys
/// are short.
@inline(__always)
func bytesEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    bytesEqual(UnsafeRawPointer(a), UnsafeRawPointer(b), n)
}

/// ``bytesEqual(_:_:_:)`` of raw memory (every load is an untyped byte or word load).
@inline(__always)
func bytesEqual(_ ra: UnsafeRawPointer, _ rb: UnsafeRawPointer, _ n: Int) -> Bool {
    if n >= 8 {
        var i = 0
        while i + 8 <= n {
            if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self) != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        // The last 8 bytes (overlapping what was compared).
        return i == n || ra.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == rb.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
    }
    if n >= 4 {
        return ra.loadUnaligned(as: UInt32.self) == rb.loadUnaligned(as: UInt32.self)
            && ra.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self) == rb.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
    }
    if n >= 2 {
        return ra.loadUnaligned(as: UInt16.self) == rb.loadUnaligned(as: UInt16.self)
            && ra.loadUnaligned(fromByteOffset: n - 2, as: UInt16.self) == rb.loadUnaligned(fromByteOffset: n - 2, as: UInt16.self)
    }
    return n == 0 || ra.load(as: UInt8.self) == rb.load(as: UInt8.self)
}

/// A hash table from the texts of a set of ids to the ids, for texts already stored back to
/// back in a pool (a SentencePiece vocabulary's): id `k`'s key is
/// `pool[starts[k] ..< starts[k + 1]]`. A slot holds the key's hash and the id, and the key is
/// read from the pool itself, so the table adds only its slots — a ``ByteStringTable`` also
/// copies each key's place and value into an entry array, which doubles what a 262k-piece
/// model writes (and faults in) while it loads.
struct PooledKeyTable: Sendable {
    /// `hash` (never 0) | id << 32; 0 is empty. Used in place in a cache image's mapping when
    /// read from one (``init(image:pool:starts:)``).
    private let slots: TableArray<UInt64>
    private let mask: Int
    /// Shared with the vocabulary (no copy).
    private let pool: [UInt8]
    private let starts: [Int32]
    /// The image mapping the slots lie in, when read from one (kept alive with them).
    private var imageOwner: (any AnyObject & Sendable)? = nil

    /// An id whose text equals an earlier id's.
    struct DuplicateKey: Error { let id: Int }

    /// The table of `ids` (ascending), with keys from `pool` and `starts`; fails on the first
    /// id whose text an earlier id already has.
    static func build(pool: [UInt8], starts: [Int32], ids: [Int32]) -> Result<PooledKeyTable, DuplicateKey> {
        var size = 16
        while size < ids.count * 2 { size <<= 1 }
        let mask = size - 1
        var slots = LargeArrays.make(repeating: UInt64(0), count: size)
        var duplicate: Int? = nil
        slots.withUnsafeMutableBufferPointer { sl in
            pool.withUnsafeBufferPointer { pl in
                starts.withUnsafeBufferPointer { st in
                    withUnsafePointer(to: UInt8(0)) { zero in
                        let base = pl.baseAddress ?? zero
                        for id32 in ids {
                            let id = Int(id32)
                            assert(id >= 0 && id + 1 < st.count && Int(st[id + 1]) <= pl.count)
                            let s = Int(st[id]), n = Int(st[id + 1]) - s
                            let h = ByteStringTableHalf.hash(base + s, n)
                            var slot = ByteStringTableHalf.home(h, mask)
                            while true {
                                let e = sl[slot]
                                if e == 0 { break }
                                if UInt32(truncatingIfNeeded: e) == h {
                                    let other = Int(e >> 32)
                                    let os = Int(st[other]), on = Int(st[other + 1]) - os
                                    if on == n && bytesEqual(base + os, base + s, n) {
                                        duplicate = id
                                        return
                                    }
                                }
                                slot = (slot + 1) & mask
                            }
                            // At most half the slots are used, so probing ended at an empty one.
                            assert(slot < sl.count && sl[slot] == 0)
                            sl[slot] = UInt64(h) | UInt64(id) << 32
                        }
                    }
                }
            }
        }
        if let duplicate { return .failure(DuplicateKey(id: duplicate)) }
        return .success(PooledKeyTable(slots: TableArray(slots), mask: mask, pool: pool, starts: starts))
    }

    private init(slots: TableArray<UInt64>, mask: Int, pool: [UInt8], starts: [Int32]) {
        self.slots = slots
        self.mask = mask
        self.pool = pool
        self.starts = starts
    }

    /// Writes the slots to a cache image (the pool and starts are the model's own).
    func write(to w: inout ImageWriter) {
        w.array(slots.arrayValue)
    }

    /// A table read back from a cache image, over the `pool` and `starts` it was built on.
    /// The slot count must be a power of two with at least one empty slot (so that every probe
    /// ends), and every slot's id must name a key of `starts` (so that a look-up reads only
    /// inside the pool). A slot's hash is not compared with its key's: a wrong one makes a
    /// look-up miss, never read outside the arrays.
    init(image r: inout ImageReader, pool: [UInt8], starts: [Int32]) throws(ImageReader.Malformed) {
        let at = r.offset
        let slots = try r.mappedArray(UInt64.self)
        let bad = ImageReader.Malformed(offset: at, problem: "inconsistent key table")
        guard slots.count >= 2, slots.count & (slots.count - 1) == 0, !starts.isEmpty else { throw bad }
        let keys = UInt64(starts.count - 1)
        let (highest, empty) = ImageReader.highestAndZeros(slots) { $0 >> 32 }   // the ids
        guard empty > 0, empty == slots.count || highest < keys else { throw bad }
        // Every key's range lies in the pool (the model's own arrays: checked once here).
        let fits = starts.withUnsafeBufferPointer { st in
            var previous: Int32 = 0
            for v in st {
                if v < previous || Int(v) > pool.count { return false }
                previous = v
            }
            return true
        }
        guard fits else { throw bad }
        self.init(slots: slots, mask: slots.count - 1, pool: pool, starts: starts)
        imageOwner = r.mappingOwner
    }

    /// The id whose text is `p[0..<n]`, or nil.
    @inline(__always)
    func value(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32? {
        let h = ByteStringTableHalf.hash(p, n)
        return slots.withUnsafeBufferPointer { sl in
            starts.withUnsafeBufferPointer { st in
                pool.withUnsafeBufferPointer { pl in
                    var slot = ByteStringTableHalf.home(h, mask)
                    while true {
                        let e = sl[slot]
                        if e == 0 { return nil }
                        if UInt32(truncatingIfNeeded: e) == h {
                            let id = Int(e >> 32)
                            let s = Int(st[id]), length = Int(st[id + 1]) - s
                            if length == n && (n == 0 || bytesEqual(pl.baseAddress! + s, p, n)) { return Int32(id) }
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
    }
}

// MARK: - Compiled images (ModelCache)

extension ByteStringTable {
    /// Writes the table to a cache image, one section per half (its pool is not written: a
    /// ``TokenTable`` writes the pool its table shares).
    func write(to w: inout ImageWriter) {
        w.section { low.write(to: &$0) }
        w.section { high.write(to: &$0) }
    }

    /// The two sections ``write(to:)`` wrote.
    static func sections(_ r: inout ImageReader) throws(ImageReader.Malformed) -> [ImageReader] {
        [try r.section(), try r.section()]
    }

    /// A table of two halves read back from an image, over `pool` (the pool it was built on):
    /// every entry's key range is checked to lie in the pool.
    init(low: ByteStringTableHalf, high: ByteStringTableHalf, pool: [UInt8], at: Int) throws(ImageReader.Malformed) {
        guard low.keysFit(poolCount: pool.count), high.keysFit(poolCount: pool.count) else {
            throw ImageReader.Malformed(offset: at, problem: "a key runs past the token bytes")
        }
        self.low = low
        self.high = high
        self.low.share(pool)
        self.high.share(pool)
    }

    /// Calls `body` with each entry's key range and value until it returns false; returns
    /// whether it never did.
    func allEntries(_ body: (_ start: Int32, _ length: Int32, _ value: Int32) -> Bool) -> Bool {
        low.forEachEntry(body) && high.forEachEntry(body)
    }
}

extension ByteStringTableHalf {
    fileprivate func write(to w: inout ImageWriter) {
        w.array(slots.arrayValue)
        w.array(hashes.arrayValue)
        w.array(entries.arrayValue)
    }

    /// A half read back from an image (without its pool: see ``share(_:)``). Every slot is
    /// checked to name an entry, and at least one slot to be empty (so that every probe ends).
    /// A slot's hash is not compared with its entry's: a wrong one makes a look-up miss, never
    /// read outside the arrays (and the image's checksum has already been checked).
    init(image r: inout ImageReader) throws(ImageReader.Malformed) {
        let at = r.offset
        slots = try r.mappedArray(UInt64.self)
        hashes = try r.mappedArray(UInt32.self)
        entries = try r.mappedArray(Entry.self)
        imageOwner = r.mappingOwner
        mask = slots.count - 1
        let bad = ImageReader.Malformed(offset: at, problem: "inconsistent hash table")
        guard !slots.isEmpty, slots.count & mask == 0, hashes.count == entries.count, entries.count < slots.count else { throw bad }
        let limit = UInt64(entries.count)
        let (highest, empty) = ImageReader.highestAndZeros(slots) { $0 >> 32 }   // the entry indices
        guard empty > 0, entries.isEmpty ? empty == slots.count : highest < limit else { throw bad }
    }

    /// Whether every entry's key lies in a pool of `poolCount` bytes.
    fileprivate func keysFit(poolCount: Int) -> Bool {
        entries.withUnsafeBufferPointer { e in
            for entry in e where entry.start < 0 || entry.length < 0 || Int(entry.start) + Int(entry.length) > poolCount { return false }
            return true
        }
    }

    /// Makes `pool` (whose bytes the entries' keys are, checked by ``keysFit(poolCount:)``) the
    /// half's pool.
    fileprivate mutating func share(_ pool: [UInt8]) {
        self.pool = pool
    }

    /// Calls `body` with each entry until it returns false.
    fileprivate func forEachEntry(_ body: (_ start: Int32, _ length: Int32, _ value: Int32) -> Bool) -> Bool {
        entries.withUnsafeBufferPointer { e in
            for entry in e where !body(entry.start, entry.length, entry.value) { return false }
            return true
        }
    }
}
