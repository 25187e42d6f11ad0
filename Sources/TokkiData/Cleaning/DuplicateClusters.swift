import Tokki

/// Where a document is: the name of its input and its line number (from 1).
public struct DocumentLocation: Sendable, Hashable {
    /// The input's name as the reader shows it (a path, or `<stdin>`).
    public var source: String
    /// The line number, from 1.
    public var line: Int

    /// A location.
    public init(source: String, line: Int) {
        self.source = source
        self.line = line
    }

    /// `{"source":…,"line":…}`.
    public var json: [UInt8] {
        var w = JSONWriter()
        write(to: &w)
        return w.bytes
    }

    /// Writes `{"source":…,"line":…}`.
    package func write(to w: inout JSONWriter) {
        w.object { o in
            o.member("source") { $0.string(source) }
            o.member("line") { $0.integer(line) }
        }
    }
}

/// What ``Deduplicator/check(_:signature:at:)`` decided about a document.
public enum DuplicateVerdict: Sendable, Equatable {
    /// Not a copy of an earlier document: kept.
    case unique
    /// The same text (after ``deduplicationKey(_:)``) as the document at the location.
    case exact(of: DocumentLocation)
    /// A near duplicate of the kept document at the location, with the estimated similarity.
    case near(of: DocumentLocation, similarity: Double)
}

/// The clusters of a de-duplication: every kept document that has copies, and the copies removed
/// as its duplicates, in input order.
///
/// Every document with text gets a number in input order; a removed copy joins the cluster of
/// the kept document it repeats (for an exact copy of a near duplicate, the near duplicate's
/// kept document).
public struct DuplicateClusters: Sendable {
    /// One removed copy.
    public struct Member: Sendable, Equatable {
        /// Where the copy is.
        public var location: DocumentLocation
        /// The similarity with the kept document (1 for an exact copy).
        public var similarity: Double

        /// A member.
        public init(location: DocumentLocation, similarity: Double) {
            self.location = location
            self.similarity = similarity
        }
    }

    /// A kept document and its removed copies.
    public struct Cluster: Sendable, Equatable {
        /// The kept document.
        public var kept: DocumentLocation
        /// The removed copies, in input order.
        public var removed: [Member]

        /// A cluster.
        public init(kept: DocumentLocation, removed: [Member]) {
            self.kept = kept
            self.removed = removed
        }
    }

    var locations: [DocumentLocation] = []
    /// The number of the kept document each document belongs to (itself when kept).
    var representative: [Int32] = []
    var members: [Int: [Member]] = [:]

    /// No documents.
    public init() {}

    /// Documents numbered so far.
    public var count: Int { locations.count }

    /// The location of document `number`.
    public func location(_ number: Int) -> DocumentLocation { locations[number] }

    /// Numbers a kept document; returns its number.
    @discardableResult
    public mutating func addKept(_ location: DocumentLocation) -> Int {
        let number = locations.count
        locations.append(location)
        representative.append(Int32(number))
        return number
    }

    /// Numbers a removed copy of document `original` (an earlier number, kept or not): it joins
    /// the cluster of `original`'s kept document. Returns its number.
    @discardableResult
    public mutating func addCopy(_ location: DocumentLocation, of original: Int, similarity: Double) -> Int {
        let number = locations.count
        let kept = Int(representative[original])
        locations.append(location)
        representative.append(Int32(kept))
        members[kept, default: []].append(Member(location: location, similarity: similarity))
        return number
    }

    /// The clusters, in the order of their kept documents.
    public var clusters: [Cluster] {
        members.keys.sorted().compactMap { key in
            members[key].map { Cluster(kept: locations[key], removed: $0) }
        }
    }

    /// The clusters as a JSON array:
    /// `[{"kept":{"source":…,"line":…},"removed":[{"source":…,"line":…,"similarity":0.8750}]}]`
    /// (similarities with four decimals, as C's `%.4f`).
    public var json: [UInt8] {
        var w = JSONWriter()
        write(to: &w)
        return w.bytes
    }

    /// Writes ``json``.
    package func write(to w: inout JSONWriter) {
        w.array(clusters) { w, cluster in
            w.object { o in
                o.member("kept") { cluster.kept.write(to: &$0) }
                o.member("removed") { w in
                    w.array(cluster.removed) { w, m in
                        w.object { o in
                            o.member("source") { $0.string(m.location.source) }
                            o.member("line") { $0.integer(m.location.line) }
                            o.member("similarity") { $0.raw(Self.similarityText(m.similarity)) }
                        }
                    }
                }
            }
        }
    }

    /// `value` with four decimals, exactly as C's `printf("%.4f")` writes it (the exact binary
    /// value rounded half to even), for values of magnitude below 2⁴⁰.
    public static func similarityText(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        if value.sign == .minus { return "-" + similarityText(-value) }
        guard value < 0x1p40 else { return value.description }
        // value × 10⁴ = p + e exactly (e from a fused multiply-add); p − n is exact.
        let p = value * 10_000
        let e = (-p).addingProduct(value, 10_000)
        let n = p.rounded(.down)
        let fraction = p - n
        var q = UInt64(n)
        if fraction > 0.5 || (fraction == 0.5 && (e > 0 || (e == 0 && q % 2 == 1))) { q += 1 }
        let decimals = q % 10_000
        var digits = String(decimals)
        digits = String(repeating: "0", count: 4 - digits.count) + digits
        return "\(q / 10_000).\(digits)"
    }
}

/// Exact and, with a ``MinHashLSH``, near-duplicate removal over documents arriving in order,
/// keeping the clusters for the report.
///
/// A document is first checked for an exact copy (``ExactDeduplicator``), then, with near
/// de-duplication, against the kept documents' MinHash signatures (``NearDuplicateIndex``, or
/// ``WindowedNearDuplicateIndex`` with `maxDocuments`). Not `Sendable`: it owns the indexes,
/// which change with every document.
public final class Deduplicator {
    /// The near-duplicate hashing, or nil for exact de-duplication only.
    public let lsh: MinHashLSH?
    var exact: ExactDeduplicator
    let index: NearDuplicateIndex?
    let windowed: WindowedNearDuplicateIndex?
    /// The clusters so far.
    public private(set) var clusters = DuplicateClusters()
    /// Exact copies removed.
    public private(set) var exactDuplicates = 0
    /// Near duplicates removed.
    public private(set) var nearDuplicates = 0

    /// Creates the indexes. `maxDocuments` bounds memory (a copy is found among the last
    /// `maxDocuments / 2` documents); `spillPath` keeps the signatures in temporary files there
    /// (with `maxDocuments`, `spillPath.0` and `spillPath.1`).
    public init(near lsh: MinHashLSH? = nil, maxDocuments: Int? = nil, spillPath: String? = nil) throws(DataError) {
        self.lsh = lsh
        exact = ExactDeduplicator(maxDocuments: maxDocuments)
        if let lsh, let maxDocuments {
            windowed = try WindowedNearDuplicateIndex(lsh, maxDocuments: maxDocuments, spillPrefix: spillPath)
            index = nil
        } else if let lsh {
            index = try NearDuplicateIndex(lsh, spillPath: spillPath)
            windowed = nil
        } else {
            index = nil
            windowed = nil
        }
    }

    /// Checks the next document: its text, its signature (``MinHashLSH/signature(_:)``; ignored
    /// without near de-duplication) and where it is. A unique document is remembered as kept.
    public func check(_ text: [UInt8], signature: [UInt32], at location: DocumentLocation) throws(DataError) -> DuplicateVerdict {
        try check(key: ExactDeduplicator.key(text), signature: signature, at: location)
    }

    /// As ``check(_:signature:at:)``, for a document given by its exact key
    /// (``ExactDeduplicator/key(_:)``) instead of its text.
    public func check(key: Hash128, signature: [UInt32], at location: DocumentLocation) throws(DataError) -> DuplicateVerdict {
        let number = clusters.count
        if let first = exact.check(key: key, index: number) {
            exactDuplicates += 1
            clusters.addCopy(location, of: first, similarity: 1)
            return .exact(of: clusters.location(first))
        }
        let match: NearDuplicateIndex.Match?
        if let windowed { match = try windowed.check(signature, number: number) }
        else if let index { match = try index.check(signature, number: number) }
        else { match = nil }
        if let match {
            nearDuplicates += 1
            clusters.addCopy(location, of: match.document, similarity: match.similarity)
            return .near(of: clusters.location(match.document), similarity: match.similarity)
        }
        clusters.addKept(location)
        return .unique
    }

    /// Bytes of memory the near-duplicate index uses (nil without one).
    public var memoryBytes: Int? { index?.memoryBytes ?? windowed?.memoryBytes }
}
