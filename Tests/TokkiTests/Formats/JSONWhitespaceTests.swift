import Testing
@testable import Tokki
import TokkiTestSupport

/// `JSONDocument.skipSpace` crosses runs of whitespace eight bytes at a time with a per-byte
/// mask; these tests hold it to the plain definition (space, LF, CR and tab are whitespace,
/// nothing else is).
@Suite struct JSONWhitespaceTests {
    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 }

    /// Every byte value at every position of a word of whitespace: the mask marks exactly the
    /// byte that is not whitespace.
    @Test func maskMarksExactlyTheBytesThatAreNotWhitespace() {
        let fillers: [UInt8] = [0x20, 0x0A, 0x0D, 0x09]
        for filler in fillers {
            for position in 0..<8 {
                for value in 0...255 {
                    var bytes = [UInt8](repeating: filler, count: 8)
                    bytes[position] = UInt8(value)
                    let w = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                    let mask = JSONDocument.nonSpaceBytes(w)
                    let expected: UInt64 = Self.isSpace(UInt8(value)) ? 0 : 0x80 << (8 * position)
                    #expect(mask == expected, "filler \(filler), byte \(value) at \(position)")
                }
            }
        }
    }

    /// Random words of bytes drawn mostly from whitespace and its neighbours (0x00, 0x08,
    /// 0x0B, 0x1F, 0x21, 0x80, 0xA0, 0xFF): the mask agrees with the definition byte by byte.
    @Test func maskAgreesOnRandomWords() {
        var rng = SplitMix64(seed: 41)
        let pool: [UInt8] = [0x20, 0x0A, 0x0D, 0x09, 0x00, 0x08, 0x0B, 0x0C, 0x1F, 0x21, 0x22, 0x80, 0xA0, 0xFF]
        for _ in 0..<50_000 {
            let bytes = (0..<8).map { _ in pool[Int(rng.next() % UInt64(pool.count))] }
            let w = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            var expected: UInt64 = 0
            for (k, b) in bytes.enumerated() where !Self.isSpace(b) { expected |= 0x80 << (8 * k) }
            #expect(JSONDocument.nonSpaceBytes(w) == expected, "\(bytes)")
        }
    }

    /// From every start of random texts (whitespace runs of every length, other bytes among
    /// them, and text ending inside a run), the skip stops at the first byte that is not
    /// whitespace, or at the end.
    @Test func skipStopsAtTheFirstByteThatIsNotWhitespace() {
        var rng = SplitMix64(seed: 7)
        let pool: [UInt8] = [0x20, 0x20, 0x20, 0x0A, 0x0D, 0x09, 0x22, 0x5B, 0x00, 0x1F, 0x0B, 0xC4, 0xA0]
        for _ in 0..<3_000 {
            let count = Int(rng.next() % 40)
            let text = (0..<count).map { _ in pool[Int(rng.next() % UInt64(pool.count))] }
            text.withUnsafeBufferPointer { b in
                for start in 0...count {
                    var i = start
                    JSONDocument.skipSpace(b, &i)
                    var expected = start
                    while expected < count && Self.isSpace(text[expected]) { expected += 1 }
                    #expect(i == expected, "\(text) from \(start)")
                }
            }
        }
    }

    /// A pretty-printed tokenizer.json (merges as indented two-element arrays, CRLF line ends
    /// and tabs) loads to the same model as the same file written compactly.
    @Test func prettyPrintedMergesLoadAsCompactOnes() throws {
        let vocab = #"{"a": 0, "b": 1, "ab": 2, "ba": 3, "c": 4, "abc": 5}"#
        let compact = TokenizerJSONBulkTests.file(vocab: vocab, merges: #"[["a","b"],["b","a"],["ab","c"]]"#)
        let pretty = TokenizerJSONBulkTests.file(
            vocab: vocab,
            merges: "[\r\n\t[\r\n        \"a\",\r\n        \"b\"\r\n      ],\n      [\n\t\t\"b\",          \"a\"  ]  ,\n[ \"ab\" , \"c\" ]\n    ]",
            pretty: true)
        for bulk in [true, false] {
            let a = TokenizerJSONBulkTests.outcome(compact, bulk: bulk), b = TokenizerJSONBulkTests.outcome(pretty, bulk: bulk)
            #expect(!a.hasPrefix("error"), "\(a)")
            #expect(a == b)
        }
    }
}
