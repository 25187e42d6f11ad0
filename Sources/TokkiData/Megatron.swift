#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import Tokki

/// Megatron-LM's indexed dataset (`MMIDIDX`, version 1): `PREFIX.bin` holds the tokens of
/// every sequence back to back; `PREFIX.idx` holds the header (magic, version, dtype code,
/// sequence count, document count), the sequence lengths (int32), the byte pointers (int64) and
/// the document index (int64, starting with 0). Here every document is one sequence.
public enum MegatronFormat {
    /// The 9-byte magic.
    public static let magic: [UInt8] = Array("MMIDIDX".utf8) + [0, 0]
    /// The header size before the lengths.
    public static let headerSize = 34
}

/// Streams documents into `PREFIX.bin` and `PREFIX.idx` with memory independent of the corpus:
/// tokens go straight to the `.bin` temporary file and the sequence lengths to a spool; the index
/// is assembled on `finish()`, and both files are renamed into place.
public final class MegatronWriter {
    /// The output prefix.
    public let prefix: String
    /// The token type (see `ElementType.megatron(vocabularySize:)`).
    public let type: ElementType
    let bin: AtomicFile
    let lengths: AtomicFile
    /// Documents written.
    public private(set) var documents = 0
    /// Tokens written.
    public private(set) var tokens = 0
    var scratch: [UInt8] = []

    /// Creates the temporary files.
    public init(prefix: String, type: ElementType) throws(DataError) {
        self.prefix = prefix
        self.type = type
        bin = try AtomicFile(path: prefix + ".bin")
        do { lengths = try AtomicFile(path: prefix + ".lengths.spool") } catch { bin.abort(); throw error }
    }

    /// Appends one document (one sequence).
    public func append(_ ids: UnsafeBufferPointer<Int32>) throws(DataError) {
        guard ids.count <= Int(Int32.max) else { throw .mismatch("a document of \(ids.count) tokens is longer than Megatron's int32 lengths allow") }
        if type == .int32, let src = ids.baseAddress {
            // The ids as they are (little-endian hosts), copied once into the file's buffer.
            try bin.write(count: 4 * ids.count) { raw in
                assert(raw.count == 4 * ids.count)
                raw.baseAddress?.copyMemory(from: src, byteCount: 4 * ids.count)
            }
        } else {
            scratch.removeAll(keepingCapacity: true)
            try type.encode(ids, into: &scratch, tensor: prefix + ".bin")
            try bin.write(scratch)
        }
        try addLength(ids.count)
    }

    /// Appends one document of a `uint8` dataset: the loss mask of `labels`, 1 where a label is
    /// learned and 0 where it is -100 (ignored).
    public func appendLossMask(_ labels: UnsafeBufferPointer<Int32>) throws(DataError) {
        guard type == .uint8 else { throw .mismatch("a loss mask is written to a uint8 dataset, not \(type.rawValue)") }
        guard labels.count <= Int(Int32.max) else { throw .mismatch("a document of \(labels.count) tokens is longer than Megatron's int32 lengths allow") }
        try bin.write(count: labels.count) { raw in
            assert(raw.count == labels.count)
            for k in 0..<labels.count { raw[k] = labels[k] == -100 ? 0 : 1 }
        }
        try addLength(labels.count)
    }

    private func addLength(_ count: Int) throws(DataError) {
        var n = Int32(count).littleEndian
        try withUnsafeBytes(of: &n) { (raw) throws(DataError) in try lengths.write(raw) }
        documents += 1
        tokens += count
    }

    /// Documents already in the file's element type, made on any thread with `add(_:tensor:)`
    /// and appended in one call with `append(_:)` (the writer then only copies bytes).
    public struct Encoded: Sendable {
        /// The documents' tokens back to back, little-endian, `type.size` bytes each.
        public private(set) var bytes: [UInt8] = []
        /// Each document's token count.
        public private(set) var lengths: [Int32] = []
        /// The element type.
        public let type: ElementType
        /// Empty documents, to be encoded as `type`.
        public init(type: ElementType) { self.type = type }

        /// Adds a document; throws when a token does not fit the type or a document is longer
        /// than Megatron's int32 lengths allow. `tensor` names the output in the error.
        public mutating func add(_ ids: UnsafeBufferPointer<Int32>, tensor: String) throws(DataError) {
            guard ids.count <= Int(Int32.max) else { throw .mismatch("a document of \(ids.count) tokens is longer than Megatron's int32 lengths allow") }
            try type.encode(ids, into: &bytes, tensor: tensor)
            lengths.append(Int32(ids.count))
        }
    }

    /// Appends documents encoded with ``Encoded``.
    public func append(_ encoded: Encoded) throws(DataError) {
        guard encoded.type == type else { throw .mismatch("documents encoded as \(encoded.type.rawValue) for a \(type.rawValue) dataset") }
        try bin.write(encoded.bytes)
        var counts: [UInt8] = []
        counts.reserveCapacity(4 * encoded.lengths.count)
        for n in encoded.lengths { withUnsafeBytes(of: n.littleEndian) { counts.append(contentsOf: $0) } }
        try lengths.write(counts)
        documents += encoded.lengths.count
        tokens += encoded.bytes.count / type.size
    }

    /// Appends one document.
    public func append(_ ids: [Int32]) throws(DataError) {
        try ids.withUnsafeBufferPointer { (b) throws(DataError) in try append(b) }
    }

    /// Writes the index and renames `.bin` and `.idx` into place.
    public func finish() throws(DataError) {
        defer { lengths.abort() }
        let idx = try AtomicFile(path: prefix + ".idx")
        do {
            try lengths.flush()
            var header = MegatronFormat.magic
            func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { header.append(contentsOf: $0) } }
            u64(1)
            header.append(type.megatronCode)
            u64(UInt64(documents))
            u64(UInt64(documents + 1))
            try idx.write(header)
            // Lengths, copied from the spool.
            try idx.append(contentsOf: lengths)
            // Pointers: running byte offsets, read back from the spool in chunks.
            var pointer: Int64 = 0
            var out: [UInt8] = []
            try lengths.forEachChunk { (chunk) throws(DataError) in
                out.removeAll(keepingCapacity: true)
                var i = 0
                while i + 4 <= chunk.count {
                    let len = Int32(littleEndian: chunk.loadUnaligned(fromByteOffset: i, as: Int32.self))
                    withUnsafeBytes(of: pointer.littleEndian) { out.append(contentsOf: $0) }
                    pointer += Int64(len) * Int64(type.size)
                    i += 4
                }
                try idx.write(out)
            }
            // Document index 0, 1, …, documents.
            out.removeAll(keepingCapacity: true)
            for d in 0...documents {
                withUnsafeBytes(of: Int64(d).littleEndian) { out.append(contentsOf: $0) }
                if out.count >= 1 << 20 { try idx.write(out); out.removeAll(keepingCapacity: true) }
            }
            try idx.write(out)
            try bin.commit()
            try idx.commit()
        } catch {
            idx.abort()
            bin.abort()
            throw error
        }
    }

    /// Removes the temporary files.
    public func abort() {
        bin.abort()
        lengths.abort()
    }
}

extension AtomicFile {
    /// Calls `body` with the file's content in chunks whose sizes are multiples of 8 bytes.
    func forEachChunk(_ body: (UnsafeRawBufferPointer) throws(DataError) -> Void) throws(DataError) {
        try flush()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var offset: off_t = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, $0.count, offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: temporaryPath, reason: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { return }
            offset += off_t(n)
            var failure: DataError? = nil
            chunk.withUnsafeBytes { raw in
                do throws(DataError) { try body(UnsafeRawBufferPointer(rebasing: raw[0..<n])) } catch { failure = error }
            }
            if let failure { throw failure }
        }
    }
}

/// A Megatron indexed dataset opened for reading (the index in memory, tokens read on demand).
public struct MegatronDataset: Sendable {
    /// The prefix.
    public let prefix: String
    /// The token type.
    public let type: ElementType
    /// Tokens per sequence.
    public let lengths: [Int32]
    /// Byte offset of each sequence in `.bin`.
    public let pointers: [Int64]
    /// The document index: sequence numbers where documents start, plus the total.
    public let documentIndex: [Int64]
    /// The `.bin` size in bytes.
    public let binSize: Int

    /// Reads and validates `PREFIX.idx` against `PREFIX.bin`'s size.
    public init(prefix: String) throws(DataError) {
        self.prefix = prefix
        let idxPath = prefix + ".idx"
        let idx: [UInt8]
        do { idx = try readFileBytes(idxPath) } catch {
            if case let .io(path, reason) = error { throw .io(path: path, reason: reason) }
            throw .io(path: idxPath, reason: error.description)
        }
        func fail(_ m: String) -> DataError { .invalidFormat(path: idxPath, problem: m) }
        guard idx.count >= MegatronFormat.headerSize, Array(idx[0..<9]) == MegatronFormat.magic else {
            throw fail("not a Megatron index (no MMIDIDX magic)")
        }
        func u64(_ at: Int) -> UInt64 {
            idx.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        }
        guard u64(9) == 1 else { throw fail("index version \(u64(9)) is not 1") }
        guard let t = ElementType(megatronCode: idx[17]) else { throw fail("unknown dtype code \(idx[17])") }
        type = t
        let sequences = u64(18), docs = u64(26)
        guard sequences < UInt64(Int32.max), docs < UInt64(Int32.max) else { throw fail("implausible counts") }
        let s = Int(sequences), d = Int(docs)
        let need = MegatronFormat.headerSize + 4 * s + 8 * s + 8 * d
        guard idx.count >= need else { throw fail("truncated: \(idx.count) bytes, the header promises \(need)") }
        var lengths = [Int32](repeating: 0, count: s)
        var pointers = [Int64](repeating: 0, count: s)
        var documentIndex = [Int64](repeating: 0, count: d)
        idx.withUnsafeBytes { raw in
            var at = MegatronFormat.headerSize
            for i in 0..<s { lengths[i] = Int32(littleEndian: raw.loadUnaligned(fromByteOffset: at + 4 * i, as: Int32.self)) }
            at += 4 * s
            for i in 0..<s { pointers[i] = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: at + 8 * i, as: Int64.self)) }
            at += 8 * s
            for i in 0..<d { documentIndex[i] = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: at + 8 * i, as: Int64.self)) }
        }
        var st = stat()
        guard stat(prefix + ".bin", &st) == 0 else { throw .io(path: prefix + ".bin", reason: "missing") }
        binSize = Int(st.st_size)
        var expected: Int64 = 0
        for i in 0..<s {
            guard lengths[i] >= 0, pointers[i] == expected else { throw fail("sequence \(i): pointer \(pointers[i]) does not follow the previous sequence (expected \(expected))") }
            expected += Int64(lengths[i]) * Int64(t.size)
        }
        guard expected == Int64(binSize) else {
            throw .invalidFormat(path: prefix + ".bin", problem: "\(binSize) bytes, the index describes \(expected)")
        }
        guard documentIndex.first == 0, documentIndex.last == Int64(s) else { throw fail("the document index must run from 0 to \(s)") }
        self.lengths = lengths
        self.pointers = pointers
        self.documentIndex = documentIndex
    }

    /// The number of sequences.
    public var count: Int { lengths.count }

    /// Reads sequence `i`.
    public func sequence(_ i: Int) throws(DataError) -> [Int32] {
        let path = prefix + ".bin"
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: Int(lengths[i]) * type.size)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, off_t(pointers[i])) }
        guard n == bytes.count else { throw .io(path: path, reason: "short read") }
        return bytes.withUnsafeBytes { raw in
            (0..<Int(lengths[i])).map { k -> Int32 in
                switch type {
                case .uint16: Int32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * k, as: UInt16.self)))
                case .int32: Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * k, as: Int32.self))
                case .int64: Int32(truncatingIfNeeded: Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * k, as: Int64.self)))
                case .int16: Int32(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * k, as: Int16.self)))
                case .uint8: Int32(raw[k])
                case .int8: Int32(Int8(bitPattern: raw[k]))
                }
            }
        }
    }

    /// Concatenates datasets (shards, in order) into `PREFIX.bin`/`.idx`: tokens are copied
    /// unchanged, lengths appended, pointers shifted by the bytes before, document indices shifted
    /// by the sequences before (as Megatron's `merge_datasets.py`). All parts must share a type.
    public static func merge(_ parts: [String], into prefix: String) throws(DataError) {
        let sets = try parts.map { (p) throws(DataError) in try MegatronDataset(prefix: p) }
        guard let type = sets.first?.type else { throw .mismatch("nothing to merge") }
        for s in sets where s.type != type {
            throw .mismatch("\(s.prefix) stores \(s.type.rawValue) tokens, \(sets[0].prefix) \(type.rawValue): merge only datasets of one vocabulary")
        }
        if parts.contains(prefix) { throw .mismatch("the output prefix \(prefix) is also an input") }
        let bin = try AtomicFile(path: prefix + ".bin")
        let idx: AtomicFile
        do { idx = try AtomicFile(path: prefix + ".idx") } catch { bin.abort(); throw error }
        do {
            for s in sets { try bin.appendFile(s.prefix + ".bin") }
            let total = sets.reduce(0) { $0 + $1.count }
            var docs: [Int64] = [0]
            var sequencesBefore: Int64 = 0
            for s in sets {
                docs.append(contentsOf: s.documentIndex.dropFirst().map { $0 + sequencesBefore })
                sequencesBefore += Int64(s.count)
            }
            var out = MegatronFormat.magic
            func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
            u64(1)
            out.append(type.megatronCode)
            u64(UInt64(total))
            u64(UInt64(docs.count))
            for s in sets { for l in s.lengths { withUnsafeBytes(of: l.littleEndian) { out.append(contentsOf: $0) } } }
            var bytesBefore: Int64 = 0
            for s in sets {
                for p in s.pointers { withUnsafeBytes(of: (p + bytesBefore).littleEndian) { out.append(contentsOf: $0) } }
                bytesBefore += Int64(s.binSize)
            }
            for d in docs { withUnsafeBytes(of: d.littleEndian) { out.append(contentsOf: $0) } }
            try idx.write(out)
            try bin.commit()
            try idx.commit()
        } catch {
            bin.abort()
            idx.abort()
            throw error
        }
    }
}

extension AtomicFile {
    /// Appends the content of the file at `path`.
    func appendFile(_ path: String) throws(DataError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, reason: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { return }
            try write(chunk[0..<n])
        }
    }
}
