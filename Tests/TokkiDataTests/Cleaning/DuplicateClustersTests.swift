import Foundation
import Testing
@testable import TokkiData
import Tokki
import TokkiTestSupport

/// `Deduplicator`, its clusters and the cleaning report (what `tokki dedup` and `tokki clean`
/// write with `--report`).
@Suite("Duplicate clusters and reports")
struct DuplicateClustersTests {
    static func at(_ line: Int, _ source: String = "a.txt") -> DocumentLocation { DocumentLocation(source: source, line: line) }

    /// Three Korean sentences with known copies: line 2 repeats line 1 (whitespace and ASCII case
    /// differ), line 4 repeats line 3, line 5 repeats line 1 again; line 6 is new.
    static let small = [
        "대한민국은 민주공화국이다. Article 1",
        "  대한민국은   민주공화국이다. ARTICLE 1 ",
        "모든 국민은 법 앞에 평등하다.",
        "모든 국민은 법 앞에 평등하다.",
        "대한민국은 민주공화국이다.\tarticle 1",
        "국회는 국민의 보통·평등·직접·비밀선거에 의하여 선출된 국회의원으로 구성한다.",
    ]

    @Test func exactDuplicatesFormClustersOfTheirFirstCopy() throws {
        let d = try Deduplicator()
        #expect(d.lsh == nil && d.memoryBytes == nil)
        var verdicts: [DuplicateVerdict] = []
        for (i, text) in Self.small.enumerated() {
            verdicts.append(try d.check(Array(text.utf8), signature: [], at: Self.at(i + 1)))
        }
        #expect(verdicts == [.unique, .exact(of: Self.at(1)), .unique, .exact(of: Self.at(3)), .exact(of: Self.at(1)), .unique])
        #expect(d.exactDuplicates == 3 && d.nearDuplicates == 0)
        #expect(d.clusters.count == 6)
        #expect(d.clusters.clusters == [
            DuplicateClusters.Cluster(kept: Self.at(1), removed: [.init(location: Self.at(2), similarity: 1), .init(location: Self.at(5), similarity: 1)]),
            DuplicateClusters.Cluster(kept: Self.at(3), removed: [.init(location: Self.at(4), similarity: 1)]),
        ])
        let json = String(decoding: d.clusters.json, as: UTF8.self)
        #expect(json == #"[{"kept":{"source":"a.txt","line":1},"removed":[{"source":"a.txt","line":2,"similarity":1.0000},{"source":"a.txt","line":5,"similarity":1.0000}]},"#
            + #"{"kept":{"source":"a.txt","line":3},"removed":[{"source":"a.txt","line":4,"similarity":1.0000}]}]"#)
    }

    @Test func nearDuplicatesAndTheirExactCopiesJoinTheKeptDocument() throws {
        let lsh = try MinHashLSH(.init())
        let d = try Deduplicator(near: lsh)
        let base = "제1조 대한민국은 민주공화국이다. 대한민국의 주권은 국민에게 있고, 모든 권력은 국민으로부터 나온다. "
            + "제3조 대한민국의 영토는 한반도와 그 부속도서로 한다. 제4조 대한민국은 통일을 지향하며, 자유민주적 기본질서에 입각한 평화적 통일 정책을 수립하고 이를 추진한다."
        let edited = base.replacingOccurrences(of: "부속도서로", with: "부속도서를")
        let other = "국회는 국민의 보통·평등·직접·비밀선거에 의하여 선출된 국회의원으로 구성한다. 국회의원의 수는 법률로 정하되, 200인 이상으로 한다."
        let docs = [base, other, edited, edited + "  ", other]
        var verdicts: [DuplicateVerdict] = []
        for (i, text) in docs.enumerated() {
            let bytes = Array(text.utf8)
            verdicts.append(try d.check(bytes, signature: lsh.signature(bytes), at: Self.at(i + 1, "b.txt")))
        }
        #expect(verdicts[0] == .unique && verdicts[1] == .unique)
        guard case .near(let original, let similarity) = verdicts[2] else {
            Issue.record("the edited copy is no near duplicate: \(verdicts[2])")
            return
        }
        #expect(original == Self.at(1, "b.txt"))
        #expect(similarity >= 0.8 && similarity < 1)
        // An exact copy of the near duplicate names the near duplicate, but joins the cluster of
        // the document that was kept.
        #expect(verdicts[3] == .exact(of: Self.at(3, "b.txt")))
        #expect(verdicts[4] == .exact(of: Self.at(2, "b.txt")))
        #expect(d.exactDuplicates == 2 && d.nearDuplicates == 1)
        #expect((d.memoryBytes ?? 0) > 0)
        let clusters = d.clusters.clusters
        #expect(clusters.map(\.kept) == [Self.at(1, "b.txt"), Self.at(2, "b.txt")])
        #expect(clusters[0].removed == [.init(location: Self.at(3, "b.txt"), similarity: similarity), .init(location: Self.at(4, "b.txt"), similarity: 1)])
        #expect(clusters[1].removed == [.init(location: Self.at(5, "b.txt"), similarity: 1)])
        // The JSON: the similarity with four decimals.
        let text = String(decoding: d.clusters.json, as: UTF8.self)
        #expect(text.contains(#"{"source":"b.txt","line":3,"similarity":\#(String(format: "%.4f", similarity))}"#))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(d.clusters.json)) as? [[String: Any]])
        #expect(parsed.count == 2)
        #expect((parsed[0]["removed"] as? [[String: Any]])?.count == 2)
    }

    @Test func windowedDeduplicatorBoundsBothIndexes() throws {
        let lsh = try MinHashLSH(.init())
        let d = try Deduplicator(near: lsh, maxDocuments: 4)
        var rng = SplitMixGenerator(seed: 3)
        let docs = (0..<12).map { _ in
            Array(String(String.UnicodeScalarView((0..<60).map { _ in UnicodeScalar(0xAC00 + UInt32(rng.next() % 2350))! })).utf8)
        }
        for (i, t) in docs.enumerated() { #expect(try d.check(t, signature: lsh.signature(t), at: Self.at(i + 1)) == .unique) }
        // The last document is remembered, the first is forgotten (windows of 2).
        #expect(try d.check(docs[11], signature: lsh.signature(docs[11]), at: Self.at(13)) == .exact(of: Self.at(12)))
        #expect(try d.check(docs[0], signature: lsh.signature(docs[0]), at: Self.at(14)) == .unique)
    }

    /// `similarityText` is C's `%.4f`, ties included (0.03125 → 0.0312, 0.09375 → 0.0938).
    @Test func similarityTextIsPrintfsFourDecimals() {
        for n in 1...600 {
            for k in 0...n {
                let s = Double(k) / Double(n)
                #expect(DuplicateClusters.similarityText(s) == String(format: "%.4f", s), "\(k)/\(n)")
            }
        }
        for s in [0.03125, 0.09375, 0.00005, 0.99995, 0.123456789, 1e-9, 0.5, 1, 3.14159265, 12345.67895] {
            #expect(DuplicateClusters.similarityText(s) == String(format: "%.4f", s), "\(s)")
            #expect(DuplicateClusters.similarityText(-s) == String(format: "%.4f", -s), "\(-s)")
        }
    }

    @Test func cleaningReportJSON() throws {
        var clusters = DuplicateClusters()
        let kept = clusters.addKept(Self.at(1, "in \"q\".txt"))
        clusters.addCopy(Self.at(2, "in \"q\".txt"), of: kept, similarity: 0.875)
        let report = CleaningReport(
            command: "dedup", inputs: ["in \"q\".txt", "b.jsonl"], documents: 5, kept: 3,
            removedByRule: ["near_duplicate": 1, "empty": 1], duplicates: (exact: 0, near: 1),
            settings: [("near", .bool(true)), ("threshold", .number(1)), ("num_perm", .integer(128)), ("shingle", .string("char")),
                       ("seed", .unsigned(.max)), ("off", .strings(["a", "b"])), ("ratio", .number(0.3))],
            clusters: clusters)
        #expect(report.removed == 2)
        let expected = #"{"command":"dedup","inputs":["in \"q\".txt","b.jsonl"],"documents":5,"kept":3,"removed":2,"#
            + #""removed_by_rule":{"empty":1,"near_duplicate":1},"exact_duplicates":0,"near_duplicates":1,"#
            + #""settings":{"near":true,"threshold":1.0,"num_perm":128,"shingle":"char","seed":18446744073709551615,"off":["a","b"],"ratio":0.3},"#
            + #""clusters":[{"kept":{"source":"in \"q\".txt","line":1},"removed":[{"source":"in \"q\".txt","line":2,"similarity":0.8750}]}]}"#
            + "\n"
        #expect(String(decoding: report.json, as: UTF8.self) == expected)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(report.json)) as? [String: Any])
        #expect(parsed["removed"] as? Int == 2)
        #expect((parsed["removed_by_rule"] as? [String: Int]) == ["empty": 1, "near_duplicate": 1])

        // A clean report: no duplicate counts, no clusters, empty rule counts.
        let clean = CleaningReport(command: "clean", inputs: [], documents: 0, kept: 0, removedByRule: [:],
                                   settings: [("off", .strings([])), ("min_chars", .integer(10))])
        #expect(String(decoding: clean.json, as: UTF8.self)
            == #"{"command":"clean","inputs":[],"documents":0,"kept":0,"removed":0,"removed_by_rule":{},"settings":{"off":[],"min_chars":10}}"# + "\n")
        #expect(String(decoding: DocumentLocation(source: "탭\t", line: 7).json, as: UTF8.self) == #"{"source":"탭\t","line":7}"#)
    }
}
