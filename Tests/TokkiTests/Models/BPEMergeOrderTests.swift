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

    /// The table of byte-pair merges holds what the pair table (tokenizer.json) or the rank
    /// table (tiktoken) gives for every two bytes.
    @Test func bytePairTableAgreesWithTheMerges() throws {
        let hf = try #require(try HuggingFaceTokenizer(contentsOf: Fixtures.url("bpe-merge/merge_order.json")).bpeModel)
        let tiktoken = try TiktokenTokenizer(contentsOf: Fixtures.url("bpe-merge/merge_order.tiktoken"), pattern: "cl100k").model
        var wrong = 0, merging = 0
        // Every first byte, with the second bytes of the fixture's letters and a spread of others.
        let seconds = Set([0x20, 0x61, 0x62, 0x63, 0x80, 0x82, 0x98, 0xB0, 0xEA, 0xEB] + Array(stride(from: 0, to: 256, by: 15)))
        for x in 0..<256 {
            for y in seconds {
                let pair = hf.merges.lookup(hf.byteIDs[x], hf.byteIDs[y])
                let want = pair.map { UInt64($0.rank) << 32 | UInt64(UInt32(bitPattern: $0.merged)) } ?? .max
                let token = tiktoken.tokens.id([UInt8(x), UInt8(y)])
                let wantTiktoken = token.map { UInt64($0) << 32 | UInt64($0) } ?? .max
                if hf.bytePairs[x << 8 | y] != want || tiktoken.bytePairs[x << 8 | y] != wantTiktoken { wrong += 1 }
                if pair != nil { merging += 1 }
            }
        }
        #expect(wrong == 0)
        #expect(merging >= 5)
    }

    /// The same merges with small ids (the compact pair table) and ids past 2^20 (the wide
    /// one), on words merged by the scan and by the heap. Expected: `tokenizers`' `models.BPE`
    /// with this vocabulary and these merges gives [4, 2], [4, 2] × 8 and [3] + [4] × 11 + [2]
    /// (ids relative to `base`).
    @Test(arguments: [0, 2_000_000])
    func compactAndWidePairTables(base: Int) throws {
        let model = try BPEModel(vocabulary: ["a": base, "b": base + 1, "ab": base + 2, "c": base + 3, "abc": base + 4, "ca": base + 5],
                                 merges: [("a", "b"), ("c", "a"), ("ab", "c")])
        var scratch = ModelScratch()
        for (text, want) in [("abcab", [4, 2]), (String(repeating: "abcab", count: 8), Array(repeating: [4, 2], count: 8).flatMap { $0 }),
                             (String(repeating: "cab", count: 12), [3] + Array(repeating: 4, count: 11) + [2])] {
            var out: [ModelToken] = []
            let bytes = Array(text.utf8)
            bytes.withUnsafeBufferPointer { b in model.tokenizeUncached(b.baseAddress!, b.count, into: &out, scratch: &scratch) }
            #expect(out.map { Int($0.id) - base } == want, "\(text)")
        }
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
