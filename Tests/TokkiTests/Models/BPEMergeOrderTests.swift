import Foundation
import Testing
import TokkiTestSupport
@testable import Tokki

/// Byte-level BPE merge order against the references, on files built so that merges compete
/// (`scripts/fixtures/make_bpe_merge_fixtures.py`): equal pairs side by side (the leftmost
/// wins), one token reached by two pairs of different ranks, and words on both sides of
/// ``BPEModel/linearMergeLimit`` (merged by a scan below it, with a heap above). Every text
/// is encoded twice with one scratch, so the second pass replays the word caches.
struct BPEMergeOrderTests {
    struct Expected: Decodable {
        let texts: [String]
        let hf_ids: [[Int]]
        let tiktoken_ids: [[Int]]
    }

    static func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Fixtures.data("bpe-merge/merge_order.expected.json"))
    }

    /// Calls `body` with the UTF-8 bytes of `text`.
    static func withBytes(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) throws(TokkiError) -> Void) throws {
        var s = text
        let r: Result<Void, TokkiError> = s.withUTF8 { b in
            do throws(TokkiError) { try body(b); return .success(()) } catch { return .failure(error) }
        }
        try r.get()
    }

    @Test func textsReachBothMergePaths() throws {
        let lengths = try Self.expected().texts.map(\.utf8.count)
        #expect(lengths.contains { $0 <= BPEModel.linearMergeLimit })
        #expect(lengths.contains { $0 > 2 * BPEModel.linearMergeLimit })
    }

    @Test func tokenizerJSONMatchesTokenizers() throws {
        let expected = try Self.expected()
        let tokenizer = try HuggingFaceTokenizer(contentsOf: Fixtures.url("bpe-merge/merge_order.json"))
        var scratch = tokenizer.makeScratch()
        for pass in 0..<2 {
            for (text, want) in zip(expected.texts, expected.hf_ids) {
                #expect(try tokenizer.encode(text, addSpecialTokens: false).ids == want, "encode, pass \(pass): \(text)")
                var ids: [Int32] = [], withOffsets: [Int32] = [], offsets: [Range<Int>] = []
                try Self.withBytes(text) { (b) throws(TokkiError) in
                    try tokenizer.encodeIDs(b, into: &ids, scratch: &scratch)
                    try tokenizer.encodeIDs(b, into: &withOffsets, characterOffsets: &offsets, scratch: &scratch, options: EncodeOptions())
                }
                #expect(ids.map(Int.init) == want, "ids path, pass \(pass): \(text)")
                #expect(withOffsets.map(Int.init) == want, "offsets path, pass \(pass): \(text)")
            }
        }
    }

    @Test func rankFileMatchesTiktoken() throws {
        let expected = try Self.expected()
        let encoding = try TiktokenTokenizer(contentsOf: Fixtures.url("bpe-merge/merge_order.tiktoken"), pattern: "cl100k")
        var scratch = encoding.makeScratch()
        for pass in 0..<2 {
            for (text, want) in zip(expected.texts, expected.tiktoken_ids) {
                var ids: [Int32] = []
                try Self.withBytes(text) { (b) throws(TokkiError) in try encoding.encodeOrdinary(b, into: &ids, scratch: &scratch) }
                #expect(ids.map(Int.init) == want, "pass \(pass): \(text)")
            }
        }
    }
}
