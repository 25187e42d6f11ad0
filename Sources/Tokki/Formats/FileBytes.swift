#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The whole content of a file, read straight into one array (no intermediate `Data` copy,
/// which matters for 30 MB tokenizer files).
///
/// - Throws: ``TokkiError/io(path:reason:)`` naming the file.
package func readFileBytes(_ path: String) throws(TokkiError) -> [UInt8] {
    let fd = try openForReading(path)
    defer { close(fd) }
    return try readAll(fd, path: path)
}

/// A descriptor of `path` opened for reading. Throws ``TokkiError/io(path:reason:)``.
private func openForReading(_ path: String) throws(TokkiError) -> Int32 {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
        throw .io(path: path, reason: errno == ENOENT ? "no such file" : "cannot open (\(String(cString: strerror(errno))))")
    }
    return fd
}

/// Everything left to read from `fd` (`path` names it in errors; the caller closes it).
private func readAll(_ fd: Int32, path: String) throws(TokkiError) -> [UInt8] {
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw .io(path: path, reason: "cannot stat (\(String(cString: strerror(errno))))") }
    let expected = Int(st.st_size)
    var failure: Int32 = 0
    var bytes = [UInt8](unsafeUninitializedCapacity: max(expected, 1)) { buffer, count in
        LargeArrays.advise(UnsafeMutableRawPointer(buffer.baseAddress!), bytes: buffer.count)
        var done = 0
        while done < expected {
            let n = read(fd, buffer.baseAddress! + done, expected - done)
            if n < 0 {
                if errno == EINTR { continue }
                failure = errno
                break
            }
            if n == 0 { break }
            done += n
        }
        count = done
    }
    if failure != 0 { throw .io(path: path, reason: "read failed (\(String(cString: strerror(failure))))") }
    // A file that grew while being read (or a pipe): read the rest.
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw .io(path: path, reason: "read failed (\(String(cString: strerror(errno))))")
        }
        if n == 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
    }
    return bytes
}

/// Read-only bytes: an array, or a file mapped into memory (``mapFileBytes(_:)``).
///
/// Model files are parsed from a mapping of the kernel's page cache: reading a 12 MB
/// tokenizer.json into an array first wrote 12 MB of fresh memory, and on a virtual machine
/// the first touch of fresh memory costs about 0.6 ms per MB (7 to 25 ms of a 70 ms load).
package struct ReadOnlyBytes: @unchecked Sendable {
    // @unchecked: the mapping is never written and lives as long as any copy of this value.
    private let array: [UInt8]
    private let mapping: FileMapping?
    /// The number of bytes.
    package let count: Int

    /// The bytes of `array`.
    package init(_ array: [UInt8]) {
        self.array = array
        mapping = nil
        count = array.count
    }

    /// A read-only memory mapping holding a copy of `bytes` (an array when they are empty or
    /// the system refuses the mapping): the bytes of a file mapping without the file, so that
    /// tests and fuzz targets reach the code that uses mapped bytes in place.
    package init(mappedCopyOf bytes: [UInt8]) {
        let n = bytes.count
        if n > 0, let p = mmap(nil, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED {
            bytes.withUnsafeBytes { src in
                assert(src.count == n)
                p.copyMemory(from: src.baseAddress!, byteCount: n)
            }
            _ = mprotect(p, n, PROT_READ)
            self.init(mapping: FileMapping(base: UnsafePointer(p.assumingMemoryBound(to: UInt8.self)), count: n))
            return
        }
        self.init(bytes)
    }

    fileprivate init(mapping: FileMapping) {
        array = []
        self.mapping = mapping
        count = mapping.count
    }

    /// Whether the bytes are a file mapping (rather than an array).
    package var isMapped: Bool { mapping != nil }

    /// The first byte of the mapping, when the bytes are one: it stays valid as long as this
    /// value, a copy of it, or ``mappingOwner`` lives.
    var mappedBase: UnsafePointer<UInt8>? { mapping?.base }

    /// What keeps the mapping mapped (nil for an array): a table using the mapping in place
    /// (``TableArray``) holds it.
    var mappingOwner: (any AnyObject & Sendable)? { mapping }

    /// Calls `body` with the bytes (valid only during the call).
    @inline(__always)
    package func withUnsafeBufferPointer<R, E: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        if let mapping {
            return try withExtendedLifetime(mapping) { () throws(E) -> R in
                try body(UnsafeBufferPointer(start: mapping.base, count: mapping.count))
            }
        }
        return try array.withUnsafeBufferPointer(body)
    }

    /// The byte at `i` (`0 <= i < count`; checked).
    @inline(__always)
    package subscript(i: Int) -> UInt8 {
        if let mapping {
            precondition(i >= 0 && i < mapping.count, "ReadOnlyBytes index out of range")
            return mapping.base[i]
        }
        return array[i]
    }

    /// A copy of the bytes in `range` (checked).
    package subscript(range: Range<Int>) -> [UInt8] {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "ReadOnlyBytes range out of range")
        return withUnsafeBufferPointer { Array(UnsafeBufferPointer(rebasing: $0[range])) }
    }

    /// A copy of all the bytes as an array (no copy when they are one).
    package var arrayCopy: [UInt8] { mapping == nil ? array : self[0..<count] }
}

/// A read-only private mapping of a whole file, unmapped when released.
private final class FileMapping: @unchecked Sendable {
    // @unchecked: `base` points into a PROT_READ mapping that only deinit removes.
    let base: UnsafePointer<UInt8>
    let count: Int

    init(base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), count) }
}

/// The whole content of a file for parsing: a regular file of at least
/// `mapThreshold` bytes is mapped into memory (read-only, its pages read in at once), anything
/// else (small files, pipes, a mapping the system refuses) is read with ``readFileBytes(_:)``.
///
/// Like every reader of a mapped file (safetensors, llama.cpp's GGUF loader), the process
/// stops with SIGBUS if another process truncates the file while it is mapped; Tokki maps
/// model files only while it parses them, and model cache images while a tokenizer uses the
/// tables in them (``TableArray``).
///
/// - Throws: ``TokkiError/io(path:reason:)`` naming the file.
package func mapFileBytes(_ path: String, mapThreshold: Int = 1 << 20) throws(TokkiError) -> ReadOnlyBytes {
    // One open for both ways: a pipe or FIFO opened a second time would wait for a writer
    // that has already gone (and its bytes with the first reader).
    let fd = try openForReading(path)
    defer { close(fd) }
    var st = stat()
    let regular = fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    let size = Int(st.st_size)
    if regular && size >= mapThreshold {
        #if os(Linux)
        let flags = MAP_PRIVATE | MAP_POPULATE
        #else
        let flags = MAP_PRIVATE
        #endif
        // The mapping outlives the descriptor.
        let p = mmap(nil, size, PROT_READ, flags, fd, 0)
        if let p, p != MAP_FAILED {
            return ReadOnlyBytes(mapping: FileMapping(base: UnsafePointer(p.assumingMemoryBound(to: UInt8.self)), count: size))
        }
    }
    return ReadOnlyBytes(try readAll(fd, path: path))
}

/// Writes all of `bytes` to the file descriptor `fd`, retrying after interruptions and short
/// writes. Returns 0, or the `errno` of the write that failed.
package func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
    guard let base = bytes.baseAddress else { return 0 }
    var off = 0
    while off < bytes.count {
        let n = write(fd, base + off, bytes.count - off)
        if n < 0 {
            if errno == EINTR { continue }
            return errno
        }
        off += n
    }
    return 0
}
