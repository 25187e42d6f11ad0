import Foundation
import Testing
import TokkiTestSupport
@testable import Tokki

/// Model files are parsed from a memory mapping (``mapFileBytes(_:mapThreshold:)``): the
/// mapped bytes are the file's, small files and anything that is not a regular file are read
/// instead, and a tokenizer loaded from a mapping is the one loaded from an array.
@Suite("Mapped file bytes")
struct FileBytesTests {
    private static func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "tokki-map-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Every size around the page size: the mapping holds exactly the file's bytes (none of
    /// the zeros that fill its last page), and reads them as the array does.
    @Test(arguments: [1, 4095, 4096, 4097, 70_000])
    func mappedBytesAreTheFile(_ size: Int) throws {
        let content = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
        let path = try Self.temporaryFile(content)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let mapped = try mapFileBytes(path, mapThreshold: 0)
        #expect(mapped.isMapped)
        #expect(mapped.count == size)
        #expect(mapped.arrayCopy == content)
        #expect(mapped[size - 1] == content[size - 1])
        #expect(mapped[0..<min(size, 9)] == Array(content.prefix(9)))
        let summed = mapped.withUnsafeBufferPointer { $0.reduce(0) { $0 &+ Int($1) } }
        #expect(summed == content.reduce(0) { $0 &+ Int($1) })
    }

    /// Below the threshold, an empty file, or something that is not a regular file (a pipe):
    /// read into an array, with the same bytes.
    @Test func smallEmptyAndSpecialFilesAreRead() throws {
        let content = Array("대한민국 헌법\r\n".utf8)
        let path = try Self.temporaryFile(content)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let small = try mapFileBytes(path)
        #expect(!small.isMapped && small.arrayCopy == content)
        let emptyPath = try Self.temporaryFile([])
        defer { try? FileManager.default.removeItem(atPath: emptyPath) }
        let empty = try mapFileBytes(emptyPath, mapThreshold: 0)
        #expect(empty.count == 0 && empty.arrayCopy.isEmpty)

        // A pipe (as `<(…)` in a shell gives): its bytes are in the pipe, the writer gone, and
        // it is opened once, so nothing waits for a writer and nothing is lost.
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        content.withUnsafeBytes { _ = write(ends[1], $0.baseAddress, $0.count) }
        close(ends[1])
        defer { close(ends[0]) }
        let piped = try mapFileBytes("/dev/fd/\(ends[0])", mapThreshold: 0)
        #expect(!piped.isMapped && piped.arrayCopy == content)
    }

    /// A missing file is an I/O error naming it.
    @Test func missingFileNamesThePath() {
        #expect {
            _ = try mapFileBytes("/nonexistent/tokki/tokenizer.json", mapThreshold: 0)
        } throws: { error in
            guard case TokkiError.io(let path, let reason)? = error as? TokkiError else { return false }
            return path == "/nonexistent/tokki/tokenizer.json" && reason == "no such file"
        }
    }

    /// The same tokenizer from a mapping as from an array: ids, offsets and decoding of text
    /// with CRLF, Hanja, emoji and full-width forms; a syntax error still names its offset.
    @Test(arguments: ["bytelevel_bpe", "bytelevel_bpe_nfkc_split", "metaspace_bpe_bf", "wordpiece_bert"])
    func tokenizerFromAMappingIsTheSame(_ name: String) throws {
        let path = Fixtures.url("hf/\(name).json").path
        let fromArray = try TokenizerJSON.load(bytes: try readFileBytes(path), path: path)
        let mapped = try mapFileBytes(path, mapThreshold: 0)
        #expect(mapped.isMapped)
        let fromMapping = try TokenizerJSON.load(source: mapped, path: path)
        for text in ["대한민국 헌법 제1조\r\n①項 🙂", "ＡＢＣ　ｶﾀｶﾅ\ttab", ""] {
            let a = try fromArray.encode(text, addSpecialTokens: true), b = try fromMapping.encode(text, addSpecialTokens: true)
            #expect(a.ids == b.ids && a.offsets == b.offsets, "\(name): \(text)")
            #expect(try fromArray.decode(a.ids) == fromMapping.decode(b.ids))
        }
        let broken = try Self.temporaryFile(Array(try readFileBytes(path).dropLast(2)))
        defer { try? FileManager.default.removeItem(atPath: broken) }
        #expect(throws: TokkiError.self) { _ = try TokenizerJSON.load(source: try mapFileBytes(broken, mapThreshold: 0), path: broken) }
    }

    /// `String(validatedUTF8:)` makes the string `String(decoding:as:)` makes, for every
    /// length of UTF-8 sequence.
    @Test func validatedStringsEqualDecodedOnes() {
        for text in ["", "a", "대한민국", "é\u{301}", "𝔘𝔫𝔦 🙂", "\u{0}\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}", String(repeating: "법률 ", count: 300)] {
            let bytes = Array(text.utf8)
            let made = String(validatedUTF8: bytes)
            #expect(made == text && Array(made.utf8) == bytes)
            #expect(made.count == text.count && made.unicodeScalars.count == text.unicodeScalars.count)
        }
    }
}
