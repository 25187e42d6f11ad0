import Foundation
import Tokki

/// Distinct words of a normalized corpus with their frequencies: SentencePiece's training
/// view of text (each word starts with `▁`, as `split_by_whitespace` cuts it). Memory is
/// bounded by the number of distinct words, not by the corpus. Words live back to back in
/// one byte pool behind an open-addressing table, so counting allocates nothing per word.
struct WordCounts: Sendable {
    private var pool: [UInt8] = []
    private var starts: [Int32] = []
    private var lengths: [Int32] = []
    private var hashes: [UInt64] = []
    private(set) var counts: [Int64] = []
    private var table = [Int32](repeating: -1, count: 1 << 12)

    var isEmpty: Bool { counts.isEmpty }

    /// Adds `count` occurrences of the word `p[0..<n]`; returns its index.
    @discardableResult
    mutating func add(_ p: UnsafePointer<UInt8>, _ n: Int, _ count: Int64) -> Int {
        add(p, n, count, hash: ByteHash.hash(p, n))
    }

    /// The keys back to back: `body(pool, starts, lengths)`, in insertion order.
    func withKeys<R, E: Error>(_ body: ([UInt8], [Int32], [Int32]) throws(E) -> R) throws(E) -> R {
        try body(pool, starts, lengths)
    }

    /// Adds `count` occurrences of the word `p[0..<n]` whose `ByteHash` is `h`; returns its
    /// index (new words get the next one).
    @discardableResult
    mutating func add(_ p: UnsafePointer<UInt8>, _ n: Int, _ count: Int64, hash h: UInt64) -> Int {
        let mask = table.count - 1
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = table[slot]
            if e < 0 { break }
            let k = Int(e)
            if hashes[k] == h && Int(lengths[k]) == n {
                let same = pool.withUnsafeBufferPointer { memcmp($0.baseAddress! + Int(starts[k]), p, n) == 0 }
                if same { counts[k] += count; return k }
            }
            slot = (slot + 1) & mask
        }
        table[slot] = Int32(counts.count)
        starts.append(Int32(pool.count)); lengths.append(Int32(n)); hashes.append(h); counts.append(count)
        pool.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        if counts.count * 2 > table.count { grow() }
        return counts.count - 1
    }

    private mutating func grow() { rehash(table.count * 2) }

    /// Rebuilds the table with `size` slots (a power of two).
    private mutating func rehash(_ size: Int) {
        table = [Int32](repeating: -1, count: size)
        let mask = size - 1
        for k in counts.indices {
            var slot = Int(truncatingIfNeeded: hashes[k]) & mask
            while table[slot] >= 0 { slot = (slot + 1) & mask }
            table[slot] = Int32(k)
        }
    }

    /// The index of the word `p[0..<n]`, if counted.
    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
        let h = ByteHash.hash(p, n)
        let mask = table.count - 1
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = table[slot]
            if e < 0 { return nil }
            let k = Int(e)
            if hashes[k] == h && Int(lengths[k]) == n {
                let same = pool.withUnsafeBufferPointer { memcmp($0.baseAddress! + Int(starts[k]), p, n) == 0 }
                if same { return k }
            }
            slot = (slot + 1) & mask
        }
    }

    /// The bytes of word `k`.
    func word(_ k: Int) -> ArraySlice<UInt8> {
        let s = Int(starts[k])
        return pool[s..<(s + Int(lengths[k]))]
    }

    /// Adds the counts of `other` (its hashes are reused).
    mutating func merge(_ other: WordCounts) {
        guard !other.isEmpty else { return }
        guard !isEmpty else { self = other; return }
        var size = table.count
        while 2 * (counts.count + other.counts.count) > size { size *= 2 }
        if size > table.count { rehash(size) }
        other.pool.withUnsafeBufferPointer { p in
            for k in other.counts.indices {
                add(p.baseAddress! + Int(other.starts[k]), Int(other.lengths[k]), other.counts[k], hash: other.hashes[k])
            }
        }
    }

    /// Calls `body` with the bytes of word `k`.
    func withWord<R>(_ k: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try pool.withUnsafeBufferPointer { p in
            try body(UnsafeBufferPointer(rebasing: p[Int(starts[k])..<(Int(starts[k]) + Int(lengths[k]))]))
        }
    }

    /// The words sorted by bytes (a deterministic order whatever the threads did).
    func sorted() -> [(word: [UInt8], count: Int64)] {
        var order = Array(counts.indices)
        pool.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return }
            order.sort { x, y in
                let lx = Int(lengths[x]), ly = Int(lengths[y])
                let c = memcmp(base + Int(starts[x]), base + Int(starts[y]), min(lx, ly))
                return c != 0 ? c < 0 : lx < ly
            }
        }
        return order.map { (Array(word($0)), counts[$0]) }
    }

    /// Calls `body` with the byte range of every word: cuts before every `▁` (U+2581).
    static func forEachWord(_ text: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
        var start = 0
        var i = 0
        let n = text.count
        while i < n {
            if i > start && i + 2 < n && text[i] == 0xE2 && text[i + 1] == 0x96 && text[i + 2] == 0x81 {
                body(start, i)
                start = i
            }
            i += 1
        }
        if start < n { body(start, n) }
    }
}
