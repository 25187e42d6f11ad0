import CCompression
import CICUShim
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How ``LineReader`` turns the bytes of a file into UTF-8 text: gzip and Zstandard files are
/// recognised by their first bytes and decompressed while streaming (so `corpus.jsonl.gz`,
/// `corpus.jsonl.zst` and a compressed standard input read like plain files), and a legacy
/// charset (CP949, EUC-KR, UTF-16, …) is converted to UTF-8 through ICU.
///
/// ```swift
/// var reader = try LineReader(path: "judgments.txt.gz", decoding: InputDecoding(encoding: "cp949"))
/// ```
public struct InputDecoding: Sendable, Equatable {
    /// Decompress gzip (and zlib) and Zstandard input, detected by its magic bytes. On by default.
    public var decompress: Bool
    /// The input's charset as ICU names it (`cp949`, `euc-kr`, `utf-16`, `utf-16le`, `shift_jis`,
    /// …); nil for UTF-8 (read as it is).
    public var encoding: String?
    /// Bytes that are invalid in ``encoding`` become U+FFFD instead of stopping the reading.
    public var replaceInvalid: Bool

    /// The default: decompress, UTF-8.
    public init(decompress: Bool = true, encoding: String? = nil, replaceInvalid: Bool = false) {
        self.decompress = decompress
        self.encoding = encoding
        self.replaceInvalid = replaceInvalid
    }

    /// The ICU converter for a charset name. Korean names follow the WHATWG Encoding Standard:
    /// `cp949`, `uhc`, `ms949`, `ks_c_5601-1987` and `euc-kr` all mean Windows code page 949
    /// (EUC-KR plus the 8,822 extra syllables of Unified Hangul Code), since files labelled
    /// EUC-KR often hold those syllables; ICU's own `cp949` is IBM's variant, which lacks them.
    public static func converterName(_ name: String) -> String {
        switch name.lowercased() {
        case "cp949", "uhc", "ms949", "x-windows-949", "windows949", "windows-949", "ks_c_5601-1987", "ksc5601",
             "euc-kr", "euckr", "x-euc-kr", "korean", "csksc56011987", "iso-ir-149", "ks_c_5601-1989":
            return "windows-949-2000"
        default:
            return name
        }
    }

    /// Whether `name` is a charset ICU can convert from (e.g. for validating an option).
    public static func isKnownEncoding(_ name: String) -> Bool {
        var status: Int32 = 0
        guard let c = tk_converter_open(converterName(name), 1, &status) else { return false }
        tk_converter_close(c)
        return true
    }

    /// Whether `bytes` decode without error as `encoding` (and hold at least one Hangul
    /// syllable when `needHangul`): used to suggest `--encoding cp949` for text that is not UTF-8.
    public static func decodesCleanly(_ bytes: [UInt8], as encoding: String, needHangul: Bool = true) -> Bool {
        var status: Int32 = 0
        guard let c = tk_converter_open(converterName(encoding), 1, &status) else { return false }
        defer { tk_converter_close(c) }
        var out = [UInt8](repeating: 0, count: bytes.count * 3 + 16)
        var consumed: Int32 = 0, written: Int32 = 0
        let r = bytes.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer { o in
                tk_converter_to_utf8(c, b.baseAddress, Int32(b.count), &consumed, o.baseAddress, Int32(o.count), &written, 1, &status)
            }
        }
        guard r == 0, Int(consumed) == bytes.count else { return false }
        guard needHangul else { return true }
        let text = String(decoding: out[0..<Int(written)], as: UTF8.self)
        return text.unicodeScalars.contains { (0xAC00...0xD7A3).contains($0.value) }
    }
}

/// `read(2)` (a free function: inside the sources `read` names their own method).
private func posixRead(_ fd: Int32, _ buffer: UnsafeMutablePointer<UInt8>, _ count: Int) -> Int { read(fd, buffer, count) }

/// A stream of bytes for ``LineReader``: a file, or a decoding stage over another source.
/// `read` returns 0 at the end.
protocol ByteSource: AnyObject {
    func read(into buffer: UnsafeMutablePointer<UInt8>, count: Int) throws(TokkiError) -> Int
}

/// A file descriptor (closed on deinit unless it is standard input).
final class FileSource: ByteSource {
    let fd: Int32
    let name: String
    /// Bytes read from the file so far.
    private(set) var offset = 0

    init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
    }

    deinit { if fd > 2 { close(fd) } }

    func read(into buffer: UnsafeMutablePointer<UInt8>, count: Int) throws(TokkiError) -> Int {
        while true {
            let n = posixRead(fd, buffer, count)
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: name, reason: "read failed (\(String(cString: strerror(errno))))")
            }
            offset += n
            return n
        }
    }
}

/// Replays `prefix` (bytes read ahead to recognise the format), then reads `upstream`.
final class PrefixedSource: ByteSource {
    private var prefix: [UInt8]
    private var at = 0
    let upstream: any ByteSource

    init(prefix: [UInt8], upstream: any ByteSource) {
        self.prefix = prefix
        self.upstream = upstream
    }

    func read(into buffer: UnsafeMutablePointer<UInt8>, count: Int) throws(TokkiError) -> Int {
        if at < prefix.count {
            let n = min(count, prefix.count - at)
            prefix.withUnsafeBufferPointer { p in
                guard let base = p.baseAddress else { return }
                buffer.update(from: base + at, count: n)
            }
            at += n
            return n
        }
        return try upstream.read(into: buffer, count: count)
    }
}

/// Decompresses gzip or Zstandard from `upstream` while streaming.
final class DecompressingSource: ByteSource {
    enum Kind { case gzip, zstd }
    private let upstream: any ByteSource
    private let inflater: OpaquePointer
    private let name: String
    private let kindName: String
    private var input = [UInt8](repeating: 0, count: 1 << 18)
    private var start = 0, end = 0
    private var upstreamDone = false
    /// Compressed bytes consumed (for error offsets).
    private var consumedTotal = 0

    init(_ kind: Kind, upstream: any ByteSource, name: String) throws(TokkiError) {
        guard let s = tk_inflater_create(kind == .gzip ? Int32(TK_COMPRESSION_GZIP) : Int32(TK_COMPRESSION_ZSTD)) else {
            throw .io(path: name, reason: "cannot start the decompressor (out of memory)")
        }
        inflater = s
        self.upstream = upstream
        self.name = name
        kindName = kind == .gzip ? "gzip" : "zstd"
    }

    deinit { tk_inflater_destroy(inflater) }

    func read(into buffer: UnsafeMutablePointer<UInt8>, count: Int) throws(TokkiError) -> Int {
        while true {
            if start == end && !upstreamDone {
                start = 0
                end = 0
                let n = try input.withUnsafeMutableBufferPointer { (b) throws(TokkiError) -> Int in
                    guard let base = b.baseAddress else { return 0 }
                    return try upstream.read(into: base, count: b.count)
                }
                if n == 0 { upstreamDone = true } else { end = n }
            }
            var consumed = 0, written = 0
            let status = input.withUnsafeBufferPointer { b in
                tk_inflater_run(inflater, b.baseAddress.map { $0 + start }, end - start, &consumed, buffer, count, &written,
                                upstreamDone ? 1 : 0)
            }
            assert(start + consumed <= end, "the decompressor consumed past its input")
            start += consumed
            consumedTotal += consumed
            if status != 0 {
                throw .invalidInput(source: name, byteOffset: consumedTotal, problem: String(cString: tk_inflater_message(inflater)))
            }
            if written > 0 { return written }
            if upstreamDone && start == end {
                if tk_inflater_at_boundary(inflater) == 0 {
                    throw .invalidInput(source: name, byteOffset: consumedTotal, problem: "the \(kindName) stream ends early (truncated file)")
                }
                return 0
            }
        }
    }
}

/// Converts a legacy charset from `upstream` to UTF-8 through ICU.
final class ConvertingSource: ByteSource {
    private let upstream: any ByteSource
    private let converter: UnsafeMutableRawPointer
    private let name: String
    private let encoding: String
    private var input = [UInt8](repeating: 0, count: 1 << 16)
    private var start = 0, end = 0
    private var upstreamDone = false
    private var flushed = false
    private var consumedTotal = 0

    init(encoding: String, replaceInvalid: Bool, upstream: any ByteSource, name: String) throws(TokkiError) {
        var status: Int32 = 0
        guard let c = tk_converter_open(InputDecoding.converterName(encoding), replaceInvalid ? 0 : 1, &status) else {
            throw .invalidConfiguration("unknown encoding '\(encoding)' (ICU names such as cp949, euc-kr, utf-16, utf-16le, shift_jis)")
        }
        converter = c
        self.encoding = encoding
        self.upstream = upstream
        self.name = name
    }

    deinit { tk_converter_close(converter) }

    func read(into buffer: UnsafeMutablePointer<UInt8>, count: Int) throws(TokkiError) -> Int {
        // ICU needs room for at least one character's UTF-8.
        guard count >= 8 else {
            var small = [UInt8](repeating: 0, count: 8)
            let n = try small.withUnsafeMutableBufferPointer { (b) throws(TokkiError) -> Int in
                guard let base = b.baseAddress else { return 0 }
                return try read(into: base, count: 8)
            }
            // Only called with tiny buffers by LineReader's first look; keep it simple.
            buffer.update(from: small, count: min(n, count))
            return min(n, count)
        }
        while true {
            if flushed { return 0 }
            if start == end && !upstreamDone {
                start = 0
                end = 0
                let n = try input.withUnsafeMutableBufferPointer { (b) throws(TokkiError) -> Int in
                    guard let base = b.baseAddress else { return 0 }
                    return try upstream.read(into: base, count: b.count)
                }
                if n == 0 { upstreamDone = true } else { end = n }
            }
            var consumed: Int32 = 0, written: Int32 = 0, status: Int32 = 0
            let chunk = min(end - start, Int(Int32.max / 4))
            let r = input.withUnsafeBufferPointer { b in
                tk_converter_to_utf8(converter, b.baseAddress.map { $0 + start }, Int32(chunk), &consumed, buffer,
                                     Int32(min(count, Int(Int32.max / 4))), &written, upstreamDone ? 1 : 0, &status)
            }
            assert(start + Int(consumed) <= end, "the converter consumed past its input")
            if r == 2 {
                throw .invalidInput(source: name, byteOffset: consumedTotal + Int(consumed),
                                    problem: "a byte sequence that is invalid in \(encoding)")
            }
            if r != 0 {
                throw .invalidInput(source: name, byteOffset: consumedTotal + Int(consumed), problem: "cannot convert from \(encoding) (ICU status \(status))")
            }
            start += Int(consumed)
            consumedTotal += Int(consumed)
            if upstreamDone && start == end && written == 0 { flushed = true; return 0 }
            if written > 0 { return Int(written) }
        }
    }
}

extension InputDecoding {
    /// The source chain for `file`: decompression when the first bytes say gzip or zstd, then
    /// charset conversion when ``encoding`` is set.
    func source(over file: FileSource) throws(TokkiError) -> any ByteSource {
        var source: any ByteSource = file
        if decompress {
            var head = [UInt8](repeating: 0, count: 4)
            var got = 0
            while got < 4 {
                let n = try head.withUnsafeMutableBufferPointer { (b) throws(TokkiError) -> Int in
                    guard let base = b.baseAddress else { return 0 }
                    return try file.read(into: base + got, count: 4 - got)
                }
                if n == 0 { break }
                got += n
            }
            let prefix = Array(head[0..<got])
            let replay = PrefixedSource(prefix: prefix, upstream: file)
            if got >= 2 && prefix[0] == 0x1F && prefix[1] == 0x8B {
                source = try DecompressingSource(.gzip, upstream: replay, name: file.name)
            } else if got >= 4 && prefix == [0x28, 0xB5, 0x2F, 0xFD] {
                source = try DecompressingSource(.zstd, upstream: replay, name: file.name)
            } else {
                source = replay
            }
        }
        if let encoding, !Self.isUTF8(encoding) {
            source = try ConvertingSource(encoding: encoding, replaceInvalid: replaceInvalid, upstream: source, name: file.name)
        }
        return source
    }

    static func isUTF8(_ name: String) -> Bool {
        let n = name.lowercased().replacingAll("-", with: "").replacingAll("_", with: "")
        return n == "utf8"
    }
}
