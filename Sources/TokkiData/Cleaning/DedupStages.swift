#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import Tokki

/// Near-duplicate removal in stages, for a corpus split into byte-range shards that run as array
/// jobs: per shard, the *signatures* (exact key and MinHash signature of every document); once,
/// the *merge*, which replays ``Deduplicator`` over all of them in document order (so its
/// decisions are those of one process); per shard, the *filter*, which drops what the merge
/// removed.
///
/// Signature file (`signatures.K`), little-endian: the ``DedupShardHeader``, then records — `1`
/// + 16-byte exact key + 4 × permutations bytes of signature (a document with text); `2` + a
/// length byte + the rule (a line without text); `3` + UInt32 (the lines that follow are in that
/// input, numbered from 1 within the shard) — then `0xFF` + UInt64 record count.
///
/// Decisions file (`decisions.K`): the header, the line number before the shard's first line of
/// each input (UInt64 each), a UInt64 count, then per removed document its record number in the
/// shard (UInt64), `1` exact or `2` near, the similarity (Float64 bits), and the document it
/// repeats (UInt32 input, UInt64 line).
public enum DedupStages {
    /// The version written in the headers.
    public static let version: UInt32 = 1

    /// The signature file of shard `k` in `directory`.
    public static func signaturePath(_ directory: String, shard k: Int) -> String { directory + "/signatures.\(k)" }
    /// The decisions file of shard `k` in `directory`.
    public static func decisionsPath(_ directory: String, shard k: Int) -> String { directory + "/decisions.\(k)" }

    /// Replays the de-duplication over the signature files of shards 0…n−1 (in order) with
    /// `deduplicator`, and writes the decisions of shard `k` to `decisionsPath(k)`. Every header
    /// must equal `expected` but for its shard number.
    public static func merge(_ signaturePaths: [String], expected: DedupShardHeader, into deduplicator: Deduplicator,
                             decisionsPath: (Int) -> String) throws(DataError) -> DedupMergeCounts {
        var counts = DedupMergeCounts()
        var lines = [Int](repeating: 0, count: expected.inputs.count)
        var inputIndex: [String: Int] = [:]
        for (i, input) in expected.inputs.enumerated() where inputIndex[input.path] == nil { inputIndex[input.path] = i }
        for (k, path) in signaturePaths.enumerated() {
            let reader = try DedupSignatureReader(path: path)
            var want = expected
            want.shard = k
            try reader.header.check(against: want, path: path)
            var decisions = DedupDecisions(header: reader.header, lineBases: lines, removals: [])
            var file = -1, line = 0, ordinal = 0
            while let record = try reader.next() {
                switch record {
                case .input(let f):
                    if file >= 0 { lines[file] += line }
                    file = f
                    line = 0
                    continue
                case .rejected(let rule):
                    counts.removedByRule[rule, default: 0] += 1
                case .text(let key, let signature):
                    guard file >= 0 else { throw .invalidFormat(path: path, problem: "a document before its input is named") }
                    let location = DocumentLocation(source: expected.inputs[file].path, line: lines[file] + line + 1)
                    let verdict = try deduplicator.check(key: key, signature: signature, at: location)
                    let removal: (DocumentLocation, Bool, Double)
                    switch verdict {
                    case .unique:
                        counts.kept += 1
                        removal = (location, false, -1)
                    case .exact(let o): removal = (o, true, 1)
                    case .near(let o, let s): removal = (o, false, s)
                    }
                    if removal.2 >= 0 {
                        counts.removedByRule[removal.1 ? "exact_duplicate" : "near_duplicate", default: 0] += 1
                        decisions.removals.append(.init(ordinal: ordinal, exact: removal.1, similarity: removal.2,
                                                        input: inputIndex[removal.0.source] ?? 0, line: removal.0.line))
                    }
                }
                counts.documents += 1
                line += 1
                ordinal += 1
            }
            if file >= 0 { lines[file] += line }
            try decisions.write(to: decisionsPath(k))
        }
        return counts
    }
}

/// What ``DedupStages/merge(_:expected:into:decisionsPath:)`` counted, for the report.
public struct DedupMergeCounts: Sendable, Equatable {
    /// Lines read.
    public var documents = 0
    /// Documents kept.
    public var kept = 0
    /// Lines removed, by rule (`exact_duplicate`, `near_duplicate`, and the rules of lines
    /// without text).
    public var removedByRule: [String: Int] = [:]
    /// Nothing counted.
    public init() {}
}

/// The start of every stage file: the shard, the settings that make a signature, and the inputs
/// (path as given and size), so stages run on different inputs or settings are refused.
public struct DedupShardHeader: Sendable, Equatable {
    /// An input: its path as given and its size in bytes.
    public struct Input: Sendable, Equatable {
        /// The path as given.
        public var path: String
        /// The size in bytes.
        public var size: Int
        /// An input.
        public init(path: String, size: Int) {
            self.path = path
            self.size = size
        }
    }

    /// The kind of file.
    public enum Kind: UInt8, Sendable {
        /// `signatures.K`.
        case signatures = 1
        /// `decisions.K`.
        case decisions = 2
    }

    /// The kind of file.
    public var kind: Kind
    /// This shard (from 0).
    public var shard: Int
    /// The number of shards.
    public var shards: Int
    /// The MinHash settings (those that change a signature: permutations, shingle, seed).
    public var permutations: Int
    /// The shingle unit and size.
    public var shingle: MinHashLSH.Shingle
    /// The seed.
    public var seed: UInt64
    /// The JSONL text field, if any.
    public var textField: String?
    /// The inputs, in order.
    public var inputs: [Input]

    /// A header.
    public init(kind: Kind, shard: Int, shards: Int, configuration: MinHashLSH.Configuration, textField: String?, inputs: [Input]) {
        self.kind = kind
        self.shard = shard
        self.shards = shards
        permutations = configuration.permutations
        shingle = configuration.shingle
        seed = configuration.seed
        self.textField = textField
        self.inputs = inputs
    }

    static let magic = Array("TOKKIDDP".utf8)

    var bytes: [UInt8] {
        var out = Self.magic
        out.appendLE(DedupStages.version)
        out.append(kind.rawValue)
        out.appendLE(UInt32(shard)); out.appendLE(UInt32(shards)); out.appendLE(UInt32(permutations))
        switch shingle {
        case .characters(let n): out.append(0); out.append(UInt8(truncatingIfNeeded: n))
        case .words(let n): out.append(1); out.append(UInt8(truncatingIfNeeded: n))
        }
        out.appendLE(seed)
        out.append(textField == nil ? 0 : 1)
        out.appendString(textField ?? "")
        out.appendLE(UInt32(inputs.count))
        for input in inputs { out.appendLE(UInt64(input.size)); out.appendString(input.path) }
        return out
    }

    init(reading r: BinaryFileReader) throws(DataError) {
        guard try r.bytes(8, "the file's magic") == Self.magic[...] else {
            throw r.bad("not a tokki dedup stage file (no TOKKIDDP magic)", at: 0)
        }
        let v = try r.u32("the version")
        guard v == DedupStages.version else { throw r.bad("version \(v), this tokki reads version \(DedupStages.version)", at: 8) }
        guard let kind = Kind(rawValue: try r.u8("the kind")) else { throw r.bad("unknown kind of stage file", at: 12) }
        self.kind = kind
        shard = Int(try r.u32("the shard"))
        shards = Int(try r.u32("the shard count"))
        permutations = Int(try r.u32("the permutations"))
        guard shard < shards, (2...4096).contains(permutations) else { throw r.bad("shard \(shard) of \(shards), \(permutations) permutations", at: 13) }
        let unit = try r.u8("the shingle unit"), n = Int(try r.u8("the shingle size"))
        guard unit <= 1 else { throw r.bad("unknown shingle unit \(unit)", at: r.offset - 2) }
        shingle = unit == 0 ? .characters(n) : .words(n)
        seed = try r.u64("the seed")
        let hasField = try r.u8("the text field flag")
        let field = try r.string("the text field")
        guard hasField == 1 || (hasField == 0 && field.isEmpty) else { throw r.bad("a text field flag of \(hasField)", at: r.offset - 5 - field.utf8.count) }
        textField = hasField == 0 ? nil : field
        let count = Int(try r.u32("the input count"))
        guard count <= 1 << 20 else { throw r.bad("\(count) inputs", at: r.offset - 4) }
        inputs = []
        for _ in 0..<count {
            let size = try r.u64("an input size")
            guard size <= UInt64(Int.max) else { throw r.bad("input size \(size)", at: r.offset - 8) }
            inputs.append(Input(path: try r.string("an input path"), size: Int(size)))
        }
    }

    /// Throws a mismatch naming `path` and what differs from `expected`.
    public func check(against expected: DedupShardHeader, path: String) throws(DataError) {
        var problems: [String] = []
        if kind != expected.kind { problems.append("it is not a \(expected.kind) file") }
        if shard != expected.shard || shards != expected.shards {
            problems.append("it is shard \(shard)/\(shards), expected \(expected.shard)/\(expected.shards)")
        }
        if permutations != expected.permutations || shingle != expected.shingle || seed != expected.seed {
            problems.append("MinHash settings differ (file: \(permutations) permutations, \(shingle), seed \(seed); now: \(expected.permutations) permutations, \(expected.shingle), seed \(expected.seed))")
        }
        if textField != expected.textField { problems.append("the text field differs") }
        if inputs != expected.inputs {
            let show = { (list: [Input]) in list.map { "\($0.path) (\($0.size) bytes)" }.joined(separator: ", ") }
            problems.append("the inputs differ (file: \(show(inputs)); now: \(show(expected.inputs)))")
        }
        guard problems.isEmpty else {
            throw .mismatch("\(path): made by another run: " + problems.joined(separator: "; ") + "; run every stage with the same inputs and settings")
        }
    }
}

/// Writes a shard's `signatures.K` (atomically: nothing appears until ``finish()``).
public final class DedupSignatureWriter {
    let file: AtomicFile
    var records = 0
    let permutations: Int

    /// Creates the file and writes the header.
    public init(path: String, header: DedupShardHeader) throws(DataError) {
        file = try AtomicFile(path: path)
        permutations = header.permutations
        try file.write(header.bytes)
    }

    deinit { file.abort() }

    /// The lines that follow are in input `index`.
    public func startInput(_ index: Int) throws(DataError) {
        var out: [UInt8] = [3]
        out.appendLE(UInt32(index))
        try file.write(out)
    }

    /// A document with text: its exact key and signature.
    public func text(key: Hash128, signature: [UInt32]) throws(DataError) {
        guard signature.count == permutations else { throw .mismatch("a signature of \(signature.count) values for \(permutations) permutations") }
        var out: [UInt8] = [1]
        out.reserveCapacity(17 + 4 * permutations)
        out.appendLE(key.high); out.appendLE(key.low)
        for v in signature { out.appendLE(v) }
        try file.write(out)
        records += 1
    }

    /// A line without text, and the rule that removes it.
    public func rejected(rule: String) throws(DataError) {
        var out: [UInt8] = [2]
        let bytes = Array(rule.utf8.prefix(255))
        out.append(UInt8(bytes.count))
        out += bytes
        try file.write(out)
        records += 1
    }

    /// Writes the end marker and renames the file into place.
    public func finish() throws(DataError) {
        var out: [UInt8] = [0xFF]
        out.appendLE(UInt64(records))
        try file.write(out)
        try file.commit()
    }
}

/// Reads a `signatures.K` file record by record.
public final class DedupSignatureReader {
    /// One record.
    public enum Record: Sendable, Equatable {
        /// The lines that follow are in this input.
        case input(Int)
        /// A document with text.
        case text(key: Hash128, signature: [UInt32])
        /// A line without text, removed by this rule.
        case rejected(String)
    }

    /// The header.
    public let header: DedupShardHeader
    let reader: BinaryFileReader
    var records = 0
    var ended = false

    /// Opens the file and reads its header.
    public init(path: String) throws(DataError) {
        reader = try BinaryFileReader(path: path)
        header = try DedupShardHeader(reading: reader)
        guard header.kind == .signatures else { throw reader.bad("not a signature file", at: 12) }
    }

    /// The next record, or nil after the end marker (which must end the file).
    public func next() throws(DataError) -> Record? {
        guard !ended else { return nil }
        let at = reader.offset
        switch try reader.u8("a record or the end marker (the file is cut short)") {
        case 1:
            let n = header.permutations
            var sig = [UInt32](repeating: 0, count: n)
            var high: UInt64 = 0, low: UInt64 = 0
            try reader.withNext(16 + 4 * n, "a document's key and signature") { raw in
                // raw holds exactly 16 + 4n bytes: the key's halves, then n values.
                high = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
                low = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                sig.withUnsafeMutableBufferPointer { s in
                    assert(s.count == n && raw.count == 16 + 4 * n, "a signature record of \(raw.count) bytes for \(n) values")
                    for j in 0..<n { s[j] = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 16 + 4 * j, as: UInt32.self)) }
                }
            }
            records += 1
            return .text(key: Hash128(high: high, low: low), signature: sig)
        case 2:
            let n = Int(try reader.u8("a rule's length"))
            records += 1
            return .rejected(String(decoding: try reader.bytes(n, "a rule"), as: UTF8.self))
        case 3:
            let index = Int(try reader.u32("an input number"))
            guard index < header.inputs.count else { throw reader.bad("input \(index) of \(header.inputs.count)", at: at) }
            return .input(index)
        case 0xFF:
            let count = try reader.u64("the record count")
            guard count == UInt64(records) else { throw reader.bad("the end marker counts \(count) records, the file has \(records)", at: at) }
            guard try reader.atEnd() else { throw reader.bad("bytes after the end marker", at: reader.offset) }
            ended = true
            return nil
        case let kind:
            throw reader.bad("unknown record type \(kind)", at: at)
        }
    }
}

/// A shard's `decisions.K`: what the merge removed from it.
public struct DedupDecisions: Sendable, Equatable {
    /// A removed document.
    public struct Removal: Sendable, Equatable {
        /// Its record (line) number in the shard, from 0.
        public var ordinal: Int
        /// An exact copy (else a near duplicate).
        public var exact: Bool
        /// The estimated similarity (1 for an exact copy).
        public var similarity: Double
        /// The input and line of the document it repeats.
        public var input: Int, line: Int
        /// A removal.
        public init(ordinal: Int, exact: Bool, similarity: Double, input: Int, line: Int) {
            self.ordinal = ordinal
            self.exact = exact
            self.similarity = similarity
            self.input = input
            self.line = line
        }
    }

    /// The header (kind ``DedupShardHeader/Kind/decisions``).
    public var header: DedupShardHeader
    /// Per input, the line number before the shard's first line in it.
    public var lineBases: [Int]
    /// The removed documents, by ordinal.
    public var removals: [Removal]

    /// Decisions.
    public init(header: DedupShardHeader, lineBases: [Int], removals: [Removal]) {
        self.header = header
        self.header.kind = .decisions
        self.lineBases = lineBases
        self.removals = removals
    }

    /// Reads a decisions file.
    public init(path: String) throws(DataError) {
        let r = try BinaryFileReader(path: path)
        header = try DedupShardHeader(reading: r)
        guard header.kind == .decisions else { throw r.bad("not a decisions file", at: 12) }
        lineBases = []
        for _ in header.inputs {
            let base = try r.u64("a line base")
            guard base <= UInt64(Int.max) else { throw r.bad("line base \(base)", at: r.offset - 8) }
            lineBases.append(Int(base))
        }
        let count = try r.u64("the removal count")
        removals = []
        var previous = -1
        for _ in 0..<count {
            let at = r.offset
            let ordinal = try r.u64("a removed document")
            let kind = try r.u8("a removal kind")
            let similarity = Double(bitPattern: try r.u64("a similarity"))
            let input = Int(try r.u32("an input number"))
            let line = try r.u64("a line number")
            guard ordinal <= UInt64(Int.max), Int(ordinal) > previous, kind == 1 || kind == 2, input < header.inputs.count,
                  line <= UInt64(Int.max), similarity.isFinite else {
                throw r.bad("a removal out of order or out of range", at: at)
            }
            previous = Int(ordinal)
            removals.append(Removal(ordinal: previous, exact: kind == 1, similarity: similarity, input: input, line: Int(line)))
        }
        guard try r.atEnd() else { throw r.bad("bytes after the last removal", at: r.offset) }
    }

    /// Writes the file atomically.
    public func write(to path: String) throws(DataError) {
        var out = header.bytes
        for b in lineBases { out.appendLE(UInt64(b)) }
        out.appendLE(UInt64(removals.count))
        for m in removals {
            out.appendLE(UInt64(m.ordinal)); out.append(m.exact ? 1 : 2); out.appendLE(m.similarity.bitPattern)
            out.appendLE(UInt32(m.input)); out.appendLE(UInt64(m.line))
        }
        let file = try AtomicFile(path: path)
        do { try file.write(out); try file.commit() } catch { file.abort(); throw error }
    }
}

/// A buffered reader of a binary file whose errors name the file and the byte offset.
final class BinaryFileReader {
    let path: String
    let fd: Int32
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    var start = 0, end = 0
    /// The file offset of `buffer[start]`.
    private(set) var offset = 0

    init(path: String) throws(DataError) {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, reason: errno == ENOENT ? "no such file" : "cannot open (\(String(cString: strerror(errno))))") }
    }

    deinit { close(fd) }

    func bad(_ problem: String, at offset: Int) -> DataError { .invalidFormat(path: path, problem: "byte offset \(offset): \(problem)") }

    /// Makes `n` bytes available from `start` (fewer only at the end of the file).
    private func fill(_ n: Int) throws(DataError) {
        guard end - start < n else { return }
        if n > buffer.count { buffer += [UInt8](repeating: 0, count: n - buffer.count) }
        if start > 0 {
            buffer.withUnsafeMutableBufferPointer { b in
                // Moves the end - start pending bytes to the front; both ranges are inside b.
                assert(end <= b.count, "pending bytes past the buffer")
                if let base = b.baseAddress, end > start { _ = memmove(base, base + start, end - start) }
            }
            end -= start
            start = 0
        }
        while end < n {
            let got = buffer.withUnsafeMutableBufferPointer { b -> Int in
                // Reads into b[end..<b.count].
                assert(end < b.count, "no room to read into")
                guard let base = b.baseAddress else { return 0 }
                return read(fd, base + end, b.count - end)
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, reason: "read failed (\(String(cString: strerror(errno))))")
            }
            if got == 0 { return }
            end += got
        }
    }

    func bytes(_ n: Int, _ what: String) throws(DataError) -> ArraySlice<UInt8> {
        try fill(n)
        guard end - start >= n else { throw bad("the file ends inside \(what)", at: offset + (end - start)) }
        defer { start += n; offset += n }
        return buffer[start..<(start + n)]
    }

    /// Calls `body` with the next `n` bytes (valid only during the call).
    func withNext(_ n: Int, _ what: String, _ body: (UnsafeRawBufferPointer) -> Void) throws(DataError) {
        try fill(n)
        guard end - start >= n else { throw bad("the file ends inside \(what)", at: offset + (end - start)) }
        let from = start
        buffer.withUnsafeBytes { b in body(UnsafeRawBufferPointer(rebasing: b[from..<(from + n)])) }
        start += n
        offset += n
    }

    func u8(_ what: String) throws(DataError) -> UInt8 { try bytes(1, what).first ?? 0 }

    func u32(_ what: String) throws(DataError) -> UInt32 {
        try bytes(4, what).reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    func u64(_ what: String) throws(DataError) -> UInt64 {
        try bytes(8, what).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A UInt32 length then that many bytes of UTF-8 (at most 1 MiB).
    func string(_ what: String) throws(DataError) -> String {
        let n = Int(try u32(what))
        guard n <= 1 << 20 else { throw bad("\(what) of \(n) bytes", at: offset - 4) }
        guard let s = String(validating: try bytes(n, what), as: UTF8.self) else { throw bad("\(what) is not UTF-8", at: offset - n) }
        return s
    }

    func atEnd() throws(DataError) -> Bool {
        try fill(1)
        return end == start
    }
}

extension Hash128 {
    /// A hash from its halves (as stored).
    init(high: UInt64, low: UInt64) {
        self = Hash128([])
        self.high = high
        self.low = low
    }
}

extension Array where Element == UInt8 {
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        var v = value.littleEndian
        Swift.withUnsafeBytes(of: &v) { append(contentsOf: $0) }
    }

    mutating func appendString(_ s: String) {
        appendLE(UInt32(s.utf8.count))
        append(contentsOf: s.utf8)
    }
}
