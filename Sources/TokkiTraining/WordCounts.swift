import Dispatch
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

    /// Adds `count` occurrences of the word `p[0..<n]`.
    mutating func add(_ p: UnsafePointer<UInt8>, _ n: Int, _ count: Int64) {
        let h = ByteHash.hash(p, n)
        let mask = table.count - 1
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = table[slot]
            if e < 0 { break }
            let k = Int(e)
            if hashes[k] == h && Int(lengths[k]) == n {
                let same = pool.withUnsafeBufferPointer { memcmp($0.baseAddress! + Int(starts[k]), p, n) == 0 }
                if same { counts[k] += count; return }
            }
            slot = (slot + 1) & mask
        }
        table[slot] = Int32(counts.count)
        starts.append(Int32(pool.count)); lengths.append(Int32(n)); hashes.append(h); counts.append(count)
        pool.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        if counts.count * 2 > table.count { grow() }
    }

    private mutating func grow() {
        table = [Int32](repeating: -1, count: table.count * 2)
        let mask = table.count - 1
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

    mutating func merge(_ other: WordCounts) {
        other.pool.withUnsafeBufferPointer { p in
            for k in other.counts.indices {
                add(p.baseAddress! + Int(other.starts[k]), Int(other.lengths[k]), other.counts[k])
            }
        }
    }

    /// The words sorted by bytes (a deterministic order whatever the threads did).
    func sorted() -> [(word: [UInt8], count: Int64)] {
        counts.indices.sorted { word($0).lexicographicallyPrecedes(word($1)) }.map { (Array(word($0)), counts[$0]) }
    }

    /// Normalizes `lines` with `normalizer` on `threads` threads and adds their words.
    mutating func add(lines: [[UInt8]], normalizer: SentencePieceNormalizer, threads: Int) {
        let workers = max(1, min(threads, lines.count / 256 + 1))
        var partial = [WordCounts](repeating: WordCounts(), count: workers)
        partial.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            let chunk = (lines.count + workers - 1) / workers
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var local = WordCounts()
                var output = SentencePieceNormalizer.Output()
                let lo = w * chunk, hi = min(lines.count, lo + chunk)
                guard lo < hi else { return }
                for k in lo..<hi {
                    lines[k].withUnsafeBufferPointer { normalizer.normalize($0, into: &output) }
                    output.bytes.withUnsafeBufferPointer { b in
                        Self.forEachWord(b) { s, e in local.add(b.baseAddress! + s, e - s, 1) }
                    }
                }
                out[w] = local
            }
        }
        if isEmpty && workers == 1 { self = partial[0]; return }
        for p in partial { merge(p) }
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
