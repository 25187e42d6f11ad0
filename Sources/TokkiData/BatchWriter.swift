import Tokki
import TokkiObjectives

/// A destination for batches: every batch is appended, and `finish()` makes the output
/// appear atomically. Row-shaped tensors of all batches are stacked along the first dimension
/// (one `[rows, width]` tensor per name); `cu_seqlens`, the boundaries of a batch's flattened
/// tokens, is re-based and concatenated so that it indexes the stacked tokens
/// (`0, …, rows·width`), and is always int32.
public protocol BatchWriter: AnyObject {
    /// Appends one batch.
    func append(_ batch: Batch) throws(DataError)
    /// Completes the output (renames it into place).
    func finish() throws(DataError)
    /// Drops the output; nothing appears at the destination.
    func abort()
}

/// The element type of a tensor: `cu_seqlens` is always int32 (what variable-length attention
/// kernels take); every other tensor has the writer's type.
func elementType(of name: String, default type: ElementType) -> ElementType {
    name == "cu_seqlens" ? .int32 : type
}

/// Turns per-batch `cu_seqlens` into boundaries over all rows written so far.
struct BoundaryStacker {
    var tokensBefore: Int32 = 0
    var first = true

    /// The values to append for this batch's `cu_seqlens`, and the new token total.
    mutating func stack(_ batch: Batch) -> [Int32]? {
        guard let cu = batch["cu_seqlens"] else { return nil }
        let base = tokensBefore
        var out = cu.values.map { $0 + base }
        if !first, !out.isEmpty { out.removeFirst() }
        first = false
        if let width = batch["input_ids"]?.shape.last { tokensBefore += Int32(batch.rows * width) }
        return out
    }
}

/// Writes one `.npy` file per tensor into a folder (`input_ids.npy`, `labels.npy`, …).
public final class NpyDirectoryWriter: BatchWriter {
    /// The folder.
    public let directory: String
    /// The element type of every tensor.
    public let type: ElementType
    var writers: [String: NpyWriter] = [:]
    var order: [String] = []
    var stacker = BoundaryStacker()

    /// Creates the writer; the folder is created when missing.
    public init(directory: String, type: ElementType) throws(DataError) {
        self.directory = directory
        self.type = type
        try makeDirectory(directory)
    }

    /// Appends a batch.
    public func append(_ batch: Batch) throws(DataError) {
        let stacked = stacker.stack(batch)
        for t in batch.tensors {
            let w: NpyWriter
            if let existing = writers[t.name] {
                w = existing
            } else {
                w = try NpyWriter(path: directory + "/" + t.name + ".npy", type: elementType(of: t.name, default: type),
                                  rowShape: Array(t.shape.dropFirst()), name: t.name)
                writers[t.name] = w
                order.append(t.name)
            }
            if t.name == "cu_seqlens", let stacked { try w.append(stacked) } else { try w.append(t.values) }
        }
    }

    /// Renames every file into place.
    public func finish() throws(DataError) {
        for name in order { try writers[name]?.finish() }
    }

    /// Removes every temporary file.
    public func abort() { for w in writers.values { w.abort() } }
}

/// Writes all batches into one safetensors file. Each tensor is spooled to its own temporary
/// file while batches arrive (memory stays bounded), and `finish()` writes the header and the
/// spools into the destination's temporary file, then renames it.
public final class SafetensorsBatchWriter: BatchWriter {
    /// The destination.
    public let path: String
    /// The element type of every tensor.
    public let type: ElementType
    /// String metadata stored in the header (`__metadata__`).
    public var metadata: [(String, String)]
    var spools: [String: AtomicFile] = [:]
    var shapes: [String: [Int]] = [:]
    var order: [String] = []
    var stacker = BoundaryStacker()
    var scratch: [UInt8] = []

    /// Creates the writer.
    public init(path: String, type: ElementType, metadata: [(String, String)] = []) {
        self.path = path
        self.type = type
        self.metadata = metadata
    }

    /// Appends a batch.
    public func append(_ batch: Batch) throws(DataError) {
        let stacked = stacker.stack(batch)
        for t in batch.tensors {
            let spool: AtomicFile
            if let s = spools[t.name] {
                spool = s
            } else {
                spool = try AtomicFile(path: path + "." + t.name + ".spool")
                spools[t.name] = spool
                order.append(t.name)
                shapes[t.name] = [0] + t.shape.dropFirst()
            }
            let values = (t.name == "cu_seqlens" ? stacked : nil) ?? t.values
            scratch.removeAll(keepingCapacity: true)
            let tensorType = elementType(of: t.name, default: type)
            try values.withUnsafeBufferPointer { (b) throws(DataError) in try tensorType.encode(b, into: &scratch, tensor: t.name) }
            try spool.write(scratch)
            shapes[t.name]![0] += t.shape.count > 1 ? t.shape[0] : values.count
        }
    }

    /// Writes the file and renames it into place; the spools are removed.
    public func finish() throws(DataError) {
        defer { abortSpools() }
        let entries = SafetensorsFormat.ordered(order.map {
            SafetensorsFormat.Entry(name: $0, type: elementType(of: $0, default: type), shape: shapes[$0] ?? [0])
        })
        let out = try AtomicFile(path: path)
        do {
            try out.write(SafetensorsFormat.header(entries, metadata: metadata))
            for e in entries {
                guard let spool = spools[e.name] else { continue }
                try out.append(contentsOf: spool)
            }
            try out.commit()
        } catch {
            out.abort()
            throw error
        }
    }

    func abortSpools() {
        for s in spools.values { s.abort() }
        spools.removeAll()
    }

    /// Removes every temporary file.
    public func abort() { abortSpools() }
}

/// The stacked shape of every tensor of a run of batches, accumulated from the batches' shapes
/// alone (`BatchBuilder.nextBatchShapes`): rows add up, and `cu_seqlens` is counted as the
/// writers re-base it (every batch after the first drops its leading 0). This is the layout of
/// the safetensors file before any batch is built.
public struct SafetensorsLayout: Sendable, Equatable {
    var shapes: [String: [Int]] = [:]
    var order: [String] = []
    var boundariesSeen = false
    /// Batches added.
    public private(set) var batches = 0

    /// An empty layout.
    public init() {}

    /// Adds one batch's tensors.
    public mutating func add(_ batch: [TensorShape]) {
        var hadBoundaries = false
        for t in batch {
            if shapes[t.name] == nil {
                order.append(t.name)
                shapes[t.name] = [0] + t.shape.dropFirst()
            }
            var n = t.shape.count > 1 ? t.shape[0] : t.shape.reduce(1, *)
            if t.name == "cu_seqlens" {
                hadBoundaries = true
                if boundariesSeen && n > 0 { n -= 1 }
            }
            shapes[t.name]![0] += n
        }
        if hadBoundaries { boundariesSeen = true }
        batches += 1
    }

    /// The header entries, in file order, for tensors of `type` (`cu_seqlens` is int32).
    public func entries(type: ElementType) -> [SafetensorsFormat.Entry] {
        SafetensorsFormat.ordered(order.map {
            SafetensorsFormat.Entry(name: $0, type: elementType(of: $0, default: type), shape: shapes[$0] ?? [0])
        })
    }
}

/// Writes all batches into one safetensors file whose layout is known beforehand
/// (`SafetensorsLayout`): each tensor's bytes go straight to their final place, so nothing is
/// spooled and copied, and the file is handed to the disk while it is written
/// (`AtomicFile.startWriteback`). The output is byte-identical to `SafetensorsBatchWriter`'s for
/// the same batches; batches that do not match the layout are an error, and `finish()` checks
/// that every byte was written. Needs a regular file (or a new one) as the destination.
public final class SafetensorsPlannedWriter: BatchWriter {
    /// The destination.
    public let path: String
    /// The element type of every tensor but `cu_seqlens`.
    public let type: ElementType
    let metadata: [(String, String)]
    let file: AtomicFile
    var header: [UInt8] = []
    /// One tensor's place in the file and the bytes waiting to be written there.
    struct Region {
        /// The first byte not yet written to the file; the staged bytes go there.
        var written: Int
        /// The end of the tensor's bytes.
        var end: Int
        /// Converted bytes (the first `staged` of `stage`), written in large pieces: the kernel
        /// spends much less per byte on a few large writes than on one small write per batch.
        var stage: UnsafeMutableRawBufferPointer
        var staged = 0
        /// Pieces written whose writeback was started and not yet awaited, oldest first.
        var behind: [Range<Int>] = []
    }
    var regions: [String: Region] = [:]
    var stacker = BoundaryStacker()
    /// Bytes staged per tensor before they are written.
    static let stageBytes = 4 << 20
    /// Pieces per tensor whose writeback may be under way before the oldest is awaited.
    static let piecesInFlight = 2

    /// Creates the temporary file beside `path`; `plan(_:)` gives the layout before the first
    /// batch (so a destination that cannot be written fails before any work).
    public init(path: String, type: ElementType, metadata: [(String, String)] = []) throws(DataError) {
        self.path = path
        self.type = type
        self.metadata = metadata
        file = try AtomicFile(path: path)
        if file.isDirect {
            file.abort()
            throw .io(path: path, reason: "not a regular file; a safetensors file is written in place, so it needs one")
        }
    }

    /// Creates the temporary file beside `path` for the tensors of `layout`.
    public convenience init(path: String, type: ElementType, metadata: [(String, String)] = [], layout: SafetensorsLayout) throws(DataError) {
        try self.init(path: path, type: type, metadata: metadata)
        plan(layout)
    }

    deinit { releaseStages() }

    private func releaseStages() {
        for r in regions.values { r.stage.deallocate() }
        regions = [:]
    }

    /// Sets the layout: every tensor's place in the file.
    public func plan(_ layout: SafetensorsLayout) {
        let entries = layout.entries(type: type)
        header = SafetensorsFormat.header(entries, metadata: metadata)
        releaseStages()
        var offset = header.count
        for e in entries {
            let stage = UnsafeMutableRawBufferPointer.allocate(byteCount: min(Self.stageBytes, max(e.byteCount, 1)), alignment: 64)
            regions[e.name] = Region(written: offset, end: offset + e.byteCount, stage: stage)
            offset += e.byteCount
        }
    }

    /// Converts a batch's tensors and writes them at their places (in pieces of a few MB).
    public func append(_ batch: Batch) throws(DataError) {
        let stacked = stacker.stack(batch)
        for t in batch.tensors {
            guard var region = regions.removeValue(forKey: t.name) else {
                throw .mismatch("\(path): tensor '\(t.name)' is not in the planned layout")
            }
            defer { regions[t.name] = region }
            let values = (t.name == "cu_seqlens" ? stacked : nil) ?? t.values
            let tensorType = elementType(of: t.name, default: type)
            let bytes = values.count * tensorType.size
            guard bytes <= region.end - region.written - region.staged else {
                throw .mismatch("\(path): tensor '\(t.name)' has more values than its planned shape")
            }
            try values.withUnsafeBufferPointer { (b) throws(DataError) in
                try tensorType.check(b, tensor: t.name)
                if bytes > region.stage.count - region.staged { try flush(&region) }
                if bytes > region.stage.count {
                    // Larger than the stage: converted on its own and written at once.
                    var out: [UInt8] = []
                    try tensorType.encode(b, into: &out, tensor: t.name)
                    try write(out, at: region.written)
                    region.written += bytes
                    return
                }
                // [staged, staged + bytes) is inside the stage (checked just above).
                assert(region.staged + bytes <= region.stage.count)
                tensorType.store(b, to: region.stage.baseAddress! + region.staged)
                region.staged += bytes
            }
            if region.staged == region.stage.count { try flush(&region) }
        }
    }

    /// Writes a tensor's staged bytes and starts their writeback.
    private func flush(_ region: inout Region) throws(DataError) {
        guard region.staged > 0 else { return }
        try file.write(UnsafeRawBufferPointer(rebasing: region.stage[0..<region.staged]), at: region.written)
        // Write-behind: this piece goes to the disk now; the piece written `piecesInFlight`
        // flushes ago is awaited and dropped from the page cache. The cache holds a few pieces
        // per tensor instead of the whole output, its pages are reused instead of fresh ones
        // being taken for every byte (on the VM this was measured on, taking fresh pages made
        // the system time of a 292 MB output swing from 0.1 to 0.7 s), and `fsync` finds
        // almost nothing left.
        file.startWriteback(offset: region.written, count: region.staged)
        region.behind.append(region.written..<(region.written + region.staged))
        if region.behind.count > Self.piecesInFlight {
            let old = region.behind.removeFirst()
            file.finishWriteback(offset: old.lowerBound, count: old.count)
        }
        region.written += region.staged
        region.staged = 0
    }

    /// Checks that every tensor is complete, writes the header and renames the file into place.
    public func finish() throws(DataError) {
        do throws(DataError) {
            if header.isEmpty { throw DataError.mismatch("\(path): no layout was planned") }
            for name in regions.keys.sorted() {
                guard var region = regions[name] else { continue }
                try flush(&region)
                regions[name] = region
                if region.written != region.end {
                    throw DataError.mismatch("\(path): tensor '\(name)' has fewer values than its planned shape")
                }
            }
            try write(header, at: 0)
            try file.commit()
        } catch {
            file.abort()
            throw error
        }
    }

    /// Removes the temporary file.
    public func abort() {
        file.abort()
        releaseStages()
    }

    private func write(_ bytes: [UInt8], at offset: Int) throws(DataError) {
        let failure: DataError? = bytes.withUnsafeBytes { b in
            do throws(DataError) { try file.write(b, at: offset) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }
}

/// Writes one JSON object per row: `{"input_ids":[…],"attention_mask":[…],…}`. For packed
/// causal rows, `cu_seqlens` holds the row's own boundaries (0 … width).
public final class JSONLBatchWriter: BatchWriter {
    let file: AtomicFile
    var line: [UInt8] = []

    /// Creates the temporary file (or writes to `path` "-" = stdout, unbuffered by rename).
    public init(path: String) throws(DataError) {
        file = try AtomicFile(path: path)
    }

    /// Appends a batch, a line per row.
    public func append(_ batch: Batch) throws(DataError) {
        let cu = batch["cu_seqlens"]
        var cuIndex = 0
        for r in 0..<batch.rows {
            line.removeAll(keepingCapacity: true)
            line.append(0x7B)
            var firstKey = true
            var rowWidth = 0
            for t in batch.tensors where t.shape.count == 2 {
                if !firstKey { line.append(0x2C) }
                firstKey = false
                line += Array("\"\(t.name)\":[".utf8)
                let row = t.row(r)
                rowWidth = row.count
                var first = true
                for v in row {
                    if !first { line.append(0x2C) }
                    first = false
                    JSONText.appendInteger(Int(v), to: &line)
                }
                line.append(0x5D)
            }
            if let cu {
                // This row's boundaries, relative to its first token.
                let base = Int32(r * rowWidth), end = base + Int32(rowWidth)
                line += Array(",\"cu_seqlens\":[".utf8)
                var first = true
                while cuIndex < cu.values.count && cu.values[cuIndex] <= end {
                    let v = cu.values[cuIndex]
                    if v >= base {
                        if !first { line.append(0x2C) }
                        first = false
                        JSONText.appendInteger(Int(v - base), to: &line)
                    }
                    if v == end { break }
                    cuIndex += 1
                }
                line.append(0x5D)
            }
            line += [0x7D, 0x0A]
            try file.write(line)
        }
    }

    /// Renames the file into place.
    public func finish() throws(DataError) { try file.commit() }

    /// Removes the temporary file.
    public func abort() { file.abort() }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Creates `path` (and its parents) unless it exists as a folder.
func makeDirectory(_ path: String) throws(DataError) {
    var st = stat()
    if stat(path, &st) == 0 {
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw .io(path: path, reason: "exists and is not a folder") }
        return
    }
    if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
        try makeDirectory(String(path[..<slash]))
    }
    guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
        throw .io(path: path, reason: "cannot create the folder: \(String(cString: strerror(errno)))")
    }
}
