#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A word cache for the ids-only path: each record keeps a word's final ids (unknown runs merged,
/// byte fallback applied) instead of its spans, so a hit appends ids directly.
///
/// Record layout in `pool`: [keyLength | scoreCount << 16] [gap] [deviation]
/// [idCount | firstUnknown << 30 | lastUnknown << 31] [id]×idCount [score]×scoreCount [key bytes].
struct IDWordCache: Sendable {
    static let slots = WordCache.slots
    static let maxEntries = slots / 2
    static let maxPool = 1 << 24

    var table = [UInt64](repeating: 0, count: IDWordCache.slots)
    var pool: [UInt32] = []
    var entries = 0

    init() {}

    @inline(__always)
    func keyOffset(_ r: Int, _ pl: UnsafeBufferPointer<UInt32>) -> Int {
        let scores = Int(pl[r] >> 16)
        let ids = Int(pl[r + 3] & 0x3FFF_FFFF)
        return r + 4 + ids + scores
    }

    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32) -> (slot: Int, record: Int?) {
        var slot = Int(h) & (Self.slots - 1)
        return table.withUnsafeBufferPointer { t in
            pool.withUnsafeBufferPointer { pl in
                while true {
                    let e = t[slot]
                    if e == 0 { return (slot, nil) }
                    if UInt32(truncatingIfNeeded: e) == h {
                        let r = Int(e >> 32)
                        if Int(pl[r] & 0xFFFF) == n, memcmp(UnsafeRawPointer(pl.baseAddress! + keyOffset(r, pl)), p, n) == 0 {
                            return (slot, r)
                        }
                    }
                    slot = (slot + 1) & (Self.slots - 1)
                }
            }
        }
    }

    mutating func insert(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32, slot: Int, ids: ArraySlice<Int32>, scores: ArraySlice<Float>,
                         firstUnknown: Bool, lastUnknown: Bool, gap: Float, deviation: Float) {
        guard n <= 0xFFFF, scores.count <= 0xFFFF, ids.count < 1 << 30 else { return }
        if entries >= Self.maxEntries || pool.count > Self.maxPool {
            table.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            pool.removeAll(keepingCapacity: true)
            entries = 0
            let (s, _) = find(p, n, h)
            insert(p, n, h, slot: s, ids: ids, scores: scores, firstUnknown: firstUnknown, lastUnknown: lastUnknown, gap: gap, deviation: deviation)
            return
        }
        let r = pool.count
        table[slot] = UInt64(h) | UInt64(r) << 32
        pool.append(UInt32(n) | UInt32(scores.count) << 16)
        pool.append(gap.bitPattern)
        pool.append(deviation.bitPattern)
        pool.append(UInt32(ids.count) | (firstUnknown ? 1 << 30 : 0) | (lastUnknown ? 1 << 31 : 0))
        for id in ids { pool.append(UInt32(bitPattern: id)) }
        for s in scores { pool.append(s.bitPattern) }
        let keyAt = pool.count
        pool.append(contentsOf: repeatElement(0, count: (n + 3) / 4))
        pool.withUnsafeMutableBufferPointer { pl in
            UnsafeMutableRawPointer(pl.baseAddress! + keyAt).copyMemory(from: p, byteCount: n)
        }
        entries += 1
    }
}

extension UnigramModel {
    /// Reusable memory of the ids-only path.
    struct IDBuffers: Sendable {
        var viterbi = Buffers()
        var spans: [TokenSpan] = []
        var wordIDs: [Int32] = []
        var scores: [Float] = []
        var cache = IDWordCache()
    }

    /// The ids of `normalized` exactly as segmenting it and then merging unknown runs (or
    /// applying byte fallback) would give, word by word through a cache of final ids. Only for
    /// models whose words are independent (see ``segmentCached``); the same rounding guard
    /// decides when a cached word may be reused.
    func encodeIDsCached(_ normalized: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], buffers b: inout IDBuffers) {
        guard let p = normalized.baseAddress else { return }
        let v = vocabulary
        let unk = Int32(v.unknownID)
        let byteIDs = v.byteIDs
        var running: Float = 0
        var previousUnknown = false
        var words = WordCache.Words(p, normalized.count)
        while let (wordStart, wordEnd) = words.next() {
            let len = wordEnd - wordStart
            let word = UnsafeBufferPointer(start: p + wordStart, count: len)
            let cacheable = len <= WordCache.maxWordLength
            let h = cacheable ? WordCache.hash(p + wordStart, len) : 0
            var slot = 0
            var found = false
            if cacheable {
                let (s, record) = b.cache.find(p + wordStart, len, h)
                slot = s
                if let r = record {
                    found = true
                    let hit: Bool = b.cache.pool.withUnsafeBufferPointer { pl in
                        let gap = Float(bitPattern: pl[r + 1]), deviation = Float(bitPattern: pl[r + 2])
                        guard gap > 2 * Float(len) * (abs(running) + deviation).ulp else { return false }
                        let info = pl[r + 3]
                        let count = Int(info & 0x3FFF_FFFF)
                        let firstUnknown = info & (1 << 30) != 0, lastUnknown = info & (1 << 31) != 0
                        var k = 0
                        if byteIDs == nil && previousUnknown && firstUnknown { k = 1 }
                        while k < count { ids.append(Int32(bitPattern: pl[r + 4 + k])); k += 1 }
                        if count > 0 { previousUnknown = lastUnknown }
                        let scoreStart = r + 4 + count
                        for k in 0..<Int(pl[r] >> 16) { running = Float(bitPattern: pl[scoreStart + k]) + running }
                        return true
                    }
                    if hit { continue }
                }
            }
            // Segment the word from the exact running score, as the reference does.
            b.spans.removeAll(keepingCapacity: true)
            var stats = DecisionStats()
            let start = running
            running = segment(word, initialScore: start, positionBase: 0, into: &b.spans, buffers: &b.viterbi,
                              stats: &stats, track: cacheable && !found)
            // Final ids of the word alone (unknown runs merged inside it).
            b.wordIDs.removeAll(keepingCapacity: true)
            b.scores.removeAll(keepingCapacity: true)
            var inWordUnknown = false
            for s in b.spans {
                let isUnknown = s.id == unk
                if isUnknown, let byteIDs {
                    for k in Int(s.start)..<Int(s.end) { b.wordIDs.append(byteIDs[Int(word[k])]) }
                } else if !(isUnknown && inWordUnknown) {
                    b.wordIDs.append(s.id)
                }
                inWordUnknown = isUnknown
                b.scores.append(pathScore(s))
            }
            let firstUnknown = b.spans.first?.id == unk, lastUnknown = b.spans.last?.id == unk
            var k = 0
            if byteIDs == nil && previousUnknown && firstUnknown { k = 1 }
            if k < b.wordIDs.count { ids.append(contentsOf: b.wordIDs[k...]) }
            if !b.spans.isEmpty { previousUnknown = lastUnknown }
            if cacheable && !found {
                // A lower bound on the exact gap: the measured gap minus this run's rounding error.
                let magnitude = abs(start) + stats.maxDeviation
                let exactGap = stats.minGap - 2 * Float(len) * magnitude.ulp
                b.cache.insert(p + wordStart, len, h, slot: slot, ids: b.wordIDs[...], scores: b.scores[...],
                               firstUnknown: firstUnknown, lastUnknown: lastUnknown,
                               gap: exactGap.isFinite ? exactGap : .greatestFiniteMagnitude, deviation: stats.maxDeviation)
            }
        }
    }
}
