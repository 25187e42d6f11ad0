import Foundation
import Testing
import Tokki
@testable import TokkiData

/// `CorpusProfile`: the facts of a document, the histograms, duplicates per source and samples.
struct CorpusProfileTests {
    @Test func factsOfADocument() {
        let text = "민법 제750조\nABC 가나\n민법 제750조\n"
        let f = CorpusProfile.facts(Array(text.utf8), source: "a", pipeline: QualityPipeline([]))
        #expect(f.characters == text.unicodeScalars.count)
        // Letters: 민법 제 조 (4) + ABC (3) + 가나 (2) twice-counted lines: 4+4+3+2 = 13 letters, 10 Hangul.
        #expect(f.hangulRatio.map { abs($0 - 10.0 / 13.0) < 1e-9 } == true)
        #expect(f.classes[0] == 10 && f.classes[2] == 3 && f.classes[4] == 6)
        // "민법 제750조" (8 characters) occurs twice among 8 + 6 + 8 line characters.
        #expect(abs(f.duplicateLineFraction - 16.0 / 22.0) < 1e-9)
        #expect(f.rejection == nil && f.tokens == nil)
        let counted = CorpusProfile.facts(Array("가나".utf8), source: "a", pipeline: .recommended, tokenCount: { $0.count })
        #expect(counted.tokens == 6)
        #expect(counted.rejection?.rule == "length")
    }

    @Test func histogramsDuplicatesAndSamples() throws {
        var p = CorpusProfile(samplesPerRule: 2)
        let docs = [("a", "대한민국은 민주공화국이다. 모든 권력은 국민으로부터 나온다."), ("a", "짧다"), ("b", "짧다"),
                    ("b", "대한민국은 민주공화국이다. 모든 권력은 국민으로부터 나온다."), ("b", "x"), ("b", "y")]
        for (source, text) in docs {
            p.add(CorpusProfile.facts(Array(text.utf8), source: source, pipeline: .recommended, tokenCount: { $0.count / 3 }))
        }
        #expect(p.documents == 6)
        #expect(p.duplicates == 2)
        #expect(p.sources.map(\.name) == ["a", "b"])
        #expect(p.sources[1].counts.documents == 4 && p.sources[1].counts.duplicates == 2)
        #expect(p.ruleHits["length"] == 4 && p.kept == 2)
        #expect(p.samples["length"]?.map(\.text) == ["짧다", "짧다"])      // the first two only
        #expect(p.samples["kept"]?.count == 2)
        #expect(p.lengthCounts.reduce(0, +) == 6 && p.lengthCounts[0] == 4)   // ≤ 10 characters
        #expect(p.hangulCounts[9] == 4 && p.hangulCounts[0] == 2)             // Hangul-only and Latin-only
        #expect(p.tokenCounts.reduce(0, +) == 6 && p.hasTokens)
        let json = try JSONSerialization.jsonObject(with: Data(p.json)) as? [String: Any] ?? [:]
        #expect((json["documents"] as? Int) == 6 && (json["exact_duplicates"] as? Int) == 2)
        let html = p.html(title: "t")
        #expect(html.components(separatedBy: "<rect class=\"bar\"").count - 1
                == p.histograms.reduce(0) { $0 + $1.histogram.counts.count } + CorpusProfile.classNames.count + 1 + p.ruleHits.count)
    }
}
