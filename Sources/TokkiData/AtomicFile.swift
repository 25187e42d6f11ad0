import CSupport
import Tokki
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An output file written under a temporary name in the destination's folder and renamed into
/// place by `commit()`. Until then the destination is untouched; `abort()` (or dropping the
/// object uncommitted) removes the temporary file, so an interrupted run leaves no partial
/// output.
///
/// A destination that exists and is not a regular file (`/dev/null`, a named pipe, a terminal)
/// is written directly: renaming over it would replace the device.
public final class AtomicFile {
    /// The destination.
    public let path: String
    /// The temporary file's path.
    public let temporaryPath: String
    private var fd: Int32
    /// The open descriptor of the temporary file.
    var descriptor: Int32 { fd }
    private var buffer: [UInt8] = []
    private var done = false
    /// True when writing straight into a non-regular destination (no temporary file).
    public let isDirect: Bool
    /// Bytes written so far (buffered included).
    public private(set) var size = 0

    /// Creates the temporary file beside `path`.
    public init(path: String) throws(DataError) {
        self.path = path
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        if Self.writesDirectly(to: path) {
            isDirect = true
            temporaryPath = path
            fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw .io(path: path, reason: "cannot open for writing (\(String(cString: strerror(errno))))") }
            buffer.reserveCapacity(1 << 20)
            return
        }
        isDirect = false
        temporaryPath = (slash == nil ? "" : dir + "/") + ".\(name).tmp-\(getpid())"
        fd = open(temporaryPath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw .io(path: path, reason: "cannot create (\(String(cString: strerror(errno)))); does the folder '\(dir)' exist?")
        }
        buffer.reserveCapacity(1 << 20)
    }

    deinit {
        if !done { abort() }
    }

    /// Whether an `AtomicFile` for `path` writes straight into it (``isDirect``): `path` exists
    /// and is neither a regular file nor a folder (`/dev/null`, a named pipe, a terminal).
    public static func writesDirectly(to path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        let kind = st.st_mode & S_IFMT
        return kind != S_IFREG && kind != S_IFDIR
    }

    /// Appends bytes.
    public func write(_ bytes: [UInt8]) throws(DataError) {
        buffer.append(contentsOf: bytes)
        size += bytes.count
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Appends `count` bytes that `fill` writes, straight into the write buffer (given exactly
    /// `count` bytes, zeroed).
    public func write(count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) throws(DataError) {
        guard count > 0 else { return }
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: count))
        buffer.withUnsafeMutableBytes { raw in
            assert(raw.count == start + count)
            fill(UnsafeMutableRawBufferPointer(rebasing: raw[start...]))
        }
        size += count
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Appends bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(DataError) {
        buffer.append(contentsOf: bytes)
        size += bytes.count
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Appends bytes.
    public func write(_ bytes: ArraySlice<UInt8>) throws(DataError) {
        buffer.append(contentsOf: bytes)
        size += bytes.count
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Writes buffered bytes to the file.
    public func flush() throws(DataError) {
        guard !buffer.isEmpty else { return }
        let failure = buffer.withUnsafeBytes { writeAll(fd, $0) }
        buffer.removeAll(keepingCapacity: true)
        if failure != 0 { throw .io(path: path, reason: "write failed: \(String(cString: strerror(failure)))") }
    }

    /// Overwrites bytes at `offset` (already written ones, e.g. a header patched at the end).
    public func overwrite(_ bytes: [UInt8], at offset: Int) throws(DataError) {
        try flush()
        let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, off_t(offset)) }
        guard n == bytes.count else { throw .io(path: path, reason: "write failed: \(String(cString: strerror(errno)))") }
    }

    /// Writes `bytes` at `offset`, straight to the file (not through the append buffer; a file
    /// written this way is written only this way). The file grows as needed; a range never
    /// written reads as zeros.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(DataError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, reason: "write failed at byte \(offset + done): \(String(cString: strerror(errno)))")
            }
            if n == 0 { throw .io(path: path, reason: "write failed at byte \(offset + done): no progress") }
            done += n
        }
    }

    /// Starts writing `count` bytes at `offset` to the disk now, without waiting (Linux's
    /// `sync_file_range`), so that `commit()`'s `fsync` finds less left to do. A hint only:
    /// errors are ignored (`fsync` reports them), and elsewhere it does nothing.
    public func startWriteback(offset: Int, count: Int) {
        guard count > 0, !isDirect, fd >= 0 else { return }
        _ = tk_start_writeback(fd, Int64(offset), Int64(count))
    }

    /// Waits until `count` bytes at `offset` are on the disk and lets the kernel drop them from
    /// its page cache (Linux); for bytes written once and not read back, so that a large
    /// output does not fill the cache. A hint: errors are ignored (`fsync` reports them).
    public func finishWriteback(offset: Int, count: Int) {
        guard count > 0, !isDirect, fd >= 0 else { return }
        _ = tk_finish_writeback(fd, Int64(offset), Int64(count))
    }

    /// Copies the whole content of another (uncommitted) file after the current end.
    public func append(contentsOf other: AtomicFile) throws(DataError) {
        try flush()
        #if os(Linux)
        // In the kernel when it can (no round trip of every byte through user memory: the
        // spools of a safetensors file are as large as the file).
        if try copyInKernel(from: other) { return }
        #endif
        try other.forEachChunk { (chunk) throws(DataError) in try write(chunk) }
    }

    #if os(Linux)
    /// Appends `other`'s bytes with `sendfile` (in the kernel); false (nothing copied) when
    /// the files do not support it, so the caller copies through memory instead.
    private func copyInKernel(from other: AtomicFile) throws(DataError) -> Bool {
        try other.flush()
        let total = other.size
        var inOffset = off_t(0)
        var copied = 0
        while copied < total {
            let n = sendfile(fd, other.descriptor, &inOffset, min(total - copied, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                if copied == 0 && [EXDEV, ENOSYS, EINVAL, EOPNOTSUPP, EBADF, EPERM].contains(errno) { return false }
                throw .io(path: path, reason: "copy failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            copied += n
        }
        guard copied == total else { throw .io(path: path, reason: "copy failed: \(copied) of \(total) bytes") }
        size += copied
        return true
    }
    #endif

    /// Reads `out.count` 32-bit values stored at byte `offset` (flushing buffered writes first).
    func readValues(at offset: Int, into out: inout [UInt32]) throws(DataError) {
        try flush()
        let want = out.count * 4
        let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, want, off_t(offset)) }
        guard n == want else { throw .io(path: temporaryPath, reason: "short read of a spilled signature") }
    }

    /// Flushes, closes and renames the temporary file to the destination.
    public func commit() throws(DataError) {
        guard !done else { return }
        do { try flush() } catch { abort(); throw error }
        if isDirect {
            close(fd)
            fd = -1
            done = true
            return
        }
        let synced = fsync(fd) == 0
        close(fd)
        fd = -1
        done = true
        guard synced else {
            unlink(temporaryPath)
            throw .io(path: path, reason: "cannot flush to disk: \(String(cString: strerror(errno)))")
        }
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw .io(path: path, reason: "cannot rename into place: \(reason)")
        }
    }

    /// Closes and removes the temporary file; the destination is untouched.
    public func abort() {
        guard !done else { return }
        done = true
        if fd >= 0 { close(fd) }
        fd = -1
        if !isDirect { unlink(temporaryPath) }
    }
}

