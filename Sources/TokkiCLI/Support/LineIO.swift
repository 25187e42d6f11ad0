import Foundation
import ArgumentParser
import Tokki
import TokkiData
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension LineReader {
    /// Opens `path` (stdin when nil or "-") for a command: failures become exit codes with a
    /// message (66 when the file cannot be opened).
    static func open(_ path: String?, maxLineBytes: Int = LineReader.defaultMaxLineBytes) throws(ExitCode) -> LineReader {
        do {
            return try LineReader(path: path, maxLineBytes: maxLineBytes, decoding: InputSettings.decoding)
        } catch {
            if case .io(let p, let reason) = error { throw fail(.noInput, "cannot open input file '\(p)': \(reason)") }
            throw fail(error)
        }
    }

    /// Calls `body` with each line (without its `\n` or `\r\n`), how it ended, and the byte
    /// offset of its first byte in the input. A line over the limit stops with exit 65.
    mutating func forEachLine(_ body: (UnsafeBufferPointer<UInt8>, LineEnd, Int) throws(ExitCode) -> Void) throws(ExitCode) {
        try forEachLine(body, failure: { fail($0) })
    }
}

/// `--max-line-bytes` and `--encoding`, for every command that reads text line by line.
struct LineLimitOptions: ParsableArguments {
    @Option(name: .customLong("max-line-bytes"), help: ArgumentHelp(
        "Longest input line accepted, in bytes (suffixes K, M, G); a longer line stops with exit 65.",
        valueName: "N"))
    var maxLineBytes: ByteCount = ByteCount(LineReader.defaultMaxLineBytes)

    @Option(help: ArgumentHelp(
        "The inputs' charset when not UTF-8: cp949, euc-kr, utf-16, utf-16le, … (any ICU name). gzip and zstd inputs are decompressed whatever this says.",
        valueName: "NAME"))
    var encoding: String?

    func validate() throws {
        if let encoding {
            guard InputDecoding.isKnownEncoding(encoding) else {
                throw ValidationError("--encoding '\(encoding)' is not a charset ICU knows (try cp949, euc-kr, utf-16, utf-16le)")
            }
            InputSettings.decoding.encoding = encoding
        }
    }
}

/// How this process's commands decode their inputs (set once from `--encoding` while the
/// arguments are parsed, before any input is opened).
enum InputSettings {
    nonisolated(unsafe) static var decoding = InputDecoding()

    /// A hint for a line that is not UTF-8 but reads cleanly as CP949 (Korean legacy text).
    static func legacyHint(_ line: [UInt8]) -> String {
        guard decoding.encoding == nil, InputDecoding.decodesCleanly(line, as: "cp949") else { return "" }
        return "; the input looks like CP949/EUC-KR Korean text: try --encoding cp949"
    }
}

/// A byte count given as `N`, `NK`, `NM` or `NG` (binary units).
struct ByteCount: ExpressibleByArgument, Sendable {
    let value: Int

    init(_ value: Int) { self.value = value }

    init?(argument: String) {
        var digits = Substring(argument)
        var unit = 1
        switch digits.last {
        case "k", "K": unit = 1 << 10
        case "m", "M": unit = 1 << 20
        case "g", "G": unit = 1 << 30
        default: break
        }
        if unit > 1 { digits = digits.dropLast() }
        guard let n = Int(digits), n >= 1 else { return nil }
        let (v, overflow) = n.multipliedReportingOverflow(by: unit)
        guard !overflow else { return nil }
        value = v
    }

    var defaultValueDescription: String {
        value % (1 << 20) == 0 ? "\(value >> 20)M" : "\(value)"
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
