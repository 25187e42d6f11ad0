import Foundation
import Testing
import Tokki
import TokkiTestSupport
@testable import TokkiData

/// `TokenizerComparison`: counts checked against independent computations, merging, and the
/// three outputs (table, JSON, HTML).
struct TokenizerComparisonTests {
    static let lines = [
        "대한민국은 민주공화국이다.", "「민법」 제750조(불법행위의 내용) 고의 또는 과실로",
        "Hello, world! 2024-01-01", "  두 칸  띄어쓰기\t탭", "", "漢字 混用 文 ①②", "emoji 🙂 é",
    ]

    static func tokenizers() throws -> [(name: String, tokenizer: any Tokenizer)] {
        [("sp", try loadTokenizer(at: Fixtures.url("sentencepiece/unigram_nfkc_bf.model").path)),
         ("bytelevel", try loadTokenizer(at: Fixtures.url("hf/bytelevel_bpe.json").path))]
    }

    @Test func countsAgreeWithIndependentComputations() throws {
        let tokenizers = try Self.tokenizers()
        var c = TokenizerComparison(tokenizers: tokenizers)
        for l in Self.lines { try c.add(Array(l.utf8)) }
        let r = try c.report(mostSplit: 5)
        #expect(r.lines == Self.lines.count)
        #expect(r.characters == Self.lines.reduce(0) { $0 + $1.unicodeScalars.count })
        #expect(r.eojeols == Self.lines.reduce(0) { $0 + $1.split(whereSeparator: { $0 == " " || $0 == "\t" }).count })
        // Words: runs of letters, digits and marks, counted with Foundation's character sets.
        let wordSet = CharacterSet.alphanumerics.union(.nonBaseCharacters)
        var words = 0
        for l in Self.lines {
            var inWord = false
            for s in l.unicodeScalars {
                let w = wordSet.contains(s)
                if w && !inWord { words += 1 }
                inWord = w
            }
        }
        #expect(r.words == words)
        for (k, (_, t)) in tokenizers.enumerated() {
            var tokens = 0, bytePieces = 0, used = Set<Int>()
            for l in Self.lines {
                let e = try t.encode(l, options: EncodeOptions())
                tokens += e.ids.count
                used.formUnion(e.ids)
                bytePieces += e.ids.filter { id in (t.token(for: id) ?? "").range(of: "^<0x[0-9A-F]{2}>$", options: .regularExpression) != nil }.count
            }
            #expect(r.models[k].tokens == tokens)
            #expect(r.models[k].byteFallback == bytePieces)
            #expect(r.models[k].vocabularyUsed == used.count)
            #expect(r.models[k].mostSplit.count == 5)
            // Most split first: the token counts never increase down the list.
            let counts = r.models[k].mostSplit.map(\.pieces.count)
            #expect(counts == counts.sorted(by: >))
        }
        #expect(r.models[0].byteFallback > 0)          // the SentencePiece fixture falls back to bytes on 漢字 and emoji
        #expect(r.models[1].partialCharacter > 0)      // the small byte-level BPE splits Hangul into byte tokens
    }

    @Test func mergingSplitsGivesTheSameReport() throws {
        let tokenizers = try Self.tokenizers()
        var whole = TokenizerComparison(tokenizers: tokenizers)
        var a = TokenizerComparison(tokenizers: tokenizers), b = TokenizerComparison(tokenizers: tokenizers)
        for (i, l) in Self.lines.enumerated() {
            try whole.add(Array(l.utf8))
            if i % 2 == 0 { try a.add(Array(l.utf8)) } else { try b.add(Array(l.utf8)) }
        }
        a.merge(b)
        #expect(try a.report() == whole.report())
    }

    @Test func tableJSONAndHTML() throws {
        var c = TokenizerComparison(tokenizers: try Self.tokenizers())
        for l in Self.lines { try c.add(Array(l.utf8)) }
        let r = try c.report(mostSplit: 3)
        #expect(r.table.contains("tokens per character") && r.table.contains("bytelevel"))
        let json = try JSONSerialization.jsonObject(with: Data(r.json)) as? [String: Any] ?? [:]
        let models = json["models"] as? [[String: Any]] ?? []
        #expect(models.count == 2)
        #expect((models.first?["tokens"] as? Int) == r.models[0].tokens)
        let html = r.html(title: "<비교> & test")
        #expect(html.contains("&lt;비교&gt; &amp; test"))
        #expect(html.components(separatedBy: "<rect class=\"bar\"").count - 1 == 7 * 2)
        #expect(!html.contains("http://") || html.contains("xmlns=\"http://www.w3.org/2000/svg\""))   // no fetched resources
        #expect(!html.contains("<link") && !html.contains("src="))
    }

    @Test func countTextSplitsEojeolsAndWords() {
        var c = 0, e = 0, w = 0
        var seen: [String] = []
        let text = "제750조(불법행위)  고의·과실\t끝"
        Array(text.utf8).withUnsafeBufferPointer { b in
            TokenizerComparison.countText(b, characters: &c, eojeols: &e, words: &w) { seen.append(String(decoding: $0, as: UTF8.self)) }
        }
        #expect(seen == ["제750조(불법행위)", "고의·과실", "끝"])
        #expect(e == 3 && c == text.unicodeScalars.count)
        #expect(w == 5)   // 제750조, 불법행위, 고의, 과실, 끝
    }
}
