import Foundation
import Testing
import TokkiTestSupport
@testable import Tokki

/// The ids-only path of tokenizer.json pipelines whose words can be cut in the raw text
/// (``RawWords``): BERT (BertNormalizer + BertPreTokenizer) and Llama 2's legacy `▁`
/// normalizer. Each word is cached under its raw bytes; the ids must be those of the general
/// path (``HuggingFaceTokenizer/encode(_:addSpecialTokens:)``), on a first pass (misses) and
/// again from the cache (hits), on text that moves word boundaries: runs of spaces at either
/// end, tabs, no-break and ideographic spaces, a combining mark after a space, CJK, control
/// characters, added tokens inside words, words longer than the cache takes, and a literal `▁`.
@Suite("tokenizer.json raw-word path")
struct TokenizerJSONRawWordTests {
    static let texts: [String] = [
        "", " ", "   ", "a", " a", "a ", "  a  b   c  ", "\ttab\tsep\t", "no\u{A0}break and\u{3000}ideographic",
        "Ünïcödé Àccents café naïve", " \u{301}mark after a space", "e\u{301} x\u{308}", "中文字符 混合 한국어 text",
        "😀 emoji 👍🏽 ok", "[CLS] hello [MASK] world [SEP]", "hello[MASK]world", "<s> hi </s> <unk> mid<s>word",
        "ctrl\u{1}char\u{7}s", "ΣΑΣ final sigma ΟΔΟΣ", "İstanbul ß ǅ ﬁ", String(repeating: "x", count: 150),
        String(repeating: "longword", count: 15) + " " + String(repeating: "대한민국", count: 30), "!!!...,,, ?!",
        "제1조 ①대한민국은  민주공화국이다.\r", "\u{200B}zero\u{200D}width", "a\u{A0} b", "trailing space ",
        // A literal `▁`: the Metaspace path must leave such a text to the general path (the raw
        // words "a▁" and " b" normalize to "▁a▁" and "▁b", the line's words are "▁a" and "▁▁b").
        "a▁ b", "▁lead ▁ mid▁ ▁▁ end▁", "x ▁▁y",
        // White space other than a space next to spaces.
        "a\t  b", "x\u{3000}  y", "tail  \t", "tail \t ", "a \u{2028} b", "end\u{85}  x", "nb\u{A0}  sp", "\u{180E}  m",
        "zw\u{200B}  s", "  \r ", "cr\r  lf", "12  345 6789 1", "it's  'S 'll", "x  ,,  y!!  ?", "ＡＢＣ　ｶﾀｶﾅ  ①",
    ]

    private static func tokenizer(_ name: String) throws -> HuggingFaceTokenizer {
        try HuggingFaceTokenizer(contentsOf: Fixtures.url("hf/\(name)"))
    }

    /// The ids `encodeIDs` gives for every text, twice with one scratch (misses, then hits),
    /// equal the general path's.
    private static func expectGeneralIDs(_ tok: HuggingFaceTokenizer, _ texts: [String]) throws {
        var scratch = HuggingFaceTokenizer.Scratch()
        for pass in 0..<2 {
            for text in texts {
                let expected = try tok.encode(text, addSpecialTokens: false).ids.map { Int32($0) }
                var ids: [Int32] = []
                try Array(text.utf8).withUnsafeBufferPointer { try tok.encodeIDs($0, into: &ids, scratch: &scratch) }
                #expect(ids == expected, "pass \(pass): \(text.debugDescription)")
            }
        }
    }

    @Test("BERT: runs between spaces, cached raw, give the general path's ids")
    func bert() throws {
        let tok = try Self.tokenizer("wordpiece_bert.json")
        #expect(tok.rawWords == .spaceSeparated)
        try Self.expectGeneralIDs(tok, Self.texts)
    }

    @Test("Llama 2's Prepend + Replace normalizer: spaced words, cached raw, give the general path's ids")
    func spaced() throws {
        let tok = try Self.tokenizer("metaspace_bpe_bf.json")
        #expect(tok.rawWords == .spaced)
        try Self.expectGeneralIDs(tok, Self.texts)
    }

    @Test("a vocabulary that merges ▁▁: a literal ▁ leaves the raw-word path")
    func doubleMetaspace() throws {
        // The fixture with `▁▁` as its first merge: "a▁ b" is "▁a" "▁▁b" as a whole, but its raw
        // words would be "▁a▁" and "▁b" (so "▁" "▁b"), which the literal-`▁` check prevents.
        let data = try Fixtures.data("hf/metaspace_bpe_bf.json")
        guard var root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              var model = root["model"] as? [String: Any], var vocab = model["vocab"] as? [String: Int],
              var merges = model["merges"] as? [[String]] else {
            Issue.record("the fixture's model changed form")
            return
        }
        vocab["▁▁"] = (vocab.values.max() ?? 0) + 1
        merges.insert(["▁", "▁"], at: 0)
        model["vocab"] = vocab
        model["merges"] = merges
        root["model"] = model
        let tok = try HuggingFaceTokenizer(json: Array(try JSONSerialization.data(withJSONObject: root)))
        #expect(tok.rawWords == .spaced)
        #expect(try tok.encode("a▁ b", addSpecialTokens: false).pieces.contains("▁▁b") ||
                tok.encode("a▁ b", addSpecialTokens: false).pieces.contains("▁▁"), "the merge is not in use")
        try Self.expectGeneralIDs(tok, Self.texts)
    }

    @Test("a scratch used with another tokenizer does not replay its words")
    func scratchRebinds() throws {
        // The same fixture without lowercasing: "Hello" is other ids than in the lowercasing one.
        var json = String(decoding: try Fixtures.data("hf/wordpiece_bert.json"), as: UTF8.self)
        json = json.replacingOccurrences(of: #""strip_accents":true,"lowercase":true"#, with: #""strip_accents":true,"lowercase":false"#)
        let cased = try HuggingFaceTokenizer(json: Array(json.utf8))
        let lowercasing = try Self.tokenizer("wordpiece_bert.json")
        let text = "Hello World 대한민국"
        #expect(try cased.encode(text).ids != lowercasing.encode(text).ids, "the variant should tokenize differently")
        var scratch = HuggingFaceTokenizer.Scratch()
        for tok in [lowercasing, cased, lowercasing, cased] {
            var ids: [Int32] = []
            try Array(text.utf8).withUnsafeBufferPointer { try tok.encodeIDs($0, into: &ids, scratch: &scratch) }
            #expect(ids == (try tok.encode(text, addSpecialTokens: false)).ids.map { Int32($0) })
        }
    }

    @Test("Korean text, cached raw, gives the general path's ids")
    func korean() throws {
        let prose = String(decoding: try Fixtures.data("text/korean-sample.txt"), as: UTF8.self)
        let lines = prose.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for name in ["wordpiece_bert.json", "metaspace_bpe_bf.json"] {
            try Self.expectGeneralIDs(try Self.tokenizer(name), Array(lines.prefix(200)))
        }
    }

    @Test("Other pipelines keep their paths")
    func others() throws {
        // A Metaspace pre-tokenizer (not the normalizer), byte-level BPE, other splits,
        // Unigram, WordLevel: no raw words.
        for name in ["metaspace_bpe.json", "bytelevel_bpe.json", "misc_pipeline.json", "unigram.json", "wordlevel.json"] {
            #expect(try Self.tokenizer(name).rawWords == nil, "\(name)")
        }
        // An added token matched after normalization could sit across a raw cut.
        var json = String(decoding: try Fixtures.data("hf/wordpiece_bert.json"), as: UTF8.self)
        let entry = #""content":"[MASK]","single_word":false,"lstrip":false,"rstrip":false,"normalized":"#
        json = json.replacingOccurrences(of: entry + "false", with: entry + "true")
        let normalizedAdded = try HuggingFaceTokenizer(json: Array(json.utf8))
        #expect(normalizedAdded.addedTokens.contains { $0.normalized }, "the fixture's [MASK] entry changed form")
        #expect(normalizedAdded.rawWords == nil)
    }
}
