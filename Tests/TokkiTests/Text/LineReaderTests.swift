import Foundation
import Testing
@testable import Tokki
import TokkiTestSupport

/// The one line reader every command and corpus reader uses: `\n` and `\r\n` end lines, a lone
/// `\r` is text, and a line over the limit is an error, never an allocation failure.
@Suite("LineReader")
struct LineReaderTests {
    /// A scratch file with `bytes`; the test removes it.
    static func file(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "tokki-lines-\(UUID().uuidString).txt"
        try removingScratchOnError(path) { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
        return path
    }

    struct Line: Equatable, CustomStringConvertible {
        var text: [UInt8]
        var end: LineEnd
        var offset: Int
        var description: String { "\(String(decoding: text, as: UTF8.self).debugDescription) \(end) @\(offset)" }
    }

    static func lines(_ bytes: [UInt8], limit: Int = LineReader.defaultMaxLineBytes, block: Int = 1 << 20) throws -> [Line] {
        let path = try file(bytes)
        defer { removeScratch(path) }
        var reader = try LineReader(path: path, maxLineBytes: limit, blockSize: block)
        var out: [Line] = []
        try reader.forEachLine({ (line, end, offset) throws(TokkiError) in
            out.append(Line(text: Array(line), end: end, offset: offset))
        }, failure: { $0 })
        return out
    }

    static let cases: [(String, [([UInt8], LineEnd)])] = [
        ("", []),
        ("\n", [([], .lf)]),
        ("\r\n", [([], .crlf)]),
        ("a", [(Array("a".utf8), .none)]),
        ("a\r\nb\nc", [(Array("a".utf8), .crlf), (Array("b".utf8), .lf), (Array("c".utf8), .none)]),
        ("a\rb\r\n", [(Array("a\rb".utf8), .crlf)]),
        ("\r\r\n\r", [([0x0D], .crlf), ([0x0D], .none)]),
        ("가나\r\n\r\n다", [(Array("가나".utf8), .crlf), ([], .crlf), (Array("다".utf8), .none)]),
        ("x\n\r", [(Array("x".utf8), .lf), ([0x0D], .none)]),
    ]

    @Test(arguments: 0..<cases.count)
    func lineEndsAtEveryBlockSize(_ k: Int) throws {
        let (input, expected) = Self.cases[k]
        var offset = 0
        var want: [Line] = []
        for (text, end) in expected {
            want.append(Line(text: text, end: end, offset: offset))
            offset += text.count + end.bytes.count
        }
        #expect(offset == input.utf8.count)
        // Small blocks put the CR and the LF of a CRLF in different reads.
        for block in [16, 17, 1 << 20] {
            #expect(try Self.lines(Array(input.utf8), block: block) == want, "block \(block)")
        }
    }

    @Test func crAndLfSplitAcrossReads() throws {
        // 15 bytes of text and a CR fill the first 16-byte block; the LF comes in the next.
        let line = [UInt8](repeating: 0x61, count: 15)
        let input = line + [0x0D, 0x0A] + line + [0x0D, 0x0A]
        let got = try Self.lines(input, block: 16)
        #expect(got == [Line(text: line, end: .crlf, offset: 0), Line(text: line, end: .crlf, offset: 17)])
    }

    @Test func longLinesUpToTheLimitAreRead() throws {
        let long = [UInt8](repeating: 0x62, count: 100)
        for end: [UInt8] in [[0x0A], [0x0D, 0x0A]] {
            let got = try Self.lines(long + end + Array("z\n".utf8), limit: 100, block: 16)
            #expect(got.count == 2)
            #expect(got.first?.text == long)
            #expect(got.last?.text == Array("z".utf8))
        }
        #expect(try Self.lines(Array("z\n".utf8) + long, limit: 100, block: 16).last?.text == long)
    }

    @Test func aLineOverTheLimitIsAnErrorNamingFileLineAndOffset() throws {
        let input = Array("ok\r\nfine\n".utf8) + [UInt8](repeating: 0x63, count: 101) + Array("\nafter\n".utf8)
        let path = try Self.file(input)
        defer { removeScratch(path) }
        for block in [16, 1 << 20] {
            var reader = try LineReader(path: path, maxLineBytes: 100, blockSize: block)
            var seen: [[UInt8]] = []
            #expect(throws: TokkiError.lineTooLong(source: path, line: 3, byteOffset: 9, limit: 100)) {
                try reader.forEachLine({ (line, _, _) throws(TokkiError) in seen.append(Array(line)) }, failure: { $0 })
            }
            #expect(seen == [Array("ok".utf8), Array("fine".utf8)])
        }
        // The same without a final line end.
        let last = try Self.file([UInt8](repeating: 0x63, count: 101))
        defer { removeScratch(last) }
        var reader = try LineReader(path: last, maxLineBytes: 100)
        #expect(throws: TokkiError.lineTooLong(source: last, line: 1, byteOffset: 0, limit: 100)) {
            try reader.forEachLine({ (_, _, _) throws(TokkiError) in }, failure: { $0 })
        }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/zero")))
    func anEndlessLineStopsAtTheLimit() throws {
        // /dev/zero never ends and holds no LF: the reader stops at the limit instead of
        // growing its buffer until allocation fails.
        var reader = try LineReader(path: "/dev/zero", maxLineBytes: 4 << 20)
        #expect(throws: TokkiError.lineTooLong(source: "/dev/zero", line: 1, byteOffset: 0, limit: 4 << 20)) {
            try reader.forEachLine({ (_, _, _) throws(TokkiError) in }, failure: { $0 })
        }
    }

    @Test func missingFilesAndBadLimitsAreClearErrors() throws {
        #expect(throws: TokkiError.io(path: "/nonexistent/x.txt", reason: "no such file")) {
            _ = try LineReader(path: "/nonexistent/x.txt")
        }
        #expect(throws: TokkiError.self) { _ = try LineReader(path: nil, maxLineBytes: 0) }
    }
}
