import Foundation
import Testing
import TokkiTestSupport

/// `tokki dedup --near --stage signatures|merge|filter`: the shards' outputs, concatenated in
/// order, are byte for byte those of one `tokki dedup --near` run, and so are the rejected lines
/// and the merge's report.
@Suite("tokki dedup --near --stage")
struct DedupStagesCommandTests {
    static func read(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    static let articles = [
        "제10조 모든 국민은 인간으로서의 존엄과 가치를 가지며, 행복을 추구할 권리를 가진다. 국가는 개인이 가지는 불가침의 기본적 인권을 확인하고 이를 보장할 의무를 진다.",
        "제11조 모든 국민은 법 앞에 평등하다. 누구든지 성별·종교 또는 사회적 신분에 의하여 정치적·경제적·사회적·문화적 생활의 모든 영역에 있어서 차별을 받지 아니한다.",
        "제12조 모든 국민은 신체의 자유를 가진다. 누구든지 법률에 의하지 아니하고는 체포·구속·압수·수색 또는 심문을 받지 아니하며, 처벌·보안처분 또는 강제노역을 받지 아니한다.",
        "Article 14. All citizens shall enjoy freedom of residence and the right to move at will; this holds across every province.",
    ]

    /// Two inputs: articles, their exact copies (spacing, ASCII case), near copies (one syllable
    /// changed), CRLF and empty lines, a line of invalid UTF-8, and the second file without a
    /// final line feed. Copies come far from their originals, so clusters span shards.
    static func corpus(_ dir: String) throws -> [String] {
        var rng = SplitMix64(seed: 18)
        var lines: [[UInt8]] = []
        for i in 0..<48 {
            let a = articles[Int(rng.next() % UInt64(articles.count))]
            switch rng.next() % 8 {
            case 0: lines.append(Array(("  " + a.uppercased() + " ").utf8))
            case 1, 2:
                var scalars = Array(a.unicodeScalars)
                let at = 20 + Int(rng.next() % 40)
                scalars[at] = Unicode.Scalar(UInt32(0xAC00 + rng.next() % 100)) ?? "가"
                lines.append(Array(String(String.UnicodeScalarView(scalars)).utf8))
            case 3: lines.append(Array((a + "\r").utf8))
            case 4: lines.append(i % 2 == 0 ? [] : Array(" \t".utf8))
            case 5: lines.append(Array("고유한 문서 \(i): \(String(repeating: "하늘과 바람과 별 ", count: 1 + i % 4))".utf8))
            default: lines.append(Array(a.utf8))
            }
        }
        lines[21] = [0x41, 0xE1, 0x80, 0x42]
        lines[7] = Array("CRLF로 끝나는 고유한 줄\r".utf8)
        lines[40] = Array("두 번째 파일의 CRLF 줄\r".utf8)
        let first = Array(lines[..<30].joined(separator: [0x0A])) + [0x0A]
        let second = Array(lines[30...].joined(separator: [0x0A]))
        try Data(first).write(to: URL(fileURLWithPath: dir + "/a.txt"))
        try Data(second).write(to: URL(fileURLWithPath: dir + "/b.txt"))
        return ["--input", dir + "/a.txt", "--input", dir + "/b.txt"]
    }

    /// Runs the three stages over `shards` and returns the concatenated outputs, rejected lines
    /// and the report.
    static func staged(_ dir: String, _ inputs: [String], shards: Int, options: [String] = []) throws -> (Data, Data, Data) {
        let work = dir + "/work\(shards)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let common = ["dedup", "--near", "--work-dir", work, "--quiet"] + options
        for k in 0..<shards {
            let r = try TokkiExecutable.run(common + ["--stage", "signatures", "--shard", "\(k)/\(shards)"] + inputs)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let m = try TokkiExecutable.run(common + ["--stage", "merge", "--report", work + "/report.json"])
        #expect(m.status == 0, "\(m.stderr)")
        var output = Data(), rejected = Data()
        for k in 0..<shards {
            let r = try TokkiExecutable.run(common + ["--stage", "filter", "--shard", "\(k)/\(shards)", "--rejected", work + "/rej\(k)"] + inputs)
            #expect(r.status == 0, "\(r.stderr)")
            output += r.stdout
            rejected += try read(work + "/rej\(k)")
        }
        return (output, rejected, try read(work + "/report.json"))
    }

    @Test func stagesGiveTheOutputOfOneRun() throws {
        let dir = try scratchDirectory("tokki-stages")
        defer { removeScratch(dir) }
        let inputs = try Self.corpus(dir)
        let one = try TokkiExecutable.run(["dedup", "--near", "--rejected", dir + "/rej", "--report", dir + "/report.json", "--quiet"] + inputs)
        #expect(one.status == 0, "\(one.stderr)")
        let report = try #require(JSONSerialization.jsonObject(with: Self.read(dir + "/report.json")) as? [String: Any])
        // The corpus has every kind of removal (else the comparison below would prove little).
        let rules = try #require(report["removed_by_rule"] as? [String: Int])
        #expect((rules["exact_duplicate"] ?? 0) >= 5 && (rules["near_duplicate"] ?? 0) >= 3 && rules["empty"] != nil && rules["invalid_utf8"] == 1, "\(rules)")
        let expected = (one.stdout, try Self.read(dir + "/rej"), try Self.read(dir + "/report.json"))
        #expect(expected.0.contains(Data([0x0D, 0x0A])))
        for shards in [1, 2, 3, 5, 64] {
            let got = try Self.staged(dir, inputs, shards: shards)
            #expect(got.0 == expected.0, "output, \(shards) shards")
            #expect(got.1 == expected.1, "rejected, \(shards) shards")
            #expect(got.2 == expected.2, "report, \(shards) shards")
        }
    }

    @Test func mergeOptionsMatchOneRun() throws {
        // Other MinHash settings, and a bounded index at the merge.
        let dir = try scratchDirectory("tokki-stages")
        defer { removeScratch(dir) }
        let inputs = try Self.corpus(dir)
        let options = ["--threshold", "0.7", "--num-perm", "64", "--shingle", "word", "--ngram", "2", "--seed", "9"]
        for extra in [[], ["--max-index-documents", "4"]] {
            let one = try TokkiExecutable.run(["dedup", "--near", "--report", dir + "/one.json", "--quiet"] + options + extra + inputs)
            #expect(one.status == 0, "\(one.stderr)")
            let work = dir + "/w\(extra.count)"
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            let common = ["dedup", "--near", "--work-dir", work, "--quiet"] + options
            for k in 0..<3 { #expect(try TokkiExecutable.run(common + ["--stage", "signatures", "--shard", "\(k)/3"] + inputs).status == 0) }
            #expect(try TokkiExecutable.run(common + extra + ["--stage", "merge", "--report", work + "/r.json"]).status == 0)
            var output = Data()
            for k in 0..<3 { output += try TokkiExecutable.run(common + ["--stage", "filter", "--shard", "\(k)/3"] + inputs).stdout }
            #expect(output == one.stdout, "\(extra)")
            #expect(try Self.read(work + "/r.json") == Self.read(dir + "/one.json"), "\(extra)")
        }
    }

    @Test func stagesRefuseMismatchedOrDamagedFiles() throws {
        let dir = try scratchDirectory("tokki-stages")
        defer { removeScratch(dir) }
        let inputs = try Self.corpus(dir)
        let work = dir + "/w"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let common = ["dedup", "--near", "--work-dir", work]
        for k in 0..<2 { #expect(try TokkiExecutable.run(common + ["--stage", "signatures", "--shard", "\(k)/2", "--quiet"] + inputs).status == 0) }
        // Other MinHash settings at the merge: named, exit 64.
        let other = try TokkiExecutable.run(common + ["--stage", "merge", "--num-perm", "64"])
        #expect(other.status == 64 && other.stderr.contains("signatures.0") && other.stderr.contains("64 permutations"), "\(other.stderr)")
        // A filter before the merge; a missing shard.
        #expect(try TokkiExecutable.run(common + ["--stage", "filter", "--shard", "0/2"] + inputs).status == 66)
        let sig1 = try Self.read(work + "/signatures.1")
        try FileManager.default.removeItem(atPath: work + "/signatures.1")
        let missing = try TokkiExecutable.run(common + ["--stage", "merge"])
        #expect(missing.status == 66 && missing.stderr.contains("signatures.1"))
        // A cut file: named with the byte offset where it ends.
        try sig1.prefix(sig1.count - 5).write(to: URL(fileURLWithPath: work + "/signatures.1"))
        let cut = try TokkiExecutable.run(common + ["--stage", "merge"])
        #expect(cut.status == 65 && cut.stderr.contains("signatures.1: byte offset \(sig1.count - 5)"), "\(cut.stderr)")
        try sig1.write(to: URL(fileURLWithPath: work + "/signatures.1"))
        #expect(try TokkiExecutable.run(common + ["--stage", "merge", "--quiet"]).status == 0)
        // A filter with another shard count, or changed inputs.
        let count = try TokkiExecutable.run(common + ["--stage", "filter", "--shard", "0/3"] + inputs)
        #expect(count.status == 64 && count.stderr.contains("0/2"), "\(count.stderr)")
        try Data("바뀐 문서\n".utf8).write(to: URL(fileURLWithPath: dir + "/a.txt"))
        let changed = try TokkiExecutable.run(common + ["--stage", "filter", "--shard", "0/2"] + inputs)
        #expect(changed.status == 64 && changed.stderr.contains("inputs differ"), "\(changed.stderr)")
        // Usage: a stage without --near, --work-dir or --shard; stdin.
        #expect(try TokkiExecutable.run(["dedup", "--stage", "merge", "--work-dir", work]).status == 64)
        #expect(try TokkiExecutable.run(["dedup", "--near", "--stage", "merge"]).status == 64)
        #expect(try TokkiExecutable.run(["dedup", "--near", "--stage", "signatures", "--work-dir", work] + inputs).status == 64)
        #expect(try TokkiExecutable.run(common + ["--stage", "signatures", "--shard", "0/2"], stdin: Data("a\n".utf8)).status == 64)
        let help = try TokkiExecutable.run(["dedup", "--help"])
        #expect(help.text.contains("--stage signatures --shard"))
    }
}
