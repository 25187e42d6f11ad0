#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a line handed out by ``LineReader`` ended.
public enum LineEnd: Sendable, Equatable {
    /// The last line of the input, with no line end.
    case none
    /// `\n`.
    case lf
    /// `\r\n` (Windows). The `\r` is not part of the line.
    case crlf

    /// The number of bytes of the line end in the input (0, 1 or 2).
    public var byteCount: Int {
        switch self {
        case .none: return 0
        case .lf: return 1
        case .crlf: return 2
        }
    }

    /// The bytes of the line end as they were in the input.
    public var bytes: [UInt8] {
        switch self {
        case .none: return []
        case .lf: return [0x0A]
        case .crlf: return [0x0D, 0x0A]
        }
    }
}

/// Reads a file or standard input in large blocks and hands out one line at a time, without its
/// line end. Every line-oriented reader of Tokki and of the `tokki` tool goes through it, so they
/// all agree on what a line is:
///
/// - `\n` and `\r\n` end a line; neither is part of the line handed out.
/// - A lone `\r` (not followed by `\n`) is an ordinary character of the line.
/// - A line longer than ``maxLineBytes`` stops the reading with
///   ``TokkiError/lineTooLong(source:line:byteOffset:limit:)``, before more than about that much
///   memory is taken (an endless line such as `/dev/zero` never exhausts memory).
///
/// Memory stays bounded by the longest line, whatever the input size.
public struct LineReader: ~Copyable {
    /// The default longest line: 256 MiB.
    public static let defaultMaxLineBytes = 256 << 20

    /// The file's path; nil for standard input.
    public let path: String?
    /// The longest line accepted, in bytes (without its line end).
    public let maxLineBytes: Int
    private let source: any ByteSource
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var eof = false
    private var consumed = 0
    private var scanned = 0
    private var lineNumber = 0

    /// Opens `path`, or standard input when it is nil or `-`. A gzip or Zstandard input is
    /// decompressed and a legacy charset converted as `decoding` says (by default compressed
    /// input is recognised by its first bytes, and text is UTF-8); byte offsets then count
    /// the decoded text.
    ///
    /// With `startingAt` (a named, uncompressed file only; then nothing is decoded), reading starts
    /// at that byte of the file: offsets stay those of the file, line numbers count from there.
    ///
    /// - Throws: ``TokkiError/io(path:reason:)`` when the file cannot be opened,
    ///   ``TokkiError/invalidConfiguration(_:)`` for a limit below 1 or an unknown encoding.
    public init(path: String?, maxLineBytes: Int = LineReader.defaultMaxLineBytes, blockSize: Int = 1 << 20,
                decoding: InputDecoding = InputDecoding(), startingAt byteOffset: Int = 0) throws(TokkiError) {
        guard maxLineBytes >= 1 else { throw .invalidConfiguration("the longest line must be at least 1 byte, not \(maxLineBytes)") }
        let named = path.flatMap { $0 == "-" ? nil : $0 }
        let fd: Int32
        if let named {
            fd = open(named, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw .io(path: named, reason: errno == ENOENT ? "no such file" : "cannot open (\(String(cString: strerror(errno))))")
            }
        } else {
            fd = 0
        }
        let file = FileSource(fd: fd, name: named ?? "<stdin>")
        if byteOffset > 0 {
            guard named != nil, lseek(fd, off_t(byteOffset), SEEK_SET) == off_t(byteOffset) else {
                throw .io(path: named ?? "<stdin>", reason: "cannot seek to byte \(byteOffset)")
            }
            consumed = byteOffset
        }
        let chain = byteOffset > 0 ? file : try decoding.source(over: file)
        self.path = named
        self.maxLineBytes = maxLineBytes
        source = chain
        // A small regular file gets a buffer of its size (at least 64 KB), not a whole block:
        // zeroing 1 MB for a file of a few lines costs more than reading it. The buffer grows
        // when a line fills it (a compressed file's text can be longer than the file).
        var size = blockSize
        var st = stat()
        if named != nil, fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG {
            size = min(blockSize, max(1 << 16, Int(st.st_size) - byteOffset + 16))
        }
        buffer = [UInt8](repeating: 0, count: max(16, min(size, maxLineBytes + 2)))
    }

    /// The name to show in messages: the path, or `<stdin>`.
    public var displayName: String { path ?? "<stdin>" }

    /// Calls `body` with each line (without its line end), how it ended, and the byte offset of
    /// its first byte in the input. The buffer is valid only during the call.
    ///
    /// Errors of the reader itself (a read failure, a line over the limit) are turned into `E`
    /// by `failure`; errors of `body` stop the reading and are rethrown.
    public mutating func forEachLine<E: Error>(
        _ body: (UnsafeBufferPointer<UInt8>, LineEnd, Int) throws(E) -> Void,
        failure: (TokkiError) -> E
    ) throws(E) {
        while true {
            // Bytes before `scanned` are known to hold no LF (an endless line is scanned once).
            let from = max(start, scanned)
            let found: Int? = buffer.withUnsafeBufferPointer { b in
                guard end > from, let base = b.baseAddress else { return nil }
                return memchr(base + from, 0x0A, end - from).map { UnsafeRawPointer(base).distance(to: UnsafeRawPointer($0)) }
            }
            scanned = found ?? end
            if let nl = found {
                let lineStart = start
                let crlf = nl > lineStart && buffer[nl - 1] == 0x0D
                let lineEnd = crlf ? nl - 1 : nl
                if lineEnd - lineStart > maxLineBytes { throw failure(tooLong()) }
                let offset = consumed
                lineNumber += 1
                start = nl + 1
                consumed += nl + 1 - lineStart
                try buffer.withUnsafeBufferPointer { (b) throws(E) in
                    try body(UnsafeBufferPointer(rebasing: b[lineStart..<lineEnd]), crlf ? .crlf : .lf, offset)
                }
                continue
            }
            // No line end in the buffer: the pending bytes are the start of one line. Allow one
            // more byte than the limit, for the CR of a CRLF.
            if end - start > maxLineBytes + 1 { throw failure(tooLong()) }
            if eof {
                if end > start {
                    if end - start > maxLineBytes { throw failure(tooLong()) }
                    let offset = consumed
                    let s = start, e = end
                    lineNumber += 1
                    start = end
                    consumed += e - s
                    try buffer.withUnsafeBufferPointer { (b) throws(E) in
                        try body(UnsafeBufferPointer(rebasing: b[s..<e]), .none, offset)
                    }
                }
                return
            }
            // Compact, grow if one line fills the buffer (never past the limit), then read more.
            if start > 0 {
                let count = end - start
                if count > 0 {
                    buffer.withUnsafeMutableBufferPointer { b in
                        guard let base = b.baseAddress else { return }
                        assert(start + count <= b.count, "compaction reads past the buffer")
                        _ = memmove(base, base + start, count)
                    }
                }
                scanned -= start
                start = 0
                end = count
            }
            if end == buffer.count {
                let grown = min(buffer.count * 2, maxLineBytes + 2)
                if grown > buffer.count {
                    var larger = [UInt8](repeating: 0, count: grown)
                    larger.withUnsafeMutableBufferPointer { l in
                        buffer.withUnsafeBufferPointer { b in
                            guard let to = l.baseAddress, let from = b.baseAddress else { return }
                            assert(end <= l.count && end <= b.count, "growing copies past a buffer")
                            _ = memcpy(to, from, end)
                        }
                    }
                    buffer = larger
                }
            }
            let room = buffer.count - end
            assert(room > 0, "a full buffer was not grown")
            let got: Result<Int, TokkiError> = buffer.withUnsafeMutableBufferPointer { b in
                guard let base = b.baseAddress else { return .success(0) }
                do throws(TokkiError) { return .success(try source.read(into: base + end, count: room)) } catch { return .failure(error) }
            }
            let n: Int
            switch got {
            case .success(let k): n = k
            case .failure(let e): throw failure(e)
            }
            assert(n <= room, "a source wrote past the buffer")
            if n == 0 { eof = true } else { end += n }
        }
    }

    private func tooLong() -> TokkiError {
        .lineTooLong(source: displayName, line: lineNumber + 1, byteOffset: consumed, limit: maxLineBytes)
    }
}
