#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bounded, allocation-free cache from a word's bytes to its segmentation (spans relative
/// to the word start). One per thread; cleared when full.
///
/// The table holds 8-byte entries (a 32-bit hash and a record offset) so it stays in cache;
/// each record keeps everything a hit needs together in one pool: header, spans, their path
/// scores and the key bytes.
struct WordCache: Sendable {
    static let slots = 1 << 16
    static let maxEntries = slots / 2
    static let maxWordLength = 96
    static let maxPool = 1 << 24

    /// `hash` (never 0 when used) and the record's offset in `pool`.
    var table = [UInt64](repeating: 0, count: WordCache.slots)
    /// Records: [keyLength | valueCount << 16] [gap] [deviation] [start end id]×count [score]×count [key bytes, padded].
    var pool: [UInt32] = []
    var entries = 0

    init() {}

    /// The table hash of a word (shared with ``ByteStringTable``).
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32 { ByteStringTableHalf.hash(p, n) }

    /// Looks `word` up: the record offset when cached, else the empty slot where it would go.
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
                        let header = pl[r]
                        if Int(header & 0xFFFF) == n {
                            let count = Int(header >> 16)
                            let key = UnsafeRawPointer(pl.baseAddress! + r + 3 + 4 * count)
                            if memcmp(key, p, n) == 0 { return (slot, r) }
                        }
                    }
                    slot = (slot + 1) & (Self.slots - 1)
                }
            }
        }
    }

    /// The unigram decision gap and path-score deviation stored with a record.
    @inline(__always)
    func gapAndDeviation(_ record: Int) -> (gap: Float, deviation: Float) {
        (Float(bitPattern: pool[record + 1]), Float(bitPattern: pool[record + 2]))
    }

    /// Appends a record's spans, shifted to `base`, and adds their path scores to `running`
    /// in order (float, as the reference accumulates them).
    @inline(__always)
    func appendSpans(_ record: Int, base: Int32, to spans: inout [TokenSpan], running: inout Float) {
        pool.withUnsafeBufferPointer { pl in
            let count = Int(pl[record] >> 16)
            var v = record + 3
            let scores = record + 3 + 3 * count
            for k in 0..<count {
                spans.append(TokenSpan(start: Int32(bitPattern: pl[v]) + base, end: Int32(bitPattern: pl[v + 1]) + base,
                                       id: Int32(bitPattern: pl[v + 2])))
                running = Float(bitPattern: pl[scores + k]) + running
                v += 3
            }
        }
    }

    /// Calls `body(start, end, id, score)` for each span of a record, in order (positions
    /// relative to the word start; `score` is the span's path score).
    @inline(__always)
    func forEachSpan(_ record: Int, _ body: (Int32, Int32, Int32, Float) -> Void) {
        pool.withUnsafeBufferPointer { pl in
            let count = Int(pl[record] >> 16)
            let scores = record + 3 + 3 * count
            var v = record + 3
            for k in 0..<count {
                body(Int32(bitPattern: pl[v]), Int32(bitPattern: pl[v + 1]), Int32(bitPattern: pl[v + 2]), Float(bitPattern: pl[scores + k]))
                v += 3
            }
        }
    }

    mutating func insert(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32, slot: Int, spans: ArraySlice<TokenSpan>, offset: Int32,
                         gap: Float = 0, deviation: Float = 0, score: ((TokenSpan) -> Float)? = nil) {
        let count = spans.count
        guard n <= 0xFFFF, count <= 0xFFFF else { return }
        if entries >= Self.maxEntries || pool.count > Self.maxPool {
            clear()
            let (s, _) = find(p, n, h)
            insert(p, n, h, slot: s, spans: spans, offset: offset, gap: gap, deviation: deviation, score: score)
            return
        }
        let r = pool.count
        table[slot] = UInt64(h) | UInt64(r) << 32
        pool.append(UInt32(n) | UInt32(count) << 16)
        pool.append(gap.bitPattern)
        pool.append(deviation.bitPattern)
        for s in spans {
            pool.append(UInt32(bitPattern: s.start - offset))
            pool.append(UInt32(bitPattern: s.end - offset))
            pool.append(UInt32(bitPattern: s.id))
        }
        for s in spans { pool.append((score?(s) ?? 0).bitPattern) }
        let words = (n + 3) / 4
        let keyAt = pool.count
        pool.append(contentsOf: repeatElement(0, count: words))
        pool.withUnsafeMutableBufferPointer { pl in
            // The key's n bytes go into the `words` zeroed UInt32s just appended.
            assert(n <= 4 * words && keyAt + words == pl.count)
            UnsafeMutableRawPointer(pl.baseAddress! + keyAt).copyMemory(from: p, byteCount: n)
        }
        entries += 1
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
        func joinsNext(at i: Int) -> Bool {
            if joiners.isEmpty { return false }
            var k = i - 1
            while k > wordStart && p[k] & 0xC0 == 0x80 { k -= 1 }
            return joiners.contains(Self.scalar(p + k, i - k))
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
