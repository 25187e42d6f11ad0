import Foundation
import Testing
import TokkiTestSupport
@testable import Tokki

/// `encodeIDs(_:into:characterOffsets:scratch:options:)` — the fast path of byte-level
/// tokenizer.json files — gives exactly the ids and character offsets of the full `encode`,
/// on fixture and published tokenizers, with one scratch reused across texts.
struct CharacterOffsetPathTests {
    static let texts: [String] = [
        "대한민국 헌법 제1조 ① 대한민국은 민주공화국이다.",
        "  두 칸 앞,   세 칸 사이, 끝에 두 칸  ",
        " leading space and trailing space ",
        "줄\n바꿈\r\n그리고\t탭  \n\n",
        "<|im_start|>user\n안녕하세요<|im_end|>\n<|im_start|>assistant\n 네, 무엇을 도와드릴까요?<|im_end|>\n",
        "<s> Hello world </s> <unk> [CLS] x [SEP]",
        "emoji 🙂👍🏽 and 한자 漢字 and é (e + ́ ) ﬁ",
        "",
        " ",
        "a",
        "{{ x }} {% if %} 제750조(불법행위의 내용)",
        // Wide spaces around added tokens (stripped with lstrip/rstrip, trimmed by
        // trim_offsets): several bytes each, one character each.
        " \u{3000}<s>\u{3000} <mask>\u{2003}x [SEP]\u{00A0}\u{3000}<|im_end|>\u{3000}끝",
    ]

    /// `offsets` (Unicode scalar indices into `text`) as UTF-8 byte offsets, worked out from
    /// the string's scalars; an index past the end keeps its distance past it.
    static func byteOffsets(_ offsets: [Range<Int>], _ text: String) -> [Range<Int>] {
        var starts: [Int] = []
        var at = 0
        for scalar in text.unicodeScalars { starts.append(at); at += String(scalar).utf8.count }
        let count = starts.count
        starts.append(at)
        func byte(_ c: Int) -> Int { c <= count ? starts[c] : at + (c - count) }
        return offsets.map { byte($0.lowerBound)..<max(byte($0.lowerBound), byte($0.upperBound)) }
    }

    static func check(_ tokenizer: HuggingFaceTokenizer, _ texts: [String], _ name: String, slotLimit: Int? = nil) throws {
        var scratch = tokenizer.makeScratch()
        if let slotLimit { scratch.fastSlotLimit = slotLimit }
        for text in texts {
            let full = try tokenizer.encode(text, options: EncodeOptions())
            var ids: [Int32] = [], offsets: [Range<Int>] = []
            var s = text
            let r: Result<Void, TokkiError> = s.withUTF8 { b in
                do throws(TokkiError) {
                    try tokenizer.encodeIDs(b, into: &ids, characterOffsets: &offsets, scratch: &scratch, options: EncodeOptions())
                    return .success(())
                } catch { return .failure(error) }
            }
            try r.get()
            #expect(ids.map(Int.init) == full.ids, "\(name): \(text.debugDescription)")
            #expect(offsets == full.characterOffsets, "\(name): \(text.debugDescription)")
            // The same offsets in UTF-8 bytes, as the SFT masks ask for them.
            var byteIDs: [Int32] = [], bytes: [Range<Int>] = []
            var options = EncodeOptions()
            options.offsetsInBytes = true
            options.inputIsWellFormedUTF8 = true
            let rb: Result<Void, TokkiError> = s.withUTF8 { b in
                do throws(TokkiError) {
                    try tokenizer.encodeIDs(b, into: &byteIDs, characterOffsets: &bytes, scratch: &scratch, options: options)
                    return .success(())
                } catch { return .failure(error) }
            }
            try rb.get()
            #expect(byteIDs == ids, "\(name): \(text.debugDescription)")
            #expect(bytes == Self.byteOffsets(full.characterOffsets, text), "\(name): bytes of \(text.debugDescription)")
        }
    }

    @Test(arguments: ["bytelevel_bpe.json", "bytelevel_bpe_nfkc_split.json", "metaspace_bpe.json", "unigram.json",
                      "wordpiece_bert.json", "misc_pipeline.json"])
    func fixtureTokenizers(_ file: String) throws {
        var tokenizer = try HuggingFaceTokenizer(contentsOf: Fixtures.url("hf/\(file)")).withoutStoredTruncationAndPadding()
        try Self.check(tokenizer, Self.texts, file)
        // With the chat tokens added (special, not normalized), as model folders have them.
        tokenizer = try HuggingFaceTokenizer(contentsOf: Fixtures.url("sft/chatml-generation/tokenizer.json"))
        try Self.check(tokenizer, Self.texts, "chatml-generation")
    }

    /// Added tokens that strip the white space around them (lstrip, rstrip) under a ByteLevel
    /// post-processor's trim_offsets: the trimmed spaces include wide ones (U+3000, U+2003,
    /// U+00A0), one character but several bytes each, so the byte offsets move by their
    /// lengths.
    @Test func strippedAddedTokensWithWideSpaces() throws {
        let data = try Data(contentsOf: Fixtures.url("hf/bytelevel_bpe.json"))
        guard var json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let model = json["model"] as? [String: Any], let vocab = model["vocab"] as? [String: Int] else {
            Issue.record("unexpected fixture shape"); return
        }
        var added = json["added_tokens"] as? [[String: Any]] ?? []
        let next = (vocab.values.max() ?? 0) + 1 + added.count
        for (k, content) in ["<mask>", "[SEP]"].enumerated() {
            added.append(["id": next + k, "content": content, "single_word": false, "lstrip": true, "rstrip": true,
                          "normalized": false, "special": true])
        }
        json["added_tokens"] = added
        let dir = try scratchDirectory("stripped-added")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let url = URL(fileURLWithPath: dir).appendingPathComponent("tokenizer.json")
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        let tokenizer = try HuggingFaceTokenizer(contentsOf: url).withoutStoredTruncationAndPadding()
        let texts = ["a \u{3000}<mask>\u{3000} b", "x\u{2003}<mask>\u{00A0}\u{3000}y [SEP]\u{3000}", "<mask>\u{3000}", "\u{3000}[SEP]",
                     " <mask> 대한민국\u{3000}[SEP]\u{2003}헌법"]
        try Self.check(tokenizer, texts, "stripped added tokens")
        // The texts do reach the trimming of an added token's wide spaces.
        let e = try tokenizer.encode(texts[0], options: EncodeOptions())
        #expect(e.ids.contains(next))
    }

    /// A text with more tokens than the fast path's slots hold takes the general path, with the
    /// same ids and offsets (the slots are capped, so that a huge text does not leave 20 bytes
    /// per input byte in the scratch); texts that fit exactly, and one token over, alike.
    @Test(arguments: [0, 1, 3, 7, 1000])
    func textsOverTheSlotLimitTakeTheGeneralPath(_ limit: Int) throws {
        let tokenizer = try HuggingFaceTokenizer(contentsOf: Fixtures.url("sft/chatml-generation/tokenizer.json"))
        let texts = Self.texts + ["a1a1a1", "a1a1a1a", "<|im_start|>user\n가<|im_end|>"]
        try Self.check(tokenizer, texts, "chatml-generation, \(limit) slots", slotLimit: limit)
    }

    /// With a shared word table that fills after a few words, the path reads tokens from the
    /// shared records, from the thread's own table and from fresh segmentations alike: the
    /// texts go through twice, so that the second pass hits in both tables.
    @Test func fullSharedTableGivesTheSameOffsets() throws {
        var tokenizer = try HuggingFaceTokenizer(contentsOf: Fixtures.url("sft/chatml-generation/tokenizer.json"))
        tokenizer.pieceTables = SharedWordTables(slotCount: 8, poolCapacity: 64)
        try Self.check(tokenizer, Self.texts + Self.texts, "chatml-generation, small shared table")
        #expect(tokenizer.pieceTables.normalized.view.isFull)
    }

    @Test(.enabled(if: Published.tokenizersFetched),
          arguments: ["qwen3.tokenizer.json", "deepseek_v3.tokenizer.json", "gpt2.derived.tokenizer.json",
                      "o200k.derived.tokenizer.json", "anthropic_claude.tokenizer.json", "shape_bytelevel_65k_nfkc.tokenizer.json"])
    func publishedTokenizers(_ file: String) throws {
        guard Published.exists(file) else { return }
        let tokenizer = try HuggingFaceTokenizer(contentsOf: URL(fileURLWithPath: Published.path(file))).withoutStoredTruncationAndPadding()
        var texts = Self.texts
        let corpus = Fixtures.packageRoot.appendingPathComponent(".corpus/constitution.txt").path
        if let data = FileManager.default.contents(atPath: corpus) {
            texts += String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).prefix(400).map(String.init)
        }
        try Self.check(tokenizer, texts, file)
    }
}
