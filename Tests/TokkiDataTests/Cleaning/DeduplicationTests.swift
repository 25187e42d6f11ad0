import Foundation
import Testing
@testable import TokkiData
import Tokki
import TokkiTestSupport

@Suite("De-duplication")
struct DeduplicationTests {
    @Test func hash128MatchesMurmurHash3() throws {
        let json = try #require(Fixtures.json("cleaning/murmur3.json") as? [String: Any])
        let cases = try #require(json["cases"] as? [[String: Any]])
        #expect(cases.count == 24)
        for c in cases {
            let hex = try #require(c["hex_input"] as? String), seed = try #require(c["seed"] as? Int)
            var bytes: [UInt8] = []
            var i = hex.startIndex
            while i < hex.endIndex {
                let j = hex.index(i, offsetBy: 2)
                bytes.append(UInt8(hex[i..<j], radix: 16)!)
                i = j
            }
            #expect(Hash128(bytes, seed: UInt64(seed)).description == c["digest"] as? String, "input \(hex) seed \(seed)")
        }
    }

    @Test func bandsAndRowsAreDatasketchs() throws {
        let json = try #require(Fixtures.json("cleaning/lsh_params.json") as? [String: Any])
        for c in try #require(json["cases"] as? [[String: Any]]) {
            let t = try #require(c["threshold"] as? Double), n = try #require(c["num_perm"] as? Int)
            let p = MinHashLSH.optimalParameters(threshold: t, permutations: n)
            #expect(p.bands == c["bands"] as? Int && p.rows == c["rows"] as? Int, "threshold \(t), \(n) permutations: \(p)")
        }
    }

    /// A synthetic Korean-like corpus with planted duplicates (a seeded generator, no fixtures).
    struct Corpus {
        var documents: [[UInt8]] = []
        static func syllable(_ rng: inout SplitMixGenerator) -> String {
            String(UnicodeScalar(0xAC00 + UInt32(rng.next() % 2350))!)
        }
        static func line(_ rng: inout SplitMixGenerator, words: Int) -> String {
            (0..<words).map { _ in (0..<(1 + Int(rng.next() % 4))).map { _ in syllable(&rng) }.joined() }.joined(separator: " ")
        }
        static func edit(_ text: String, _ edits: Int, _ rng: inout SplitMixGenerator) -> String {
            var scalars = Array(text.unicodeScalars)
            for _ in 0..<edits {
                let i = Int(rng.next() % UInt64(scalars.count))
                if scalars[i] != " " { scalars[i] = UnicodeScalar(0xAC00 + UInt32(rng.next() % 2350))! }
            }
            var s = String.UnicodeScalarView(); s.append(contentsOf: scalars); return String(s)
        }

        init(seed: UInt64) {
            var rng = SplitMixGenerator(seed: seed)
            var bases: [String] = []
            for _ in 0..<300 {
                bases.append((0..<3).map { _ in Self.line(&rng, words: 12) }.joined(separator: "\n"))
            }
            for (k, base) in bases.enumerated() {
                documents.append(Array(base.utf8))
                switch k % 6 {
                case 0: documents.append(Array(("  " + base.replacingOccurrences(of: " ", with: "  ") + " ").utf8))  // exact (whitespace)
                case 1: documents.append(Array(Self.edit(base, 1 + Int(rng.next() % 3), &rng).utf8))             // a few characters
                case 2:
                    let lines = base.split(separator: "\n")
                    documents.append(Array([lines[1], lines[0], lines[2]].joined(separator: "\n").utf8))          // reordered lines
                case 3: documents.append(Array(Self.edit(base, 25 + Int(rng.next() % 10), &rng).utf8))           // heavily edited: not a duplicate
                case 4:
                    let lines = base.split(separator: "\n")
                    documents.append(Array(([String(lines[0])] + [Self.line(&rng, words: 12), Self.line(&rng, words: 12)]).joined(separator: "\n").utf8))  // a third shared
                default: break
                }
            }
        }
    }

    @Test func nearDuplicatesHaveHighPrecisionAndRecallAgainstExactJaccard() throws {
        let corpus = Corpus(seed: 7)
        let lsh = try MinHashLSH(.init())
        #expect(lsh.bands == 9 && lsh.rows == 13)
        let sets = corpus.documents.map { Set(lsh.shingles($0)) }
        func jaccard(_ a: Set<UInt64>, _ b: Set<UInt64>) -> Double { Double(a.intersection(b).count) / Double(a.union(b).count) }
        // Ground truth by brute force: documents with an earlier document at Jaccard ≥ 0.8.
        var truth = Set<Int>()
        for i in corpus.documents.indices {
            for j in 0..<i where jaccard(sets[i], sets[j]) >= 0.8 { truth.insert(i); break }
        }
        #expect(truth.count >= 120)
        let index = try NearDuplicateIndex(lsh)
        var removed = Set<Int>()
        for (i, d) in corpus.documents.enumerated() {
            if let m = try index.check(lsh.signature(d), number: i) {
                removed.insert(i)
                #expect(m.document < i)
            }
        }
        let hits = removed.intersection(truth).count
        let precision = Double(hits) / Double(max(1, removed.count)), recall = Double(hits) / Double(truth.count)
        #expect(precision >= 0.95, "precision \(precision)")
        #expect(recall >= 0.9, "recall \(recall)")
    }

    @Test func spilledSignaturesGiveTheSameAnswers() throws {
        let corpus = Corpus(seed: 8)
        let lsh = try MinHashLSH(.init())
        let memory = try NearDuplicateIndex(lsh)
        let path = NSTemporaryDirectory() + "tokki-spill-\(UUID().uuidString)"
        let disk = try NearDuplicateIndex(lsh, spillPath: path)
        for (i, d) in corpus.documents.enumerated() {
            let s = lsh.signature(d)
            #expect(try memory.check(s, number: i) == disk.check(s, number: i))
        }
        #expect(memory.kept == disk.kept && disk.memoryBytes < memory.memoryBytes)
    }

    @Test func windowedIndexBoundsMemoryAndFindsRecentCopies() throws {
        let lsh = try MinHashLSH(.init())
        var rng = SplitMixGenerator(seed: 4)
        let docs = (0..<60).map { _ in Array(Corpus.line(&rng, words: 20).utf8) }
        let index = try WindowedNearDuplicateIndex(lsh, maxDocuments: 20)
        for (i, d) in docs.enumerated() { #expect(try index.check(lsh.signature(d), number: i) == nil) }
        #expect(index.kept <= 20)
        // A copy of a recent document is found; one of the first (long forgotten) is not.
        #expect(try index.check(lsh.signature(docs[58]), number: 60)?.document == 58)
        #expect(try index.check(lsh.signature(docs[0]), number: 61) == nil)
        // Exact: the same window rule.
        var exact = ExactDeduplicator(maxDocuments: 10)
        for (i, d) in docs.enumerated() { #expect(exact.check(d, index: i) == nil) }
        #expect(exact.count <= 10)
        #expect(exact.check(docs[59], index: 60) == 59)
        #expect(exact.check(docs[1], index: 61) == nil)
    }

    @Test func exactDeduplicationIgnoresWhitespaceAndASCIICase() {
        var exact = ExactDeduplicator()
        #expect(exact.check(Array("대한민국 Constitution".utf8), index: 0) == nil)
        #expect(exact.check(Array("  대한민국\t\tconstitution \n".utf8), index: 1) == 0)
        #expect(exact.check(Array("대한 민국 constitution".utf8), index: 2) == nil)
        #expect(exact.count == 2)
    }

    @Test func shinglesAndSettings() throws {
        var c = MinHashLSH.Configuration()
        c.shingle = .characters(3)
        let lsh = try MinHashLSH(c)
        #expect(lsh.shingles(Array("가나다라".utf8)).count == 2)       // 가나다, 나다라
        #expect(lsh.shingles(Array("가나".utf8)).count == 1)           // shorter than a shingle
        c.shingle = .words(2)
        #expect(try MinHashLSH(c).shingles(Array("a b  c".utf8)).count == 2)
        // Identical text, identical signature; the seed changes it.
        #expect(lsh.signature(Array("동일한 문서".utf8)) == lsh.signature(Array("동일한 문서".utf8)))
        var other = MinHashLSH.Configuration(); other.seed = 2
        #expect(try MinHashLSH(other).signature(Array("동일한 문서".utf8)) != (try MinHashLSH(.init()).signature(Array("동일한 문서".utf8))))
        var bad = MinHashLSH.Configuration(); bad.bands = 20; bad.rows = 10
        #expect(throws: DataError.self) { try MinHashLSH(bad) }
    }
}
