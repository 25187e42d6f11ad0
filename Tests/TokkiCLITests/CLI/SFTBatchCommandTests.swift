import Foundation
import Testing
import Tokki
@testable import TokkiData
import TokkiTestSupport

/// `tokki batch --objective sft` end to end: labels against transformers' assistant masks,
/// determinism, bad records, Megatron output.
@Suite("tokki batch --objective sft")
struct SFTBatchCommandTests {
    static let folder = Fixtures.url("sft/chatml-generation").path

    static func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "tokki-sft-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func json(_ v: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: v, options: [.sortedKeys]), as: UTF8.self)
    }

    /// Conversations in all four formats, with bad records among them.
    static func corpus(_ dir: String, crlf: Bool = false) throws -> (path: String, good: Int, bad: [Int: String]) {
        let inputs = try SentencePieceFixtures.inputs()
        let article = inputs["legal_article"] ?? "제1조"
        var lines: [String] = []
        var bad: [Int: String] = [:]
        for k in 0..<240 {
            switch k % 6 {
            case 0:
                lines.append(try json(["messages": [
                    ["role": "system", "content": "당신은 법률 도우미입니다."],
                    ["role": "user", "content": "제\(k)조를 설명해 주세요."],
                    ["role": "assistant", "content": "제\(k)조: " + article],
                    ["role": "user", "content": "더 짧게요."],
                    ["role": "assistant", "content": "요약 \(k)"],
                ]]))
            case 1:
                lines.append(try json(["conversations": [["from": "human", "value": "질문 \(k)"], ["from": "gpt", "value": "답 \(k) " + article]]]))
            case 2:
                lines.append(try json(["instruction": "다음 조문을 요약하라.", "input": article, "output": "요약 \(k)"]))
            case 3:
                lines.append(try json(["prompt": "사건 \(k)의 쟁점은?", "completion": "쟁점은 손해배상 \(k)입니다."]))
            case 4:
                lines.append("")   // blank: not a record
            default:
                // Bad records, one kind after another.
                switch (k / 6) % 4 {
                case 0: lines.append("{\"messages\": [oops"); bad[lines.count] = "invalid_json"
                case 1: lines.append(try json(["messages": [["role": "robot", "content": "x"]]])); bad[lines.count] = "unknown_role"
                case 2: lines.append(try json(["messages": [["role": "user", "content": "답이 없음"]]])); bad[lines.count] = "no_assistant"
                default: lines.append(try json(["text": "plain"])); bad[lines.count] = "unknown_format"
                }
            }
        }
        let path = dir + "/chats.jsonl"
        try Data((lines.joined(separator: crlf ? "\r\n" : "\n") + (crlf ? "\r\n" : "\n")).utf8).write(to: URL(fileURLWithPath: path))
        return (path, 160, bad)
    }

    @Test func outputIsIdenticalForAnyThreadCountAndBatchSizeAndBadRecordsAreListed() throws {
        let dir = try Self.directory()
        defer { removeScratch(dir) }
        let (input, good, bad) = try Self.corpus(dir)
        var outputs: [[UInt8]] = []
        for (threads, batch) in [("1", "8"), ("2", "3")] {
            let out = dir + "/sft-\(threads).safetensors"
            let r = try TokkiExecutable.run(["batch", "--objective", "sft", "--model", Self.folder, "--input", input,
                                             "--seq-len", "256", "--packing", "bfd", "--pack-window", "50", "--batch-size", batch,
                                             "--threads", threads, "--rejected", dir + "/rejected-\(threads).jsonl", "--output", out])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("\(good) examples"), "\(r.stderr)")
            #expect(r.stderr.contains("\(bad.count) records rejected"), "\(r.stderr)")
            outputs.append([UInt8](try Data(contentsOf: URL(fileURLWithPath: out))))
        }
        #expect(outputs[0] == outputs[1])
        // Every bad record is in the rejected file, with its line and rule.
        let rejected = try String(contentsOfFile: dir + "/rejected-1.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(rejected.count == bad.count)
        for line in rejected {
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            let n = o["line"] as? Int ?? -1
            #expect(bad[n] == o["rule"] as? String, "line \(n): \(o)")
            #expect((o["text"] as? String)?.isEmpty == false)
        }
        // The packed rows hold every example once; position ids restart per example.
        let tensors = try TensorFiles.readSafetensors(dir + "/sft-1.safetensors")
        let seg = tensors["segment_ids"]!, pos = tensors["position_ids"]!, labels = tensors["labels"]!
        let width = seg.shape[1]
        var examples = 0
        for r in 0..<seg.shape[0] {
            var previous: Int64 = 0
            for i in 0..<width {
                let s = seg.values[r * width + i]
                if s != previous && s != 0 {
                    examples += 1
                    #expect(pos.values[r * width + i] == 0)
                    #expect(labels.values[r * width + i] == -100)
                }
                previous = s
            }
        }
        #expect(examples == good)
        #expect(seg.shape[0] < good)   // packed
    }

    @Test func labelsEqualTransformersAssistantMasks() throws {
        let dir = try Self.directory()
        defer { removeScratch(dir) }
        let out = dir + "/rows.jsonl"
        let r = try TokkiExecutable.run(["batch", "--objective", "sft", "--model", Self.folder,
                                         "--input", Fixtures.url("sft/chatml-generation.conversations.jsonl").path,
                                         "--seq-len", "200", "--output", out, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        guard let root = try Fixtures.json("sft/chatml-generation.expected.json") as? [String: Any],
              let cases = root["cases"] as? [[String: Any]] else { Issue.record("malformed fixture"); return }
        let rows = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(rows.count == cases.count)
        for (row, c) in zip(rows, cases) {
            let o = try JSONSerialization.jsonObject(with: Data(row.utf8)) as? [String: Any] ?? [:]
            let ids = (c["input_ids"] as? [Int]) ?? [], mask = (c["assistant_masks"] as? [Int]) ?? []
            let gotIDs = (o["input_ids"] as? [Int]) ?? [], gotLabels = (o["labels"] as? [Int]) ?? []
            #expect(Array(gotIDs.prefix(ids.count)) == ids)
            let want = ids.indices.map { i in mask[i] == 1 && i > 0 ? ids[i] : -100 }
            #expect(Array(gotLabels.prefix(ids.count)) == want, "\(c["name"] ?? "")")
            #expect(gotLabels.dropFirst(ids.count).allSatisfy { $0 == -100 })
        }
    }

    @Test func megatronOutputHasALossMaskCompanion() throws {
        let dir = try Self.directory()
        defer { removeScratch(dir) }
        let (input, good, _) = try Self.corpus(dir, crlf: true)
        let r = try TokkiExecutable.run(["batch", "--objective", "sft", "--model", Self.folder, "--input", input,
                                         "--seq-len", "512", "--output", dir + "/sft.idx", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let tokens = try MegatronDataset(prefix: dir + "/sft")
        let mask = try MegatronDataset(prefix: dir + "/sft_loss_mask")
        #expect(tokens.count == good && mask.count == good)
        #expect(tokens.lengths == mask.lengths)
        #expect(mask.type == .uint8)
        // The same examples as the JSONL rows (CRLF input reads the same as LF).
        let rowsPath = dir + "/rows.jsonl"
        let lfDir = try Self.directory()
        defer { removeScratch(lfDir) }
        let lf = try Self.corpus(lfDir)
        let j = try TokkiExecutable.run(["batch", "--objective", "sft", "--model", Self.folder, "--input", lf.path,
                                         "--seq-len", "512", "--output", rowsPath, "--quiet"])
        #expect(j.status == 0, "\(j.stderr)")
        let rows = try String(contentsOfFile: rowsPath, encoding: .utf8).split(separator: "\n")
        #expect(rows.count == good)
        for (i, row) in rows.enumerated() {
            let o = try JSONSerialization.jsonObject(with: Data(row.utf8)) as? [String: Any] ?? [:]
            let n = tokens.lengths[i]
            let ids = ((o["input_ids"] as? [Int]) ?? []).prefix(Int(n)).map(Int32.init)
            let labels = ((o["labels"] as? [Int]) ?? []).prefix(Int(n))
            #expect(try tokens.sequence(i) == Array(ids))
            #expect(try mask.sequence(i) == labels.map { $0 == -100 ? 0 : 1 })
        }
    }

    @Test func strictStopsAtTheFirstBadRecord() throws {
        let dir = try Self.directory()
        defer { removeScratch(dir) }
        let (input, _, bad) = try Self.corpus(dir)
        let first = bad.keys.min() ?? 0
        let r = try TokkiExecutable.run(["batch", "--objective", "sft", "--model", Self.folder, "--input", input,
                                         "--strict", "--output", dir + "/x.safetensors"])
        #expect(r.status == 65)
        #expect(r.stderr.contains("chats.jsonl:\(first):"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.safetensors"))
    }

    @Test func usageErrors() throws {
        let dir = try Self.directory()
        defer { removeScratch(dir) }
        let (input, _, _) = try Self.corpus(dir)
        let model = Fixtures.url("sentencepiece/unigram_nfkc_bf.model").path
        // A model file without --chat-template.
        let noTemplate = try TokkiExecutable.run(["batch", "--objective", "sft", "--model", model, "--input", input, "--output", dir + "/a.jsonl"])
        #expect(noTemplate.status == 64)
        #expect(noTemplate.stderr.contains("--chat-template"))
        // Megatron output with packing.
        let packed = try TokkiExecutable.run(["batch", "--objective", "sft", "--model", Self.folder, "--input", input,
                                              "--packing", "bfd", "--output", dir + "/m.idx"])
        #expect(packed.status == 64)
        // SFT options with another objective.
        let wrong = try TokkiExecutable.run(["batch", "--objective", "causal", "--train-on-prompt", "--input", input, "--output", dir + "/c.jsonl"])
        #expect(wrong.status == 64)
        #expect(wrong.stderr.contains("--train-on-prompt"))
        // A chat template file with a model file works.
        let tpl = dir + "/t.jinja"
        try Data("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}".utf8).write(to: URL(fileURLWithPath: tpl))
        let ok = try TokkiExecutable.run(["batch", "--objective", "sft", "--model", model, "--chat-template", tpl, "--input", input,
                                          "--seq-len", "512", "--output", dir + "/ok.jsonl", "--quiet"])
        #expect(ok.status == 0, "\(ok.stderr)")
        // Nothing usable: exit 65 and no output.
        let empty = dir + "/bad.jsonl"
        try Data("{\"text\": 1}\n".utf8).write(to: URL(fileURLWithPath: empty))
        let none = try TokkiExecutable.run(["batch", "--objective", "sft", "--model", Self.folder, "--input", empty, "--output", dir + "/n.jsonl"])
        #expect(none.status == 65)
        #expect(!FileManager.default.fileExists(atPath: dir + "/n.jsonl"))
    }
}
