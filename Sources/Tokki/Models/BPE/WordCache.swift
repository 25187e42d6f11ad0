#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bounded, allocation-free cache from a word's bytes to its segmentation (spans relative
/// to the word start). Open addressing over one array of 32-byte entries; cleared when full.
/// One per thread.
struct WordCache: Sendable {
    static let slots = 1 << 15
    static let maxEntries = slots / 2
    static let maxWordLength = 96

    struct Entry: Sendable {
        var hash: UInt64 = 0          // 0 marks an empty slot
        var keyStart: Int32 = 0
        var valueStart: Int32 = 0
        var keyLength: Int16 = 0
        var valueCount: Int16 = 0
        /// Unigram only: a lower bound on the exact gap of the word's closest Viterbi
        /// decision, and the largest distance of a path score from the word's starting score.
        var gap: Float = 0
        var deviation: Float = 0
    }

    var table = [Entry](repeating: Entry(), count: WordCache.slots)
    var keys: [UInt8] = []
    var values: [TokenSpan] = []
    /// Unigram only: the path score the reference adds for each cached span.
    var valueScores: [Float] = []
    var entries = 0

    init() {}

    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        var i = 0
        while i + 8 <= n {
            h = (h ^ UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 32
            i += 8
        }
        while i < n { h = (h ^ UInt64(p[i])) &* 0x0000_0100_0000_01B3; i += 1 }
        h ^= h >> 29
        h = h &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 32
        return h | 1
    }

    /// The slot holding `word`, or the empty slot where it would go.
    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt64) -> (slot: Int, found: Bool) {
        var slot = Int(truncatingIfNeeded: h) & (Self.slots - 1)
        return table.withUnsafeBufferPointer { t in
            keys.withUnsafeBufferPointer { ks in
                while true {
                    let e = t[slot]
                    if e.hash == 0 { return (slot, false) }
                    if e.hash == h && Int(e.keyLength) == n && memcmp(ks.baseAddress! + Int(e.keyStart), p, n) == 0 {
                        return (slot, true)
                    }
                    slot = (slot + 1) & (Self.slots - 1)
                }
            }
        }
    }

    mutating func insert(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt64, slot: Int, spans: ArraySlice<TokenSpan>, offset: Int32,
                         gap: Float = 0, deviation: Float = 0, score: ((TokenSpan) -> Float)? = nil) {
        if entries >= Self.maxEntries || keys.count > (1 << 24) || values.count > (1 << 24) || spans.count > Int(Int16.max) {
            if spans.count > Int(Int16.max) { return }
            clear()
            let (s, _) = find(p, n, h)
            insert(p, n, h, slot: s, spans: spans, offset: offset, gap: gap, deviation: deviation, score: score)
            return
        }
        table[slot] = Entry(hash: h, keyStart: Int32(keys.count), valueStart: Int32(values.count),
                            keyLength: Int16(n), valueCount: Int16(spans.count), gap: gap, deviation: deviation)
        keys.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        for s in spans {
            values.append(TokenSpan(start: s.start - offset, end: s.end - offset, id: s.id))
            valueScores.append(score?(s) ?? 0)
        }
        entries += 1
    }

    mutating func clear() {
        table.withUnsafeMutableBufferPointer { $0.update(repeating: Entry()) }
        keys.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        valueScores.removeAll(keepingCapacity: true)
        entries = 0
    }

    /// The words of normalized text: a word ends before a `▁` that follows other text (a run
    /// of `▁` stays with the text after it), and at the end.
    struct Words {
        let p: UnsafePointer<UInt8>
        let n: Int
        var i = 0
        var wordStart = 0
        var inSpaceRun = false

        init(_ p: UnsafePointer<UInt8>, _ n: Int) { self.p = p; self.n = n }

        @inline(__always)
        mutating func next() -> (start: Int, end: Int)? {
            while i < n {
                let isSpace = i + 2 < n && p[i] == 0xE2 && p[i + 1] == 0x96 && p[i + 2] == 0x81
                if isSpace && !inSpaceRun && i > wordStart {
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
    }

    /// Whether no matchable piece holds `▁` after a non-`▁` character, so no piece can span
    /// the start of a word and words can be segmented independently.
    static func wordsAreIndependent(_ vocabulary: SentencePieceVocabulary, treatWhitespaceAsSuffix: Bool) -> Bool {
        if treatWhitespaceAsSuffix { return false }
        for (id, bytes) in vocabulary.pieceBytes.enumerated() {
            switch vocabulary.types[id] {
            case .normal, .userDefined, .unused:
                var k = 0
                while k + 2 < bytes.count && bytes[k] == 0xE2 && bytes[k + 1] == 0x96 && bytes[k + 2] == 0x81 { k += 3 }
                while k + 2 < bytes.count {
                    if bytes[k] == 0xE2 && bytes[k + 1] == 0x96 && bytes[k + 2] == 0x81 { return false }
                    k += 1
                }
            default: continue
            }
        }
        return true
    }
}
