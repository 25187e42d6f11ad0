import Tokki
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The disk-backed search of ``SubstringDeduplicator/find(disk:)``: for corpora whose suffix
/// and LCP arrays do not fit in memory, or that are longer than ``SuffixArray/maxLength``.
///
/// The corpus is cut into parts of ``partBytes`` positions. Each part's suffix array is built in
/// memory (SA-IS) over its positions plus the `minLength - 1` bytes that follow them, so every
/// window of `minLength` bytes starting in the part lies inside the text sorted; the suffixes
/// that start a window (inside one document) are written in that order to one temporary file,
/// as `width`-byte little-endian corpus offsets. Sorted truncated suffixes are sorted by their
/// first `minLength` bytes, so a k-way merge of the parts comparing those windows (through the
/// corpus) gives a stream in which equal windows are adjacent: the same groups as the in-memory
/// suffix array, hence the same removed ranges.
///
/// Memory: the corpus, a bitmap of 1 bit per corpus byte, and for one part at a time
/// 4 bytes per position (its suffix array) and two bitmaps (``memoryNeeded(corpusBytes:partBytes:minLength:)``).
/// Disk: `width` bytes per window, `width` = the bytes of the largest corpus offset (4 below
/// 4 GiB). The file is removed when the search ends, whatever the outcome.
public struct SubstringDiskMode: Sendable, Equatable {
    /// The fewest positions in a part.
    public static let minimumPartBytes = 1024
    /// Buffers besides the part's arrays: the 16 KiB write buffer, bucket arrays, the merge
    /// heap (the merge's read buffers share the room of the part's suffix array, freed by then).
    static let overhead = 1 << 16

    /// Positions per part.
    public var partBytes: Int
    /// The folder of the temporary file.
    public var directory: String
    /// Parts built at once, each on its own thread with its own arrays.
    public var threads: Int

    /// Parts of `partBytes` positions (at least 1; ``partBytes(memory:corpusBytes:minLength:threads:)``
    /// gives the largest that fits a memory limit), the temporary file in `directory`, `threads`
    /// parts built at once.
    public init(partBytes: Int, directory: String, threads: Int = 1) {
        self.partBytes = max(1, partBytes)
        self.directory = directory
        self.threads = max(1, threads)
    }

    /// Bytes of memory the disk-backed search holds at its peak for `corpusBytes` bytes (separators
    /// included, the corpus itself counted), `threads` parts built at once.
    public static func memoryNeeded(corpusBytes n: Int, partBytes p: Int, minLength: Int, threads: Int = 1) -> Int {
        let part = min(n, p + minLength - 1)
        return n + (n + 63) / 64 * 8 + max(1, threads) * (4 * part + 2 * ((part + 63) / 64 * 8)) + overhead
    }

    /// The largest part size for which the search fits `memory` bytes with `threads` parts built
    /// at once, or nil when not even ``minimumPartBytes`` fit (the corpus itself is too large).
    public static func partBytes(memory: Int, corpusBytes n: Int, minLength: Int, threads: Int = 1) -> Int? {
        let free = (memory - n - (n + 63) / 64 * 8 - overhead) / max(1, threads)
        // 4 bytes and 2 bits per text position of a part (the bitmaps' words: at most 16 bytes more).
        let p = (free - 16) * 4 / 17 - (minLength - 1)
        guard p >= minimumPartBytes else { return nil }
        return min(p, SuffixArray.maxLength - minLength)
    }

    /// The bytes of one stored offset for a corpus of `n` bytes.
    static func width(_ n: Int) -> Int { max(1, (Int.bitWidth - max(1, n - 1).leadingZeroBitCount + 7) / 8) }
}

extension SubstringDeduplicator {
    /// The suffix array of the part's text `t[from ..< from + count]` into `sa`, and in `valid`
    /// (1 bit per local position) the window starts among its positions `from ..< end`: windows
    /// inside the part's text with no separator, on a `stride` boundary of their document.
    private func buildPart(_ t: UnsafePointer<UInt8>, from start: Int, end: Int, count m: Int,
                           into sa: UnsafeMutableBufferPointer<Int32>, valid: UnsafeMutablePointer<UInt64>, words: Int) {
        let length = minLength
        SuffixArray.build(UnsafeBufferPointer(start: t + start, count: m), into: UnsafeMutableBufferPointer(rebasing: sa[0..<m]))
        valid.update(repeating: 0, count: (m + 63) >> 6)
        var stop = m
        var q = m - 1
        while q >= 0 {
            if t[start + q] == Self.separator { stop = q } else if q + length <= stop {
                assert(q >> 6 < words)
                valid[q >> 6] |= 1 << UInt64(q & 63)
            }
            q -= 1
        }
        guard stride > 1 else { return }
        var d = documentIndex(containing: start)
        var next = d + 1 < starts.count ? starts[d + 1] : Int.max
        for q in 0..<(end - start) {
            if start + q >= next { d += 1; next = d + 1 < starts.count ? starts[d + 1] : Int.max }
            if (start + q - starts[d]) % stride != 0 { valid[q >> 6] &= ~(1 << UInt64(q & 63)) }
        }
    }

    /// Marks, in `marks` (1 bit per corpus position), every window start whose `minLength`
    /// bytes also start at an earlier position: the disk-backed search (``SubstringDiskMode``).
    func markOnDisk(_ text: UnsafeBufferPointer<UInt8>, _ marks: UnsafeMutablePointer<UInt64>,
                    _ mode: SubstringDiskMode) throws(DataError) {
        let n = text.count, length = minLength
        guard n >= length, let t = text.baseAddress else { return }
        let file = try PartFile(directory: mode.directory, width: SubstringDiskMode.width(n))
        defer { file.remove() }
        guard length <= SuffixArray.maxLength / 2 else {
            throw .mismatch("the minimum length of a repeated span must be at most \(SuffixArray.maxLength / 2) bytes (got \(length))")
        }
        // Part k owns positions k·P ..< (k+1)·P and sorts the text up to minLength - 1 bytes further.
        let p = min(mode.partBytes, SuffixArray.maxLength - length + 1)
        var parts: [(offset: Int, count: Int, owned: Range<Int>)] = []
        let threads = max(1, mode.threads)
        let span = min(n, p + length - 1)
        let words = (span + 63) >> 6
        // One suffix array and one bitmap per worker; `threads` parts are built at once, then
        // written in order.
        let sas = (0..<threads).map { _ in UnsafeMutableBufferPointer<Int32>.allocate(capacity: span) }
        let valids = (0..<threads).map { _ in UnsafeMutablePointer<UInt64>.allocate(capacity: words) }
        defer {
            for sa in sas { sa.deallocate() }
            for valid in valids { valid.deallocate() }
        }
        var start = 0
        while start < n {
            let batch = (0..<threads).map { w in min(n, start + w * p) }.filter { $0 < n }
            Parallelism.run(tasks: batch.count, threads: threads) { w in
                let from = batch[w], end = min(n, from + p)
                let m = min(n, end + length - 1) - from
                buildPart(t, from: from, end: end, count: m, into: sas[w], valid: valids[w], words: words)
            }
            for (w, from) in batch.enumerated() {
                let end = min(n, from + p), m = min(n, end + length - 1) - from
                let sa = sas[w], valid = valids[w]
                let offset = file.count
                for r in 0..<m {
                    let local = Int(sa[r])
                    if local < end - from && valid[local >> 6] & (1 << UInt64(local & 63)) != 0 {
                        try file.append(from + local)
                    }
                }
                try file.flush()
                if file.count > offset { parts.append((offset, file.count - offset, from..<end)) }
                start = end
            }
        }
        try mergeParts(t, n, marks, file, parts, bufferBytes: max(256, min(1 << 20, 4 * p / max(1, parts.count))))
    }

    /// The k-way merge of the sorted parts by their windows; in each run of equal windows every
    /// member but the earliest is marked.
    private func mergeParts(_ t: UnsafePointer<UInt8>, _ n: Int, _ marks: UnsafeMutablePointer<UInt64>, _ file: PartFile,
                            _ parts: [(offset: Int, count: Int, owned: Range<Int>)], bufferBytes: Int) throws(DataError) {
        let length = minLength
        var readers: [PartReader] = []
        for part in parts {
            // Window starts only: every offset read back leaves `length` bytes of corpus to compare.
            let owned = part.owned.lowerBound..<max(part.owned.lowerBound, min(part.owned.upperBound, n - length + 1))
            readers.append(PartReader(file: file, offset: part.offset, count: part.count, owned: owned, bufferBytes: bufferBytes))
        }
        // The first 8 bytes of a window, big-endian, so most comparisons read no corpus bytes.
        @inline(__always) func key(_ pos: Int) -> UInt64 {
            var k: UInt64 = 0
            for i in 0..<min(8, length) { k = k << 8 | UInt64(t[pos + i]) }
            return k << UInt64(8 * (8 - min(8, length)))
        }
        @inline(__always) func less(_ a: (key: UInt64, pos: Int, part: Int), _ b: (key: UInt64, pos: Int, part: Int)) -> Bool {
            if a.key != b.key { return a.key < b.key }
            return length > 8 && memcmp(t + a.pos + 8, t + b.pos + 8, length - 8) < 0
        }
        var heap: [(key: UInt64, pos: Int, part: Int)] = []
        heap.reserveCapacity(readers.count)
        for i in readers.indices {
            if let pos = try readers[i].next() { heap.append((key(pos), pos, i)) }
        }
        func siftDown(_ at: Int) {
            var i = at
            while true {
                let l = 2 * i + 1
                if l >= heap.count { return }
                var c = l
                if l + 1 < heap.count && less(heap[l + 1], heap[l]) { c = l + 1 }
                if !less(heap[c], heap[i]) { return }
                heap.swapAt(i, c)
                i = c
            }
        }
        var i = heap.count / 2 - 1
        while i >= 0 { siftDown(i); i -= 1 }
        @inline(__always) func mark(_ p: Int, _ on: Bool) {
            assert(p >= 0 && p < n)
            if on { marks[p >> 6] |= 1 << UInt64(p & 63) } else { marks[p >> 6] &= ~(1 << UInt64(p & 63)) }
        }
        // The current run of equal windows: its first member, its size and earliest member.
        var first = (key: UInt64(0), pos: -1, part: 0)
        var size = 0, earliest = 0
        while let top = heap.first {
            if size > 0 && top.key == first.key && (length <= 8 || memcmp(t + top.pos + 8, t + first.pos + 8, length - 8) == 0) {
                if size == 1 { mark(first.pos, true) }
                mark(top.pos, true)
                size += 1
                earliest = min(earliest, top.pos)
            } else {
                if size > 1 { mark(earliest, false) }
                first = top
                size = 1
                earliest = top.pos
            }
            if let pos = try readers[top.part].next() {
                heap[0] = (key(pos), pos, top.part)
            } else {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
            }
            siftDown(0)
        }
        if size > 1 { mark(earliest, false) }
    }
}

extension SubstringDeduplicator {
    /// The document holding corpus position `p` (its separator included).
    func documentIndex(containing p: Int) -> Int {
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= p { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }
}

/// The temporary file of sorted parts: corpus offsets of `width` bytes, little-endian, written
/// through a buffer; removed by ``remove()``.
final class PartFile {
    let path: String
    let fd: Int32
    let width: Int
    /// Offsets written (buffered included).
    private(set) var count = 0
    private var buffer: [UInt8] = []

    init(directory: String, width: Int) throws(DataError) {
        var template = Array((directory + "/tokki-substring-parts.XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { b in b.baseAddress.map { mkstemp($0) } ?? -1 }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard fd >= 0 else {
            throw .io(path: directory, reason: "cannot create a temporary file for the suffix array parts (\(String(cString: strerror(errno)))); set --temp-dir to a writable folder")
        }
        self.fd = fd
        self.width = width
        buffer.reserveCapacity(1 << 14)
    }

    @inline(__always) func append(_ value: Int) throws(DataError) {
        var v = value
        for _ in 0..<width {
            buffer.append(UInt8(truncatingIfNeeded: v))
            v >>= 8
        }
        count += 1
        if buffer.count >= 1 << 14 { try flush() }
    }

    func flush() throws(DataError) {
        var done = 0
        while done < buffer.count {
            let w = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if w < 0 && errno == EINTR { continue }
            guard w > 0 else {
                throw .io(path: path, reason: "cannot write the suffix array parts (\(String(cString: strerror(errno))); \(count) offsets of \(width) bytes, about \(count * width >> 20) MiB, were being written)")
            }
            done += w
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func remove() {
        close(fd)
        unlink(path)
    }
}

/// Reads one sorted part back from a ``PartFile``: `count` offsets from byte `offset · width`,
/// each checked to lie in the part's positions (a damaged file stops the search with an error
/// naming the byte).
struct PartReader {
    let file: PartFile
    let owned: Range<Int>
    private var cursor: Int
    private let end: Int
    private var buffer: [UInt8]
    private var at = 0

    init(file: PartFile, offset: Int, count: Int, owned: Range<Int>, bufferBytes: Int) {
        self.file = file
        self.owned = owned
        cursor = offset * file.width
        end = (offset + count) * file.width
        buffer = []
        buffer.reserveCapacity(bufferBytes / file.width * file.width)
    }

    /// The next offset, or nil after the last.
    mutating func next() throws(DataError) -> Int? {
        let width = file.width
        if at + width > buffer.count {
            guard cursor < end else { return nil }
            let want = min(end - cursor, max(width, buffer.capacity / width * width))
            buffer.removeAll(keepingCapacity: true)
            var got = 0
            buffer.append(contentsOf: repeatElement(0, count: want))
            while got < want {
                let r = buffer.withUnsafeMutableBytes { pread(file.fd, $0.baseAddress! + got, want - got, off_t(cursor + got)) }
                if r < 0 && errno == EINTR { continue }
                guard r > 0 else {
                    throw .invalidFormat(path: file.path, problem: "byte \(cursor + got): the suffix array parts end early (\(r < 0 ? String(cString: strerror(errno)) : "end of file"))")
                }
                got += r
            }
            at = 0
            cursor += want
        }
        var v = 0
        for i in 0..<width { v |= Int(buffer[at + i]) << (8 * i) }
        at += width
        guard owned.contains(v) else {
            throw .invalidFormat(path: file.path, problem: "byte \(cursor - buffer.count + at - width): offset \(v) lies outside its part \(owned)")
        }
        return v
    }
}
