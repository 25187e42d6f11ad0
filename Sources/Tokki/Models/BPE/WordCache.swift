#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bounded, allocation-free cache from a word's bytes to its segmentation (spans relative
/// to the word start). Open addressing; cleared when full. One per thread.
struct WordCache: Sendable {
    static let slots = 1 << 16
    static let maxEntries = slots / 2
    static let maxWordLength = 96

    var hashes = [UInt64](repeating: 0, count: WordCache.slots)
    var keyStart = [Int32](repeating: 0, count: WordCache.slots)
    var keyLength = [Int32](repeating: 0, count: WordCache.slots)
    var valueStart = [Int32](repeating: 0, count: WordCache.slots)
    var valueCount = [Int32](repeating: 0, count: WordCache.slots)
    var keys: [UInt8] = []
    var values: [TokenSpan] = []
    var entries = 0

    init() {}

    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for i in 0..<n { h = (h ^ UInt64(p[i])) &* 0x0000_0100_0000_01B3 }
        h ^= h >> 29
        return h | 1  // never 0 (0 marks an empty slot)
    }

    /// The slot holding `word`, or the empty slot where it would go.
    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt64) -> (slot: Int, found: Bool) {
        var slot = Int(truncatingIfNeeded: h) & (Self.slots - 1)
        return hashes.withUnsafeBufferPointer { hs in
            keys.withUnsafeBufferPointer { ks in
                while true {
                    let stored = hs[slot]
                    if stored == 0 { return (slot, false) }
                    if stored == h && Int(keyLength[slot]) == n
                        && memcmp(ks.baseAddress! + Int(keyStart[slot]), p, n) == 0 {
                        return (slot, true)
                    }
                    slot = (slot + 1) & (Self.slots - 1)
                }
            }
        }
    }

    mutating func insert(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt64, slot: Int, spans: ArraySlice<TokenSpan>, offset: Int32) {
        if entries >= Self.maxEntries || keys.count > (1 << 24) {
            clear()
            let (s, _) = find(p, n, h)
            insert(p, n, h, slot: s, spans: spans, offset: offset)
            return
        }
        hashes[slot] = h
        keyStart[slot] = Int32(keys.count)
        keyLength[slot] = Int32(n)
        keys.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        valueStart[slot] = Int32(values.count)
        valueCount[slot] = Int32(spans.count)
        for s in spans { values.append(TokenSpan(start: s.start - offset, end: s.end - offset, id: s.id)) }
        entries += 1
    }

    mutating func clear() {
        hashes.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        keys.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        entries = 0
    }
}
