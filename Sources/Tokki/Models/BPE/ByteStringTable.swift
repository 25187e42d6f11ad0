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
    /// duplicated key instead when there is one.
    static func build(pool: [UInt8], starts: [Int32], lengths: [Int32], values: [Int32]) -> Result<ByteStringTable, DuplicateKey> {
        var halves = [ByteStringTableHalf](repeating: ByteStringTableHalf(capacity: 0), count: 2)
        var duplicates = [Int](repeating: -1, count: 2)
        halves.withUnsafeMutableBufferPointer { hs in
            duplicates.withUnsafeMutableBufferPointer { ds in
                nonisolated(unsafe) let hs = hs, ds = ds
                DispatchQueue.concurrentPerform(iterations: 2) { half in
                    var table = ByteStringTableHalf(capacity: values.count / 2 + 1)
                    pool.withUnsafeBufferPointer { p in
                        for k in values.indices {
                            let s = Int(starts[k]), l = Int(lengths[k])
                            let key = UnsafeBufferPointer(rebasing: p[s..<(s + l)])
                            let h = ByteStringTableHalf.hash(key)
                            guard Int(h >> 31) == half else { continue }
                            if !table.insert(key, h, values[k]) { ds[half] = k; break }
                        }
                    }
                    hs[half] = table
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
}

/// One half of a ``ByteStringTable``.
struct ByteStringTableHalf: Sendable {
    private var slots: [UInt64]          // hash (low 32 bits, never 0) | entry index << 32
    private var hashes: [UInt32] = []
    /// Per entry: key start in `pool`, key length, value — one array, so a lookup touches
    /// one cache line for all three.
    private var entries: [Entry] = []
    private var pool: [UInt8] = []
    private var mask: Int

    private struct Entry: Sendable {
        var start: Int32
        var length: Int32
        var value: Int32
    }

    /// A table with room for `capacity` keys.
    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
        hashes.reserveCapacity(capacity)
        entries.reserveCapacity(capacity)
        pool.reserveCapacity(capacity * 8)
    }

    var count: Int { entries.count }

    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt32 {
        if let p = key.baseAddress { return hash(p, key.count) }
        return withUnsafePointer(to: UInt8(0)) { hash($0, 0) }
    }

    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32 {
        var h = ByteHash.hash(p, n)
        h ^= h >> 32
        return UInt32(truncatingIfNeeded: h) | 1
    }

    /// The value of `p[0..<n]` (whose hash is `h`), or nil.
    @inline(__always)
    func value(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32) -> Int32? {
        var slot = Int(h) & mask
        return slots.withUnsafeBufferPointer { s in
            entries.withUnsafeBufferPointer { en in
                pool.withUnsafeBufferPointer { pl in
                    while true {
                        let e = s[slot]
                        if e == 0 { return nil }
                        if UInt32(truncatingIfNeeded: e) == h {
                            let entry = en[Int(e >> 32)]
                            if Int(entry.length) == n && (n == 0 || memcmp(pl.baseAddress! + Int(entry.start), p, n) == 0) {
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
        var slot = Int(h) & mask
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
            slot = Int(h) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
        }
        let index = entries.count
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
        var grown = [UInt64](repeating: 0, count: size)
        let m = size - 1
        for (index, h) in hashes.enumerated() {
            var slot = Int(h) & m
            while grown[slot] != 0 { slot = (slot + 1) & m }
            grown[slot] = UInt64(h) | UInt64(index) << 32
        }
        slots = grown
        mask = m
    }
}
