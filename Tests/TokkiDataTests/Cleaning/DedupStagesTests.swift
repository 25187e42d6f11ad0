import Foundation
import Testing
@testable import TokkiData
import Tokki
import TokkiTestSupport

/// ``DedupStages``: signature files written per shard and merged give the verdicts of one
/// ``Deduplicator`` fed the texts in order; damaged or foreign files are refused with the file
/// and byte offset.
@Suite("De-duplication in stages")
struct DedupStagesTests {

    /// Documents over two inputs: planted exact copies (case and spacing), near copies (one
    /// character changed), and lines without text (nil).
    static func documents() -> [(input: Int, text: [UInt8]?)] {
        var rng = SplitMix64(seed: 7)
        var originals: [String] = []
        for _ in 0..<12 {
            originals.append(String((0..<60).map { _ in Character(Unicode.Scalar(0xAC00 + UInt32(rng.next() % 40)) ?? "가") }) + " Tokki")
        }
        var docs: [(Int, [UInt8]?)] = []
        for i in 0..<80 {
            let o = originals[Int(rng.next() % UInt64(originals.count))]
            let text: String?
            switch rng.next() % 5 {
            case 0: text = " " + o.uppercased() + "  "
            case 1:
                var s = Array(o.unicodeScalars)
                s[Int(rng.next() % 50)] = "한"
                text = String(String.UnicodeScalarView(s))
            case 2: text = i % 3 == 0 ? nil : o
            default: text = o
            }
            docs.append((i < 45 ? 0 : 1, text.map { Array($0.utf8) }))
        }
        return docs
    }

    static let lsh: MinHashLSH = {
        var c = MinHashLSH.Configuration()
        c.permutations = 32
        return (try? MinHashLSH(c)) ?? { preconditionFailure("valid settings") }()
    }()

    static let inputs = [DedupShardHeader.Input(path: "a.txt", size: 100), DedupShardHeader.Input(path: "b.txt", size: 50)]

    static func header(_ k: Int, _ n: Int) -> DedupShardHeader {
        DedupShardHeader(kind: .signatures, shard: k, shards: n, configuration: lsh.configuration, textField: nil, inputs: inputs)
    }

    /// Writes the documents as `n` shards cut at `cuts` and returns the paths.
    static func write(_ docs: [(input: Int, text: [UInt8]?)], cuts: [Int], dir: String) throws -> [String] {
        let bounds = [0] + cuts + [docs.count]
        var paths: [String] = []
        for k in 0..<(bounds.count - 1) {
            let path = DedupStages.signaturePath(dir, shard: k)
            let w = try DedupSignatureWriter(path: path, header: header(k, bounds.count - 1))
            var file = -1
            for d in docs[bounds[k]..<bounds[k + 1]] {
                if d.input != file { file = d.input; try w.startInput(file) }
                if let t = d.text { try w.text(key: ExactDeduplicator.key(t), signature: lsh.signature(t)) } else { try w.rejected(rule: "empty") }
            }
            try w.finish()
            paths.append(path)
        }
        return paths
    }

    @Test(arguments: [[], [1], [40, 41], [10, 45, 60], [0, 0, 80]])
    func mergedDecisionsAreThoseOfOneRun(cuts: [Int]) throws {
        let docs = Self.documents()
        // One run: the verdict of every line, and the report's counts.
        let one = try Deduplicator(near: Self.lsh)
        var lines = [0, 0]
        var expected: [Int: DedupDecisions.Removal] = [:]
        for (i, d) in docs.enumerated() {
            lines[d.input] += 1
            guard let t = d.text else { continue }
            let at = DocumentLocation(source: Self.inputs[d.input].path, line: lines[d.input])
            switch try one.check(t, signature: Self.lsh.signature(t), at: at) {
            case .unique: break
            case .exact(let o): expected[i] = .init(ordinal: i, exact: true, similarity: 1, input: o.source == "a.txt" ? 0 : 1, line: o.line)
            case .near(let o, let s): expected[i] = .init(ordinal: i, exact: false, similarity: s, input: o.source == "a.txt" ? 0 : 1, line: o.line)
            }
        }
        #expect(one.exactDuplicates > 5 && one.nearDuplicates > 3)

        let dir = try scratchDirectory("tokki-dedup-stages")
        defer { removeScratch(dir) }
        let paths = try Self.write(docs, cuts: cuts, dir: dir)
        let merged = try Deduplicator(near: Self.lsh)
        let counts = try DedupStages.merge(paths, expected: Self.header(0, paths.count), into: merged) { DedupStages.decisionsPath(dir, shard: $0) }
        #expect(counts.documents == docs.count)
        #expect(counts.kept == docs.count - expected.count - docs.filter { $0.text == nil }.count)
        #expect(counts.removedByRule["empty"] == docs.filter { $0.text == nil }.count)
        #expect(merged.clusters.json == one.clusters.json)
        // Each shard's decisions: its removals by ordinal within the shard, and line bases.
        let bounds = [0] + cuts + [docs.count]
        var got: [Int: DedupDecisions.Removal] = [:]
        for k in 0..<paths.count {
            let d = try DedupDecisions(path: DedupStages.decisionsPath(dir, shard: k))
            #expect(d.header.shard == k && d.header.kind == .decisions)
            let before = docs[..<bounds[k]]
            #expect(d.lineBases == [0, 1].map { f in before.filter { $0.input == f }.count })
            for var m in d.removals {
                m.ordinal += bounds[k]
                got[m.ordinal] = m
            }
        }
        #expect(got == expected)
    }

    @Test func damagedOrForeignFilesAreRefused() throws {
        let dir = try scratchDirectory("tokki-dedup-stages")
        defer { removeScratch(dir) }
        let docs = Self.documents()
        let paths = try Self.write(docs, cuts: [30], dir: dir)
        func merge(_ expected: DedupShardHeader = DedupStagesTests.header(0, 2)) throws(DataError) {
            _ = try DedupStages.merge(paths, expected: expected, into: try Deduplicator(near: Self.lsh)) { DedupStages.decisionsPath(dir, shard: $0) }
        }
        // Other settings or inputs: a mismatch naming the file.
        var c = Self.lsh.configuration
        c.seed = 2
        var other = DedupShardHeader(kind: .signatures, shard: 0, shards: 2, configuration: c, textField: nil, inputs: Self.inputs)
        #expect(throws: DataError.self) { try merge(other) }
        do { try merge(other) } catch { #expect(error.description.contains("signatures.0") && error.description.contains("seed 1")) }
        other = Self.header(0, 3)
        #expect(throws: DataError.self) { try merge(other) }
        // Cut short, a byte changed, bytes after the end: the file and the byte offset.
        let good = try Data(contentsOf: URL(fileURLWithPath: paths[1]))
        let headerSize = Self.header(1, 2).bytes.count
        let cases: [(Data, String)] = [
            (good.prefix(good.count - 3), "byte offset \(good.count - 3)"),
            (good.prefix(headerSize + 20), "byte offset \(headerSize + 20)"),
            (good + Data([0]), "byte offset \(good.count)"),
            (Data("not a stage file".utf8), "byte offset 0"),
            (good.prefix(headerSize) + Data([9]), "byte offset \(headerSize): unknown record type 9"),
        ]
        for (bytes, message) in cases {
            try bytes.write(to: URL(fileURLWithPath: paths[1]))
            do {
                try merge()
                Issue.record("accepted: \(message)")
            } catch {
                guard case .invalidFormat(let path, let problem) = error else { Issue.record("\(error)"); continue }
                #expect(path == paths[1] && problem.contains(message), "\(problem)")
            }
        }
    }

    @Test func decisionsRoundTrip() throws {
        let dir = try scratchDirectory("tokki-dedup-stages")
        defer { removeScratch(dir) }
        var header = Self.header(1, 4)
        header.textField = "text"
        let d = DedupDecisions(header: header, lineBases: [3, 0], removals: [
            .init(ordinal: 0, exact: true, similarity: 1, input: 0, line: 2),
            .init(ordinal: 5, exact: false, similarity: 0.8125, input: 1, line: 1),
        ])
        let path = dir + "/decisions.1"
        try d.write(to: path)
        #expect(try DedupDecisions(path: path) == d)
        // A path that is not UTF-8 (found by the fuzz target: it would not write back the same).
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let at = try #require(bytes.firstRange(of: Data("b.txt".utf8))).lowerBound
        bytes[at] = 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        do {
            _ = try DedupDecisions(path: path)
            Issue.record("a path that is not UTF-8 was accepted")
        } catch { #expect(error.description.contains("byte offset \(at): an input path is not UTF-8"), "\(error)") }
        // Removals out of order are refused.
        var bad = d
        bad.removals.reverse()
        try bad.write(to: path)
        #expect(throws: DataError.self) { try DedupDecisions(path: path) }
    }
}
