#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import Tokki

/// Text as de-duplication sees it: whitespace runs collapsed to one space, ends trimmed, ASCII
/// letters lowercased (Hangul and other scripts unchanged).
public func deduplicationKey(_ text: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(text.count)
    var pendingSpace = false
    for b in text {
        if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D {
            pendingSpace = !out.isEmpty
            continue
        }
        if pendingSpace { out.append(0x20); pendingSpace = false }
        out.append(b >= 0x41 && b <= 0x5A ? b + 32 : b)
    }
    return out
}

/// Exact de-duplication: a document repeats an earlier one when the 128-bit hashes of their
/// `deduplicationKey`s are equal. Memory: about 40 bytes per distinct document; with
/// `maxDocuments`, at most that many are remembered (see ``WindowedNearDuplicateIndex``).
public struct ExactDeduplicator: Sendable {
    var seen: [Hash128: Int] = [:]
    var previous: [Hash128: Int] = [:]
    let generation: Int?

    /// Creates an empty index; with `maxDocuments`, documents are remembered in two
    /// generations of `maxDocuments / 2`, so a copy is always found within the last
    /// `maxDocuments / 2` distinct documents and memory stays bounded.
    public init(maxDocuments: Int? = nil) {
        generation = maxDocuments.map { max(1, $0 / 2) }
    }

    /// The index of the earlier document this one repeats, or nil (then it is remembered as
    /// document `index`).
    public mutating func check(_ text: [UInt8], index: Int) -> Int? {
        check(key: Self.key(text), index: index)
    }

    /// The 128-bit hash of a document's ``deduplicationKey(_:)``: equal for exact copies.
    public static func key(_ text: [UInt8]) -> Hash128 { Hash128(deduplicationKey(text)) }

    /// As ``check(_:index:)``, for a document given by its ``key(_:)``.
    public mutating func check(key h: Hash128, index: Int) -> Int? {
        if let first = seen[h] ?? previous[h] { return first }
        if let generation, seen.count >= generation {
            previous = seen
            seen = [:]
        }
        seen[h] = index
        return nil
    }

    /// Distinct documents remembered.
    public var count: Int { seen.count + previous.count }
}

/// MinHash signatures and banded locality-sensitive hashing for near-duplicate detection
/// (Broder 1997; Leskovec, Rajaraman & Ullman, *Mining of Massive Datasets* ch. 3).
///
/// Each document becomes a set of shingles (character n-grams by default: Korean has no reliable
/// word boundaries), each shingle a 64-bit hash, and the signature keeps, for each of
/// `permutations` seeded hash functions `h_i(x) = (a_i·x + b_i) >> 32` (multiply-shift, `a_i`
/// odd), the minimum over the shingles. Two documents agree in one signature position with
/// probability ≈ their Jaccard similarity. The signature is cut into `bands` of `rows`; documents
/// that agree on a whole band become candidates, and a candidate is confirmed when the share of
/// equal signature positions reaches `threshold`.
public struct MinHashLSH: Sendable {
    /// What a shingle is.
    public enum Shingle: Sendable, Equatable {
        /// `n` consecutive characters (Unicode scalars) of the normalized text.
        case characters(Int)
        /// `n` consecutive space-separated words.
        case words(Int)
    }

    /// The settings.
    public struct Configuration: Sendable, Equatable {
        /// Jaccard similarity at or above which two documents are near duplicates (0.8).
        public var threshold = 0.8
        /// Signature length (128, datasketch's default).
        public var permutations = 128
        /// Bands and rows per band; nil chooses them as datasketch does (minimising the weighted
        /// sum of false-positive and false-negative probabilities at `threshold`).
        public var bands: Int? = nil
        /// Rows per band.
        public var rows: Int? = nil
        /// The shingle unit: 5-character shingles by default.
        public var shingle = Shingle.characters(5)
        /// The seed of the hash functions.
        public var seed: UInt64 = 1
        /// Creates the defaults.
        public init() {}
    }

    /// The settings.
    public let configuration: Configuration
    /// Bands used.
    public let bands: Int
    /// Rows per band.
    public let rows: Int
    let a: [UInt64]
    let b: [UInt64]

    /// Validates the settings.
    public init(_ configuration: Configuration) throws(DataError) {
        let c = configuration
        guard c.threshold > 0, c.threshold <= 1 else { throw .mismatch("the threshold must be in (0, 1]") }
        guard c.permutations >= 2, c.permutations <= 4096 else { throw .mismatch("the number of permutations must be in 2…4096") }
        switch c.shingle {
        case .characters(let n), .words(let n): guard n >= 1, n <= 64 else { throw .mismatch("the shingle size must be in 1…64") }
        }
        if let b = c.bands, let r = c.rows {
            // (b · r may overflow for values from a command line.)
            guard b >= 1, r >= 1, !b.multipliedReportingOverflow(by: r).overflow, b * r <= c.permutations else {
                throw .mismatch("bands × rows (\(b) × \(r)) must be at most the number of permutations (\(c.permutations))")
            }
            bands = b
            rows = r
        } else if c.bands != nil || c.rows != nil {
            throw .mismatch("give both bands and rows, or neither")
        } else {
            (bands, rows) = Self.optimalParameters(threshold: c.threshold, permutations: c.permutations)
        }
        self.configuration = c
        var rng = SplitMixGenerator(seed: c.seed)
        a = (0..<c.permutations).map { _ in rng.next() | 1 }
        b = (0..<c.permutations).map { _ in rng.next() }
    }

    /// The (bands, rows) with b·r ≤ permutations minimising the false-positive plus
    /// false-negative probability mass (equal weights) at `threshold`, as datasketch's
    /// `_optimal_param`.
    public static func optimalParameters(threshold t: Double, permutations: Int) -> (bands: Int, rows: Int) {
        func integrate(_ f: (Double) -> Double, _ lo: Double, _ hi: Double) -> Double {
            // Composite Simpson's rule.
            let n = 200
            let h = (hi - lo) / Double(n)
            var s = f(lo) + f(hi)
            for i in 1..<n { s += f(lo + Double(i) * h) * (i % 2 == 1 ? 4 : 2) }
            return s * h / 3
        }
        var best = (bands: 1, rows: 1), bestError = Double.infinity
        for b in 1...permutations {
            let maxR = permutations / b
            guard maxR >= 1 else { continue }
            for r in 1...maxR {
                let fp = integrate({ s in 1 - pow(1 - pow(s, Double(r)), Double(b)) }, 0, t)
                let fn = integrate({ s in 1 - (1 - pow(1 - pow(s, Double(r)), Double(b))) }, t, 1)
                let e = 0.5 * fp + 0.5 * fn
                if e < bestError { bestError = e; best = (b, r) }
            }
        }
        return best
    }

    /// The 64-bit hashes of a document's shingles (a document shorter than one shingle is one
    /// shingle).
    public func shingles(_ text: [UInt8]) -> [UInt64] {
        let key = deduplicationKey(text)
        var out: [UInt64] = []
        switch configuration.shingle {
        case .characters(let n):
            // Start offsets of each scalar.
            var starts: [Int] = []
            starts.reserveCapacity(key.count)
            for (i, byte) in key.enumerated() where byte & 0xC0 != 0x80 { starts.append(i) }
            starts.append(key.count)
            let count = starts.count - 1
            if count <= n { return [hash(key[...])] }
            out.reserveCapacity(count - n + 1)
            for i in 0...(count - n) { out.append(hash(key[starts[i]..<starts[i + n]])) }
        case .words(let n):
            var starts: [Int] = [0]
            for (i, byte) in key.enumerated() where byte == 0x20 { starts.append(i + 1) }
            let count = starts.count
            if count <= n { return [hash(key[...])] }
            out.reserveCapacity(count - n + 1)
            for i in 0...(count - n) {
                let end = i + n < count ? starts[i + n] - 1 : key.count
                out.append(hash(key[starts[i]..<end]))
            }
        }
        return out
    }

    @inline(__always)
    func hash(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.withUnsafeBytes { Hash128($0, seed: 0x746F_6B6B_69).low }
    }

    /// The signature of a document: `permutations` minima.
    public func signature(_ text: [UInt8]) -> [UInt32] {
        var sig = [UInt32](repeating: .max, count: a.count)
        signature(shingles(text), into: &sig)
        return sig
    }

    /// The signature of shingle hashes into `sig` (already filled with `.max`).
    public func signature(_ hashes: [UInt64], into sig: inout [UInt32]) {
        let n = a.count
        // One minimum per permutation: the writes below go to sp[0..<n].
        assert(sig.count >= n && b.count == n, "signature buffer of \(sig.count) for \(n) permutations")
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                sig.withUnsafeMutableBufferPointer { sp in
                    for x in hashes {
                        for i in 0..<n {
                            let v = UInt32(truncatingIfNeeded: (ap[i] &* x &+ bp[i]) >> 32)
                            if v < sp[i] { sp[i] = v }
                        }
                    }
                }
            }
        }
    }

    /// The share of equal positions of two signatures (the Jaccard estimate).
    public static func similarity(_ x: UnsafeBufferPointer<UInt32>, _ y: UnsafeBufferPointer<UInt32>) -> Double {
        var equal = 0
        for i in 0..<min(x.count, y.count) where x[i] == y[i] { equal += 1 }
        return Double(equal) / Double(max(1, min(x.count, y.count)))
    }

    /// The hash of band `k` of a signature.
    @inline(__always)
    func bandKey(_ sig: UnsafeBufferPointer<UInt32>, _ k: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(k + 1)
        for i in (k * rows)..<((k + 1) * rows) {
            h = (h ^ UInt64(sig[i])) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 29
        }
        return h
    }
}

/// Streaming near-duplicate detection: documents arrive in order; each is compared, through the
/// LSH band index, with the documents kept so far, and is a duplicate of the first kept document
/// whose signature agrees on at least `threshold` of its positions.
///
/// Memory per kept document: its signature (4 bytes × permutations; on disk when a spill file is
/// given) and one index entry per band (12 bytes at a load factor ≤ ½, so about 24 bytes × bands).
public final class NearDuplicateIndex {
    /// The hashing scheme.
    public let lsh: MinHashLSH
    var keys: [UInt64]
    var values: [Int32]
    var used = 0
    var signatures: [UInt32] = []
    let spill: AtomicFile?
    var spillCache: [UInt32] = []
    /// Kept documents.
    public private(set) var kept = 0
    /// The caller's number of each kept document.
    var documentNumbers: [Int] = []

    /// Creates an index; with `spillPath`, signatures are stored in that (temporary) file instead
    /// of memory, and read back on demand.
    public init(_ lsh: MinHashLSH, spillPath: String? = nil) throws(DataError) {
        self.lsh = lsh
        keys = [UInt64](repeating: 0, count: 1 << 12)
        values = [Int32](repeating: -1, count: 1 << 12)
        spill = try spillPath.map { (p) throws(DataError) in try AtomicFile(path: p) }
    }

    deinit { spill?.abort() }

    /// A match: the caller's number of the earlier document and the estimated similarity.
    public struct Match: Sendable, Equatable {
        /// The earlier (kept) document.
        public var document: Int
        /// The share of equal signature positions.
        public var similarity: Double
    }

    /// Checks a signature against the kept documents; when there is no match the document is
    /// kept (added to the index) as `number`.
    public func check(_ signature: [UInt32], number: Int) throws(DataError) -> Match? {
        var bandKeys: [UInt64] = []
        if let m = try match(signature, bandKeys: &bandKeys) { return m }
        try keep(signature, number: number, bandKeys: bandKeys)
        return nil
    }

    /// Keeps a document without looking for matches.
    func add(_ signature: [UInt32], number: Int) throws(DataError) {
        let keys = signature.withUnsafeBufferPointer { sig in (0..<lsh.bands).map { lsh.bandKey(sig, $0) } }
        try keep(signature, number: number, bandKeys: keys)
    }

    /// The best kept document matching `signature`, without adding it.
    public func match(_ signature: [UInt32]) throws(DataError) -> Match? {
        var bandKeys: [UInt64] = []
        return try match(signature, bandKeys: &bandKeys)
    }

    func match(_ signature: [UInt32], bandKeys: inout [UInt64]) throws(DataError) -> Match? {
        let bands = lsh.bands
        bandKeys = [UInt64](repeating: 0, count: bands)
        var best: Match? = nil
        var bestID = Int.max
        var checked = Set<Int32>()
        var other = [UInt32](repeating: 0, count: signature.count)
        try signature.withUnsafeBufferPointer { (sig) throws(DataError) in
            for k in 0..<bands {
                bandKeys[k] = lsh.bandKey(sig, k)
                var slot = Int(bandKeys[k] & UInt64(keys.count - 1))
                while values[slot] >= 0 {
                    if keys[slot] == bandKeys[k], checked.insert(values[slot]).inserted {
                        let id = Int(values[slot])
                        try load(id, into: &other)
                        let s = other.withUnsafeBufferPointer { MinHashLSH.similarity(sig, $0) }
                        // The most similar kept document; on ties the earliest.
                        if s >= lsh.configuration.threshold, s > (best?.similarity ?? -1) || (s == best?.similarity && id < bestID) {
                            best = Match(document: documentNumbers[id], similarity: s)
                            bestID = id
                        }
                    }
                    slot = (slot + 1) & (keys.count - 1)
                }
            }
        }
        return best
    }

    func keep(_ signature: [UInt32], number: Int, bandKeys: [UInt64]) throws(DataError) {
        let bands = lsh.bands
        let id = Int32(kept)
        kept += 1
        documentNumbers.append(number)
        if let spill {
            try spill.write(signature.withUnsafeBytes { Array($0) })
        } else {
            signatures.append(contentsOf: signature)
        }
        if (used + bands) * 2 > keys.count { grow() }
        for k in 0..<bands { insert(bandKeys[k], id) }
    }

    func insert(_ key: UInt64, _ id: Int32) {
        var slot = Int(key & UInt64(keys.count - 1))
        while values[slot] >= 0 { slot = (slot + 1) & (keys.count - 1) }
        keys[slot] = key
        values[slot] = id
        used += 1
    }

    func grow() {
        let oldKeys = keys, oldValues = values
        keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        values = [Int32](repeating: -1, count: oldKeys.count * 2)
        used = 0
        for i in 0..<oldKeys.count where oldValues[i] >= 0 { insert(oldKeys[i], oldValues[i]) }
    }

    func load(_ id: Int, into out: inout [UInt32]) throws(DataError) {
        let n = lsh.a.count
        if let spill {
            try spill.readValues(at: id * n * 4, into: &out)
        } else {
            for i in 0..<n { out[i] = signatures[id * n + i] }
        }
    }

    /// Bytes of memory used by the index and in-memory signatures.
    public var memoryBytes: Int { keys.count * 12 + signatures.count * 4 + documentNumbers.count * 8 }
}

/// Near-duplicate detection with bounded memory: two generations of ``NearDuplicateIndex``, each
/// holding at most `maxDocuments / 2` kept documents. When the newer one is full the older one is
/// dropped, so every document is compared with at least the last `maxDocuments / 2` kept
/// documents and memory never exceeds that of `maxDocuments`. For corpora whose index would not
/// fit in memory (near duplicates in crawls are mostly close together in time or source order).
public final class WindowedNearDuplicateIndex {
    /// The hashing scheme.
    public let lsh: MinHashLSH
    let generation: Int
    let spillPrefix: String?
    var current: NearDuplicateIndex
    var previous: NearDuplicateIndex?
    var generations = 0

    /// Creates the index; `spillPrefix` puts each generation's signatures in a temporary file.
    public init(_ lsh: MinHashLSH, maxDocuments: Int, spillPrefix: String? = nil) throws(DataError) {
        self.lsh = lsh
        generation = max(1, maxDocuments / 2)
        self.spillPrefix = spillPrefix
        current = try NearDuplicateIndex(lsh, spillPath: spillPrefix.map { $0 + ".0" })
    }

    /// As ``NearDuplicateIndex/check(_:number:)``, against both generations: the most similar
    /// match wins (the newer generation on ties).
    public func check(_ signature: [UInt32], number: Int) throws(DataError) -> NearDuplicateIndex.Match? {
        var best = try current.match(signature)
        if let previous, let m = try previous.match(signature), m.similarity > (best?.similarity ?? -1) { best = m }
        if let best { return best }
        if current.kept >= generation {
            generations += 1
            previous = current
            current = try NearDuplicateIndex(lsh, spillPath: spillPrefix.map { $0 + ".\(generations % 2)" })
        }
        try current.add(signature, number: number)
        return nil
    }

    /// Kept documents remembered.
    public var kept: Int { current.kept + (previous?.kept ?? 0) }

    /// Bytes of memory used.
    public var memoryBytes: Int { current.memoryBytes + (previous?.memoryBytes ?? 0) }
}
