import Tokki

/// One byte range removed from a document: `start..<end`, byte offsets in the document's text.
public struct RemovedRange: Sendable, Equatable, CustomStringConvertible {
    /// The document's index (in the order appended).
    public var document: Int
    /// The first byte removed.
    public var start: Int
    /// One past the last byte removed.
    public var end: Int

    /// A range.
    public init(document: Int, start: Int, end: Int) {
        self.document = document
        self.start = start
        self.end = end
    }

    /// Bytes removed.
    public var count: Int { end - start }

    public var description: String { "\(document):\(start)..<\(end)" }
}

/// What ``SubstringDeduplicator/find()`` found: the byte ranges to remove.
public struct SubstringDuplicates: Sendable {
    /// The ranges to remove, by document then position; never overlapping nor adjacent.
    public var ranges: [RemovedRange] = []
    /// Bytes removed in all.
    public var bytesRemoved = 0
    /// Documents that lose at least one byte.
    public var documentsEdited = 0

    /// Nothing to remove.
    public init() {}
}

/// Exact-substring de-duplication (Lee et al. 2022, "Deduplicating Training Data Makes Language
/// Models Better"): every span of at least ``minLength`` bytes that occurs more than once in the
/// corpus is kept where it first occurs and removed everywhere else.
///
/// The documents are concatenated, each followed by the byte 0xFF, which valid UTF-8 never
/// contains, so no match crosses a document boundary. A suffix array (``SuffixArray``, SA-IS)
/// and the permuted LCP array give the groups of positions whose next ``minLength`` bytes are
/// equal; in each group every position but the earliest in corpus order starts a later copy.
/// Exactly:
///
/// - A byte is removed when it lies inside some window of ``minLength`` bytes (within one
///   document) whose bytes also occur at an earlier position of the corpus (an earlier document,
///   or earlier in the same document, overlapping or not). So the first occurrence of every
///   repeated span is kept, and every later occurrence is removed whole, for any repeated span
///   of at least ``minLength`` bytes (each of its windows occurs in the first copy).
/// - Removed windows that overlap or touch merge into one range.
/// - A range is then shrunk to whole UTF-8 characters: its start moves forward and its end back
///   past continuation bytes, so no multi-byte character is ever split (a range that shrinks
///   to nothing is dropped). ``minLength`` counts bytes of the repeat before this: a repeat
///   that ends inside characters that share their lead bytes is cut shorter (at most 3 bytes
///   at each end), so a cut can be a little shorter than ``minLength``.
/// - Documents keep their order and every byte not removed.
///
/// Memory: the corpus (its bytes plus one per document), 4 bytes per corpus byte for the suffix
/// array and 4 for the LCP array, and two bitmaps of 1 bit per byte: ``memoryNeeded(corpusBytes:)``,
/// about 9.25 bytes per corpus byte, held at once, for corpora up to ``SuffixArray/maxLength``
/// bytes (2 GiB). Larger corpora, or arrays that do not fit, go through sorted parts on disk
/// (``SubstringDiskMode``, ``find(disk:)``): the corpus, 1 bit per byte and one part's arrays in
/// memory, the same ranges.
public final class SubstringDeduplicator {
    /// The byte that follows every document in ``corpus``.
    public static let separator: UInt8 = 0xFF

    /// The shortest repeated span removed, in bytes.
    public let minLength: Int
    /// The documents, each followed by ``separator``.
    public private(set) var corpus: [UInt8] = []
    /// Where each document starts in ``corpus``.
    public private(set) var starts: [Int] = []

    /// Windows start only every `stride` bytes from a document's start (1: anywhere). A corpus
    /// of fixed-width symbols (``SubstringTokens``: 3 bytes per token) uses their width, so a
    /// window is whole symbols.
    public let stride: Int

    /// An empty corpus; `reservingCapacity` bytes are reserved (the input size, when known).
    public init(minLength: Int, stride: Int = 1, reservingCapacity: Int = 0) throws(DataError) {
        guard minLength >= 1 else { throw .mismatch("the minimum length of a repeated span must be at least 1 byte (got \(minLength))") }
        guard stride >= 1 else { throw .mismatch("the stride of window starts must be at least 1 (got \(stride))") }
        self.minLength = minLength
        self.stride = stride
        if reservingCapacity > 0 { corpus.reserveCapacity(reservingCapacity) }
    }

    /// Bytes of memory ``find()`` holds at its peak for a corpus of `corpusBytes` bytes
    /// (separators included), the corpus itself counted.
    public static func memoryNeeded(corpusBytes n: Int) -> Int {
        n + 8 * n + 2 * ((n + 63) / 64 * 8) + 65_536
    }

    /// Documents appended.
    public var documentCount: Int { starts.count }

    /// Appends a document and returns its index, or nil (nothing appended) when it contains a
    /// byte 0xF8–0xFF, which valid UTF-8 never has.
    @discardableResult
    public func append(_ text: UnsafeBufferPointer<UInt8>) -> Int? {
        for b in text where b >= 0xF8 { return nil }
        starts.append(corpus.count)
        corpus.append(contentsOf: text)
        corpus.append(Self.separator)
        return starts.count - 1
    }

    /// Appends a document (see ``append(_:)-(UnsafeBufferPointer<UInt8>)``).
    @discardableResult
    public func append(_ text: [UInt8]) -> Int? {
        text.withUnsafeBufferPointer { append($0) }
    }

    /// The text of document `i`.
    public func document(_ i: Int) -> ArraySlice<UInt8> {
        let s = starts[i]
        let e = i + 1 < starts.count ? starts[i + 1] - 1 : corpus.count - 1
        return corpus[s..<e]
    }

    /// The ranges to remove: in memory (one suffix array of the whole corpus), or with `disk`
    /// through sorted parts in a temporary file (``SubstringDiskMode``); both give the same ranges.
    ///
    /// - Throws: ``DataError/mismatch(_:)`` when the corpus is longer than
    ///   ``SuffixArray/maxLength`` in memory; ``DataError/io(path:reason:)`` when the temporary
    ///   file cannot be written.
    public func find(disk: SubstringDiskMode? = nil) throws(DataError) -> SubstringDuplicates {
        let n = corpus.count
        guard n <= SuffixArray.maxLength || disk != nil else {
            throw .mismatch("the corpus has \(n) bytes; exact-substring de-duplication holds at most \(SuffixArray.maxLength) bytes (2 GiB) in one suffix array: use the disk-backed mode")
        }
        var result = SubstringDuplicates()
        guard n > 0 else { return result }
        let length = minLength
        let wordCount = (n + 63) >> 6
        let marks = UnsafeMutablePointer<UInt64>.allocate(capacity: wordCount)
        marks.initialize(repeating: 0, count: wordCount)
        defer { marks.deallocate() }
        try corpus.withUnsafeBufferPointer { (text) throws(DataError) in
            if let disk { try markOnDisk(text, marks, disk) } else { markInMemory(text, marks) }
        }
        // Sweep in corpus order: union of the marked windows, merged when they overlap or touch.
        var open = -1, openEnd = -1
        var document = 0
        func emit(_ a: Int, _ b: Int) {
            while document + 1 < starts.count && starts[document + 1] <= a { document += 1 }
            var a = a, b = b
            // Whole characters only (corpus[b] exists: a range ends before its separator).
            while a < b && corpus[a] & 0xC0 == 0x80 { a += 1 }
            while b > a && corpus[b] & 0xC0 == 0x80 { b -= 1 }
            guard a < b else { return }
            let base = starts[document]
            if result.ranges.last?.document != document { result.documentsEdited += 1 }
            result.ranges.append(RemovedRange(document: document, start: a - base, end: b - base))
            result.bytesRemoved += b - a
        }
        for w in 0..<wordCount {
            var bits = marks[w]
            while bits != 0 {
                let p = w << 6 + bits.trailingZeroBitCount
                bits &= bits - 1
                if open >= 0 && p <= openEnd {
                    openEnd = max(openEnd, p + length)
                } else {
                    if open >= 0 { emit(open, openEnd) }
                    open = p
                    openEnd = p + length
                }
            }
        }
        if open >= 0 { emit(open, openEnd) }
        return result
    }

    /// Marks, in `marks` (1 bit per corpus position), every window start whose `minLength`
    /// bytes also start at an earlier position: one suffix array and LCP array in memory.
    private func markInMemory(_ text: UnsafeBufferPointer<UInt8>, _ marks: UnsafeMutablePointer<UInt64>) {
        let n = text.count, length = minLength
        let wordCount = (n + 63) >> 6
        let sa = UnsafeMutableBufferPointer<Int32>.allocate(capacity: n)
        defer { sa.deallocate() }
        SuffixArray.build(text, into: sa)
        // Which positions share at least `length` bytes with their predecessor in the suffix
        // array: one bit each (in text order), so that the scan below in suffix-array order
        // reads a bitmap that mostly stays in cache instead of the 4-byte LCP values.
        let long = UnsafeMutablePointer<UInt64>.allocate(capacity: wordCount)
        long.initialize(repeating: 0, count: wordCount)
        defer { long.deallocate() }
        do {
            let plcp = UnsafeMutableBufferPointer<Int32>.allocate(capacity: n)
            defer { plcp.deallocate() }
            SuffixArray.permutedLCP(text, suffixArray: UnsafeBufferPointer(sa), into: plcp, stop: Self.separator)
            for i in 0..<n where Int(plcp[i]) >= length {
                assert(i >> 6 < wordCount)
                long[i >> 6] |= 1 << UInt64(i & 63)
            }
        }
        @inline(__always) func isLong(_ p: Int32) -> Bool { long[Int(p) >> 6] & (1 << UInt64(p & 63)) != 0 }
        // Window starts: every position, or every `stride` bytes from a document's start.
        let aligned = stride > 1 ? UnsafeMutablePointer<UInt64>.allocate(capacity: wordCount) : nil
        defer { aligned?.deallocate() }
        if let aligned {
            aligned.initialize(repeating: 0, count: wordCount)
            for (d, s) in starts.enumerated() {
                let e = d + 1 < starts.count ? starts[d + 1] - 1 : n - 1
                for p in Swift.stride(from: s, to: e, by: stride) { aligned[p >> 6] |= 1 << UInt64(p & 63) }
            }
        }
        @inline(__always) func isStart(_ p: Int32) -> Bool { aligned.map { $0[Int(p) >> 6] & (1 << UInt64(p & 63)) != 0 } ?? true }
        // Groups of suffixes adjacent in the suffix array whose first `length` bytes are equal
        // (the LCP stops at separators, so these windows lie inside one document); every
        // window start but the earliest starts a later copy.
        var r = 0
        while r < n {
            var e = r + 1
            var earliest = isStart(sa[r]) ? sa[r] : Int32.max
            var count = earliest == Int32.max ? 0 : 1
            while e < n && isLong(sa[e]) {
                if isStart(sa[e]) {
                    earliest = min(earliest, sa[e])
                    count += 1
                }
                e += 1
            }
            if count > 1 {
                for q in r..<e where sa[q] != earliest && isStart(sa[q]) {
                    let p = Int(sa[q])
                    assert(p >= 0 && p < n && p >> 6 < wordCount)
                    marks[p >> 6] |= 1 << UInt64(p & 63)
                }
            }
            r = e
        }
    }

    /// Appends to `out` the text of document `i` without `ranges` (its ranges from
    /// ``SubstringDuplicates/ranges``, in order).
    public func appendKept(document i: Int, removing ranges: ArraySlice<RemovedRange>, to out: inout [UInt8]) {
        let text = document(i)
        var at = text.startIndex
        for r in ranges {
            assert(r.document == i && text.startIndex + r.start >= at && text.startIndex + r.end <= text.endIndex)
            out.append(contentsOf: corpus[at..<(text.startIndex + r.start)])
            at = text.startIndex + r.end
        }
        out.append(contentsOf: corpus[at..<text.endIndex])
    }

    /// The removed spans grouped by their bytes, sorted by bytes removed (then by first
    /// removal), with at most `top` of them; and the number of distinct spans.
    public func spans(of duplicates: SubstringDuplicates, top: Int) -> (spans: [SubstringSpan], distinct: Int) {
        var groups: [Hash128: Int] = [:]
        var list: [SubstringSpan] = []
        corpus.withUnsafeBufferPointer { c in
            guard let base = c.baseAddress else { return }
            for r in duplicates.ranges {
                let s = starts[r.document] + r.start
                let h = Hash128(UnsafeRawBufferPointer(start: base + s, count: r.count))
                if let g = groups[h] {
                    list[g].count += 1
                } else {
                    groups[h] = list.count
                    list.append(SubstringSpan(range: r, count: 1))
                }
            }
        }
        let distinct = list.count
        list.sort { a, b in
            a.bytesRemoved != b.bytesRemoved ? a.bytesRemoved > b.bytesRemoved
                : (a.first.document, a.first.start) < (b.first.document, b.first.start)
        }
        if list.count > top { list.removeSubrange(max(0, top)...) }
        return (list, distinct)
    }

    /// The text of a removed range.
    public func text(of r: RemovedRange) -> ArraySlice<UInt8> {
        let s = starts[r.document]
        return corpus[(s + r.start)..<(s + r.end)]
    }
}

/// A removed span: the same bytes removed `count` times.
public struct SubstringSpan: Sendable, Equatable {
    /// Its first removal.
    public var first: RemovedRange
    /// How many times it was removed.
    public var count: Int

    /// A span.
    public init(range: RemovedRange, count: Int) {
        first = range
        self.count = count
    }

    /// Its length in bytes.
    public var length: Int { first.count }
    /// Bytes removed: length × count.
    public var bytesRemoved: Int { first.count * count }
}

/// The `substrings` member of a ``CleaningReport``: totals of an exact-substring
/// de-duplication and its most removed spans.
public struct SubstringReport: Sendable {
    /// One removed span.
    public struct Span: Sendable {
        /// Its first characters (at most ``SubstringReport/previewBytes`` bytes, cut at a
        /// character boundary).
        public var preview: String
        /// Its length in bytes.
        public var length: Int
        /// Times removed.
        public var count: Int
        /// Where it was first removed.
        public var firstRemoved: DocumentLocation

        /// A span.
        public init(preview: String, length: Int, count: Int, firstRemoved: DocumentLocation) {
            self.preview = preview
            self.length = length
            self.count = count
            self.firstRemoved = firstRemoved
        }
    }

    /// The longest preview, in bytes.
    public static let previewBytes = 200

    /// The minimum span length, in bytes (or tokens: ``inTokens``).
    public var minLength: Int
    /// ``minLength`` counts tokens (``SubstringTokens``).
    public var inTokens: Bool
    /// Bytes of text de-duplicated (documents without separators).
    public var textBytes: Int
    /// Bytes removed.
    public var bytesRemoved: Int
    /// Ranges removed.
    public var rangesRemoved: Int
    /// Documents that lost bytes (including those removed whole).
    public var documentsEdited: Int
    /// Distinct removed spans.
    public var distinctSpans: Int
    /// The most removed spans, by bytes removed.
    public var spans: [Span]

    /// A report.
    public init(minLength: Int, inTokens: Bool = false, textBytes: Int, bytesRemoved: Int, rangesRemoved: Int, documentsEdited: Int,
                distinctSpans: Int, spans: [Span]) {
        self.minLength = minLength
        self.inTokens = inTokens
        self.textBytes = textBytes
        self.bytesRemoved = bytesRemoved
        self.rangesRemoved = rangesRemoved
        self.documentsEdited = documentsEdited
        self.distinctSpans = distinctSpans
        self.spans = spans
    }

    /// The preview of `bytes`: at most ``previewBytes``, cut before a continuation byte.
    public static func preview(_ bytes: ArraySlice<UInt8>) -> String {
        var end = min(bytes.endIndex, bytes.startIndex + previewBytes)
        while end > bytes.startIndex && end < bytes.endIndex && bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
    }

    package func write(to w: inout JSONWriter) {
        w.object { o in
            o.member(inTokens ? "min_length_tokens" : "min_length_bytes") { $0.integer(minLength) }
            o.member("text_bytes") { $0.integer(textBytes) }
            o.member("bytes_removed") { $0.integer(bytesRemoved) }
            o.member("ranges_removed") { $0.integer(rangesRemoved) }
            o.member("documents_edited") { $0.integer(documentsEdited) }
            o.member("distinct_spans") { $0.integer(distinctSpans) }
            o.member("spans") { w in
                w.array(spans) { w, s in
                    w.object { o in
                        o.member("text") { $0.string(s.preview) }
                        o.member("length") { $0.integer(s.length) }
                        o.member("count") { $0.integer(s.count) }
                        o.member("bytes_removed") { $0.integer(s.length * s.count) }
                        o.member("first_removed") { s.firstRemoved.write(to: &$0) }
                    }
                }
            }
        }
    }
}
