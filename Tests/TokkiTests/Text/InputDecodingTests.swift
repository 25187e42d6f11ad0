import Foundation
import Testing
import TokkiTestSupport
@testable import Tokki

/// `LineReader` over gzip, zstd and legacy charsets (Tests/Fixtures/encodings, made by
/// scripts/fixtures/make_encoding_fixtures.sh with gzip, zstd and iconv).
struct InputDecodingTests {
    static func path(_ name: String) -> String { Fixtures.url("encodings/\(name)").path }

    /// Every line with its line end, read with a small buffer (many refills).
    static func lines(_ name: String, decoding: InputDecoding = InputDecoding(), blockSize: Int = 16) throws -> [String] {
        var reader = try LineReader(path: path(name), blockSize: blockSize, decoding: decoding)
        var out: [String] = []
        try reader.forEachLine({ (line, end, _) throws(TokkiError) in
            out.append(String(decoding: line, as: UTF8.self) + String(decoding: end.bytes, as: UTF8.self))
        }, failure: { $0 })
        return out
    }

    static let want = ["대한민국 헌법 제1조\n", "민법 제750조(불법행위의 내용)\r\n", "고의 또는 과실로 인한 위법행위\n", "\n", "마지막 줄"]

    @Test(arguments: [("sample.txt", nil), ("sample.txt.gz", nil), ("sample.txt.zst", nil), ("sample.cp949.txt", "cp949"),
                      ("sample.euckr.txt", "euc-kr"), ("sample.utf16le.txt", "utf-16"), ("sample.cp949.txt", "CP949")] as [(String, String?)])
    func decodesToTheSameLines(_ file: String, _ encoding: String?) throws {
        for block in [16, 1 << 20] {
            #expect(try Self.lines(file, decoding: InputDecoding(encoding: encoding), blockSize: block) == Self.want, "\(file) \(block)")
        }
    }

    @Test func compressedLegacyText() throws {
        // A CP949 file, gzip-compressed: decompressed, then converted.
        let dir = NSTemporaryDirectory() + "tokki-dec-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { removeScratch(dir) }
        guard FileManager.default.isExecutableFile(atPath: "/bin/gzip") || FileManager.default.isExecutableFile(atPath: "/usr/bin/gzip") else { return }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "gzip -c '\(Self.path("sample.cp949.txt"))' > '\(dir)/x.gz'"]
        try p.run(); p.waitUntilExit()
        var reader = try LineReader(path: dir + "/x.gz", blockSize: 16, decoding: InputDecoding(encoding: "cp949"))
        var got: [String] = []
        try reader.forEachLine({ (line, end, _) throws(TokkiError) in
            got.append(String(decoding: line, as: UTF8.self) + String(decoding: end.bytes, as: UTF8.self))
        }, failure: { $0 })
        #expect(got == Self.want)
    }

    /// A small compressed file starts with a buffer of its own size (at least 64 KB); a
    /// decompressed line far longer than that makes the buffer grow, line by line intact.
    @Test func aLongLineOfASmallCompressedFileGrowsTheBuffer() throws {
        let dir = NSTemporaryDirectory() + "tokki-dec-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { removeScratch(dir) }
        let long = String(repeating: "가나다라 ", count: 30_000)   // 390 KB, compresses to a few KB
        let text = "첫 줄\n" + long + "\r\n끝"
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/long.txt"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "gzip -c '\(dir)/long.txt' > '\(dir)/long.txt.gz' 2>/dev/null"]
        try p.run(); p.waitUntilExit()
        guard p.terminationStatus == 0 else { return }   // no gzip
        let size = (try FileManager.default.attributesOfItem(atPath: dir + "/long.txt.gz")[.size] as? Int) ?? 0
        #expect(size > 0 && size < 1 << 16)
        var reader = try LineReader(path: dir + "/long.txt.gz", decoding: InputDecoding())
        var lines: [(String, LineEnd, Int)] = []
        try reader.forEachLine({ (line, end, offset) throws(TokkiError) in
            lines.append((String(decoding: line, as: UTF8.self), end, offset))
        }, failure: { $0 })
        #expect(lines.map(\.0) == ["첫 줄", long, "끝"])
        #expect(lines.map(\.1) == [.lf, .crlf, .none])
        #expect(lines.map(\.2) == [0, 8, 8 + long.utf8.count + 2])
    }

    @Test func largeCompressedInputStreams() throws {
        // 3 MB of lines through gzip and zstd (many input refills), when the tools exist.
        let dir = NSTemporaryDirectory() + "tokki-dec-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { removeScratch(dir) }
        var text = ""
        for k in 0..<60_000 { text += "제\(k)조 대한민국 헌법 \(k * 7919 % 100_003)\n" }
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/big.txt"))
        for (tool, file) in [("gzip -c", "big.txt.gz"), ("zstd -q -c", "big.txt.zst")] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", "\(tool) '\(dir)/big.txt' > '\(dir)/\(file)' 2>/dev/null"]
            try p.run(); p.waitUntilExit()
            guard p.terminationStatus == 0 else { continue }   // the tool is missing
            var reader = try LineReader(path: dir + "/" + file, decoding: InputDecoding())
            var bytes: [UInt8] = []
            var count = 0
            try reader.forEachLine({ (line, end, offset) throws(TokkiError) in
                #expect(offset == bytes.count)
                bytes += line; bytes += end.bytes
                count += 1
            }, failure: { $0 })
            #expect(count == 60_000, "\(file)")
            #expect(bytes == Array(text.utf8), "\(file)")
        }
    }

    @Test func badInputIsAnErrorWithTheOffset() throws {
        #expect(throws: TokkiError.invalidInput(source: Self.path("truncated.txt.gz"), byteOffset: 30,
                                                problem: "the gzip stream ends early (truncated file)")) {
            _ = try Self.lines("truncated.txt.gz")
        }
        do {
            _ = try Self.lines("corrupt.txt.zst")
            Issue.record("a corrupt zstd file was read")
        } catch {
            guard let e = error as? TokkiError, case .invalidInput(_, _, let problem) = e else { Issue.record("\(error)"); return }
            #expect(problem.hasPrefix("invalid zstd data"))
        }
        // A stray CP949 lead byte: an error at its offset, or U+FFFD when asked.
        #expect(throws: TokkiError.invalidInput(source: Self.path("bad.cp949.txt"), byteOffset: 5,
                                                problem: "a byte sequence that is invalid in cp949")) {
            _ = try Self.lines("bad.cp949.txt", decoding: InputDecoding(encoding: "cp949"))
        }
        #expect(try Self.lines("bad.cp949.txt", decoding: InputDecoding(encoding: "cp949", replaceInvalid: true)) == ["대한\n", "\u{FFFD}\n"])
        #expect(throws: TokkiError.self) { _ = try Self.lines("sample.txt", decoding: InputDecoding(encoding: "no-such-charset")) }
        // Without decompression the bytes are read as they are.
        #expect(try Self.lines("sample.txt.gz", decoding: InputDecoding(decompress: false)) != Self.want)
    }

    @Test func legacyHintAndNames() {
        let cp949 = [UInt8](FileManager.default.contents(atPath: Self.path("sample.cp949.txt")) ?? Data())
        #expect(InputDecoding.decodesCleanly(cp949, as: "cp949"))
        #expect(!InputDecoding.decodesCleanly(Array("plain ASCII".utf8), as: "cp949"))   // no Hangul
        #expect(InputDecoding.isKnownEncoding("euc-kr") && InputDecoding.isKnownEncoding("utf-16le"))
        #expect(!InputDecoding.isKnownEncoding("klingon"))
        // UHC syllables (outside EUC-KR) decode under every Korean label.
        #expect(InputDecoding.decodesCleanly([0xC6, 0x52], as: "euc-kr") && InputDecoding.decodesCleanly([0xC6, 0x52], as: "cp949"))
    }
}
