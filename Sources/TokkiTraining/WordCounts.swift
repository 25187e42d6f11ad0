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
        add(p, n, count, hash: ByteHash.hash(p, n))
    }

    /// The keys back to back: `body(pool, starts, lengths)`, in insertion order.
    func withKeys<R, E: Error>(_ body: ([UInt8], [Int32], [Int32]) throws(E) -> R) throws(E) -> R {
        try body(pool, starts, lengths)
    }

    /// Adds `count` occurrences of the word `p[0..<n]` whose `ByteHash` is `h`.
    mutating func add(_ p: UnsafePointer<UInt8>, _ n: Int, _ count: Int64, hash h: UInt64) {
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

/// Counts the normalized words of a corpus fed in batches of lines, on several threads.
///
/// When the normalizer treats raw words independently
/// (``SentencePieceNormalizer/normalizesWordsIndependently``), lines are only cut at spaces
/// and their distinct raw words counted; each distinct raw word is normalized once, at the
/// end, and its normalized words take its count. Lines holding a literal `▁` — and every
/// line under other normalizers — are normalized whole. Either way the counts are exactly
/// those of normalizing every line.
struct WordCounter {
    let normalizer: SentencePieceNormalizer
    let threads: Int
    /// Per worker, kept across batches (merged once, in `finish`): distinct raw words, and
    /// the normalized words of lines counted whole.
    private var raw: [WordCounts]
    private var normalized: [WordCounts]

    init(normalizer: SentencePieceNormalizer, threads: Int) {
        self.normalizer = normalizer
        self.threads = max(1, threads)
        raw = Array(repeating: WordCounts(), count: self.threads)
        normalized = raw
    }

    /// Counts the words of `lines`.
    mutating func add(lines: [[UInt8]]) {
        let cutsAtSpaces = normalizer.normalizesWordsIndependently
        let normalizer = self.normalizer, threads = self.threads
        withTables { raw, normalized in
            nonisolated(unsafe) let raw = raw, normalized = normalized
            parallelRanges(lines.count, threads: threads, grain: 256) { w, range in
                var output = SentencePieceNormalizer.Output()
                output.tracksOffsets = false
                assert(w < raw.count && w < normalized.count)  // one table per worker, fewer workers than `threads`
                for k in range {
                    lines[k].withUnsafeBufferPointer { line in
                        Self.count(line, cutsAtSpaces: cutsAtSpaces, normalizer: normalizer, raw: &raw[w], normalized: &normalized[w], output: &output)
                    }
                }
            }
        }
    }

    /// Calls `body` with the per-worker tables, for threads that each touch only their own.
    private mutating func withTables(_ body: (UnsafeMutableBufferPointer<WordCounts>, UnsafeMutableBufferPointer<WordCounts>) -> Void) {
        raw.withUnsafeMutableBufferPointer { r in
            normalized.withUnsafeMutableBufferPointer { n in body(r, n) }
        }
    }

    /// Counts the words of a chunk of plain-text lines (see ``CorpusReader/chunks(consume:)``),
    /// split at line ends into one part per thread; returns what the lines held.
    mutating func add(chunk: [UInt8]) -> ChunkLines {
        let workers = max(1, min(threads, chunk.count / (64 << 10) + 1))
        // Part boundaries: just after a line end.
        var cuts = [0]
        chunk.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return }
            for w in 1..<workers {
                var at = max(cuts[cuts.count - 1], b.count * w / workers)
                if let nl = memchr(base + at, 0x0A, b.count - at) { at = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(nl)) + 1 } else { at = b.count }
                cuts.append(at)
            }
        }
        cuts.append(chunk.count)
        let cutsAtSpaces = normalizer.normalizesWordsIndependently
        let normalizer = self.normalizer
        let boundaries = cuts
        var partial = [ChunkLines](repeating: ChunkLines(), count: workers)
        withTables { raw, normalized in
            nonisolated(unsafe) let raw = raw, normalized = normalized
            partial.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out
                chunk.withUnsafeBufferPointer { b in
                    nonisolated(unsafe) let b = b
                    DispatchQueue.concurrentPerform(iterations: workers) { w in
                        var output = SentencePieceNormalizer.Output()
                        output.tracksOffsets = false
                        assert(w < out.count && w < raw.count && w < normalized.count)  // workers ≤ threads
                        out[w] = ChunkLines.forEachLine(b, boundaries[w]..<boundaries[w + 1]) { line in
                            Self.count(line, cutsAtSpaces: cutsAtSpaces, normalizer: normalizer, raw: &raw[w], normalized: &normalized[w], output: &output)
                        }
                    }
                }
            }
        }
        var tally = ChunkLines()
        for lines in partial { tally.append(lines) }
        return tally
    }

    /// The normalized words with their counts.
    mutating func finish() -> WordCounts {
        // The workers' raw words, merged (largest first), then each distinct one normalized once.
        var tables = raw.sorted { $0.counts.count > $1.counts.count }
        self.raw = []
        var merged = tables.isEmpty ? WordCounts() : tables.removeFirst()
        for t in tables { merged.merge(t) }
        tables = []
        let raw = merged
        merged = WordCounts()
        var normalized = self.normalized
        self.normalized = []
        let distinct = raw.counts.count
        let normalizer = self.normalizer
        var partial = [WordCounts](repeating: WordCounts(), count: threads)
        partial.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            parallelRanges(distinct, threads: threads, grain: 1024) { w, range in
                var local = WordCounts()
                var output = SentencePieceNormalizer.Output()
                output.tracksOffsets = false
                for k in range {
                    let count = raw.counts[k]
                    raw.withWord(k) { normalizer.normalize($0, into: &output) }
                    output.bytes.withUnsafeBufferPointer { b in
                        WordCounts.forEachWord(b) { s, e in local.add(b.baseAddress! + s, e - s, count) }
                    }
                }
                assert(w < out.count)  // one table per worker
                out[w] = local
            }
        }
        normalized += partial
        normalized.sort { $0.counts.count > $1.counts.count }
        var all = normalized.isEmpty ? WordCounts() : normalized.removeFirst()
        for t in normalized { all.merge(t) }
        return all
    }

    /// Counts one line: its raw words into `raw` when the normalizer allows cutting at
    /// spaces and the line holds no literal `▁`, else its normalized words into `normalized`.
    @inline(__always)
    static func count(_ line: UnsafeBufferPointer<UInt8>, cutsAtSpaces: Bool, normalizer: SentencePieceNormalizer,
                      raw: inout WordCounts, normalized: inout WordCounts, output: inout SentencePieceNormalizer.Output) {
        guard let p = line.baseAddress else { return }
        if cutsAtSpaces && !holdsSpaceSymbol(line) {
            forEachRawWord(line) { s, e in raw.add(p + s, e - s, 1) }
        } else {
            normalizer.normalize(line, into: &output)
            output.bytes.withUnsafeBufferPointer { o in
                guard let q = o.baseAddress else { return }
                WordCounts.forEachWord(o) { s, e in normalized.add(q + s, e - s, 1) }
            }
        }
    }

    /// Whether `line` holds `▁` (U+2581) literally.
    static func holdsSpaceSymbol(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = line.count
        while i + 2 < n {
            if line[i] == 0xE2 && line[i + 1] == 0x96 && line[i + 2] == 0x81 { return true }
            i += 1
        }
        return false
    }

    /// Calls `body` with the byte range of every run of non-space bytes (spaces: 0x20 only).
    static func forEachRawWord(_ line: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
        let n = line.count
        var i = 0
        while i < n {
            while i < n && line[i] == 0x20 { i += 1 }
            if i == n { return }
            let start = i
            while i < n && line[i] != 0x20 { i += 1 }
            body(start, i)
        }
    }
}
