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
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
        throw .io(path: path, reason: errno == ENOENT ? "no such file" : "cannot open (\(String(cString: strerror(errno))))")
    }
    defer { close(fd) }
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
