import Foundation
import ArgumentParser
import Tokki
import TokkiData
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file or stdin in large chunks and hands out one line at a time, without the
/// newline. Memory stays bounded by the longest line, whatever the file size.
struct LineReader {
    let path: String?
    private let fd: Int32
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var eof = false
    /// Byte offset in the input of the first byte of the line handed out last.
    private(set) var lineOffset = 0
    private var consumed = 0

    /// Opens `path`, or stdin when nil or "-".
    init(path: String?, chunkSize: Int = 1 << 20) throws(ExitCode) {
        if let path, path != "-" {
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else {
                let reason = String(cString: strerror(errno))
                throw fail(.noInput, "cannot open input file '\(path)': \(reason)")
            }
            self.fd = fd
            self.path = path
        } else {
            self.fd = 0
            self.path = nil
        }
        buffer = [UInt8](repeating: 0, count: chunkSize)
    }

    /// The name to show in messages.
    var displayName: String { path ?? "<stdin>" }

    /// Calls `body` with each line (without its "\n"), whether it ended with a newline, and
    /// the byte offset of its first byte in the input.
    mutating func forEachLine(_ body: (UnsafeBufferPointer<UInt8>, Bool, Int) throws(ExitCode) -> Void) throws(ExitCode) {
        while true {
            // Look for a newline in the buffered bytes.
            let found: Int? = buffer.withUnsafeBufferPointer { b in
                guard end > start else { return nil }
                let p = memchr(b.baseAddress! + start, 0x0A, end - start)
                return p.map { UnsafeRawPointer($0) - UnsafeRawPointer(b.baseAddress!) }
            }
            if let nl = found {
                lineOffset = consumed
                let lineStart = start
                start = nl + 1
                consumed += nl + 1 - lineStart
                try buffer.withUnsafeBufferPointer { (b) throws(ExitCode) in
                    try body(UnsafeBufferPointer(rebasing: b[lineStart..<nl]), true, lineOffset)
                }
                continue
            }
            if eof {
                if end > start {
                    lineOffset = consumed
                    let s = start, e = end
                    start = end
                    consumed += e - s
                    try buffer.withUnsafeBufferPointer { (b) throws(ExitCode) in
                        try body(UnsafeBufferPointer(rebasing: b[s..<e]), false, lineOffset)
                    }
                }
                if fd > 2 { close(fd) }
                return
            }
            // Compact, grow if a single line fills the buffer, then read more.
            if start > 0 {
                let count = end - start
                if count > 0 {
                    buffer.withUnsafeMutableBufferPointer { b in
                        _ = memmove(b.baseAddress!, b.baseAddress! + start, count)
                    }
                }
                start = 0; end = count
            }
            if end == buffer.count {
                buffer.append(contentsOf: repeatElement(0, count: buffer.count))
            }
            let n = buffer.withUnsafeMutableBufferPointer { b in
                read(fd, b.baseAddress! + end, b.count - end)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail(.ioError, "cannot read '\(displayName)': \(String(cString: strerror(errno)))")
            }
            if n == 0 { eof = true } else { end += n }
        }
    }
}

/// A buffered writer to stdout.
struct OutputWriter {
    private var buffer: [UInt8] = []
    private let fd: Int32 = 1
    private let limit = 1 << 20

    init() { buffer.reserveCapacity(limit + 4096) }

    mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) throws(ExitCode) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= limit { try flush() }
    }

    mutating func write(_ bytes: [UInt8]) throws(ExitCode) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= limit { try flush() }
    }

    mutating func write(_ string: String) throws(ExitCode) {
        buffer.append(contentsOf: string.utf8)
        if buffer.count >= limit { try flush() }
    }

    mutating func write(byte: UInt8) throws(ExitCode) {
        buffer.append(byte)
        if buffer.count >= limit { try flush() }
    }

    mutating func flush() throws(ExitCode) {
        let failure = buffer.withUnsafeBytes { writeAll(fd, $0) }
        buffer.removeAll(keepingCapacity: true)
        if failure != 0 {
            throw fail(.ioError, "cannot write output: \(String(cString: strerror(failure)))")
        }
    }
}

/// Writes `bytes` to `path` atomically with ``AtomicFile`` (a temporary file in the same folder,
/// then a rename; devices and pipes are written in place).
func writeAtomically(_ bytes: [UInt8], to path: String) throws(ExitCode) {
    if let (status, message) = atomicWrite(bytes, to: path) { throw fail(status, message) }
}

/// ``writeAtomically(_:to:)`` without printing: the failure (exit status and message), if any.
func atomicWrite(_ bytes: [UInt8], to path: String) -> (ExitStatus, String)? {
    let file: AtomicFile
    do { file = try AtomicFile(path: path) } catch { return (.cannotCreate, error.description) }
    do {
        try file.write(bytes)
        try file.commit()
    } catch {
        return (.ioError, error.description)
    }
    return nil
}
