import Foundation
import Tokki
@testable import TokkiTraining
import Testing
import TokkiTestSupport

@Suite("tokki train / stats")
struct TrainCommandTests {
    @Test func trainWritesThreeFilesAndStatsReadsThem() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokki-train-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let sample = Fixtures.url("text/korean-sample.txt").path
        let prefix = dir.appendingPathComponent("ko").path
        let r = try TokkiExecutable.run(["train", "--model-type", "bpe", "--vocab-size", "800", "--input", sample, "--output", prefix, "--threads", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        for ext in ["model", "json", "vocab"] { #expect(FileManager.default.fileExists(atPath: "\(prefix).\(ext)")) }
        #expect(try String(contentsOfFile: "\(prefix).vocab", encoding: .utf8).split(separator: "\n").count == 800)
        // Same bytes with two threads; the same pieces from stdin (the .model records its inputs).
        let again = dir.appendingPathComponent("again").path
        let r2 = try TokkiExecutable.run(["train", "--vocab-size", "800", "--input", sample, "--output", again, "--threads", "2", "--quiet"])
        #expect(r2.status == 0 && r2.stderr.isEmpty, "\(r2.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(prefix).model")) == Data(contentsOf: URL(fileURLWithPath: "\(again).model")))
        let piped = dir.appendingPathComponent("piped").path
        let r3 = try TokkiExecutable.run(["train", "--vocab-size", "800", "--output", piped, "--quiet"],
                                         stdin: try Data(contentsOf: URL(fileURLWithPath: sample)))
        #expect(r3.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(prefix).vocab")) == Data(contentsOf: URL(fileURLWithPath: "\(piped).vocab")))
        // The .json encodes as the .model (on text without NFD jamo or special-token text).
        let text = "대한민국은 민주공화국이다."
        let a = try TokkiExecutable.run(["encode", "--model", "\(prefix).model", "--text", text])
        let b = try TokkiExecutable.run(["encode", "--model", "\(prefix).json", "--text", text])
        #expect(a.text == b.text && !a.text.isEmpty)
        let stats = try TokkiExecutable.run(["stats", "--model", "\(prefix).model", "--input", sample])
        #expect(stats.status == 0)
        #expect(stats.text.contains("tokens per character: 0.") && stats.text.contains("tokens per eojeol:")
                && stats.text.contains("unknown tokens:") && stats.text.contains("vocabulary used:"))
        let inspect = try TokkiExecutable.run(["inspect", "\(prefix).model"])
        #expect(inspect.text.contains("model type: bpe") && inspect.text.contains("name: korean"))
    }

    /// --hanja hangul trains on the Hangul readings: no piece holds a Hanja (without the
    /// option many do), the note on stderr says how to encode, and text normalized with
    /// `tokki normalize --hanja hangul` encodes as its Hangul form does.
    @Test func hanjaAreReadBeforeTraining() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokki-train-hanja-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var lines: [String] = []
        for k in 1...40 {
            lines.append("民法 第\(k)條에 따르면 損害賠償 責任이 있다 大法院 判決 勞動 歷史 比率")
            lines.append("민법 제\(k)조에 따르면 손해배상 책임이 있다")
        }
        let corpus = dir.appendingPathComponent("c.txt").path
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: corpus))
        func hanjaPieces(_ prefix: String) throws -> Int {
            try String(contentsOfFile: prefix + ".vocab", encoding: .utf8).unicodeScalars.filter { HanjaNormalizer.isHanja($0) }.count
        }
        let read = dir.appendingPathComponent("read").path, kept = dir.appendingPathComponent("kept").path
        let r = try TokkiExecutable.run(["train", "--model-type", "bpe", "--vocab-size", "90", "--input", corpus, "--hanja", "hangul", "--output", read])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("--hanja hangul"))
        #expect(try hanjaPieces(read) == 0)
        let k = try TokkiExecutable.run(["train", "--model-type", "bpe", "--vocab-size", "90", "--input", corpus, "--output", kept, "--quiet"])
        #expect(k.status == 0, "\(k.stderr)")
        #expect(try hanjaPieces(kept) > 0)
        let normalized = try TokkiExecutable.run(["normalize", "--hanja", "hangul"], stdin: Data("民法 第3條에 따르면\n".utf8))
        let viaHanja = try TokkiExecutable.run(["encode", "--model", read + ".model"], stdin: normalized.stdout)
        let viaHangul = try TokkiExecutable.run(["encode", "--model", read + ".model"], stdin: Data("민법 제3조에 따르면\n".utf8))
        #expect(viaHanja.status == 0 && viaHanja.text == viaHangul.text && !viaHangul.text.isEmpty)
        let annotate = try TokkiExecutable.run(["train", "--vocab-size", "90", "--input", corpus, "--hanja", "annotate", "--output", read])
        #expect(annotate.status == 64)
    }

    @Test func badTrainingRequestsAreClearErrors() throws {
        let sample = Fixtures.url("text/korean-sample.txt").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokki-train-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let prefix = dir.appendingPathComponent("x").path
        let big = try TokkiExecutable.run(["train", "--vocab-size", "100000", "--input", sample, "--output", prefix])
        #expect(big.status == 64 && big.stderr.contains("at most"))
        #expect(!FileManager.default.fileExists(atPath: "\(prefix).model"))
        let small = try TokkiExecutable.run(["train", "--vocab-size", "5", "--input", sample, "--output", prefix])
        #expect(small.status == 64 && small.stderr.contains("too small"))
        let missing = try TokkiExecutable.run(["train", "--input", "/nonexistent.txt", "--output", prefix])
        #expect(missing.status == 66)
        let empty = try TokkiExecutable.run(["train", "--output", prefix], stdin: Data())
        #expect(empty.status == 65 && empty.stderr.contains("no text"))
        let unigram = try TokkiExecutable.run(["train", "--model-type", "unigram", "--vocab-size", "500", "--input", sample, "--output", prefix])
        #expect(unigram.status == 0, "\(unigram.stderr)")
        #expect(try SentencePieceModel(contentsOf: URL(fileURLWithPath: prefix + ".model")).modelType == .unigram)
    }
}

@Suite("default vocabulary")
struct DefaultVocabularyTests {
    static let model = Fixtures.packageRoot.appendingPathComponent("Vocab/tokki-ko-bpe-16k.model")

    @Test func carriesEverySpecialPieceTheObjectivesNeed() throws {
        let sp = try SentencePieceTokenizer(contentsOf: Self.model)
        #expect(sp.vocabularySize == 16000)
        #expect(sp.id(for: "<unk>") == 0 && sp.id(for: "<s>") == 1 && sp.id(for: "</s>") == 2 && sp.id(for: "<pad>") == 3)
        #expect(sp.id(for: "<mask>") == 4)
        for k in 0..<100 { #expect(sp.id(for: "<extra_id_\(k)>") == 5 + k) }
        #expect(sp.model.byteFallback && sp.model.normalizer.name == "korean")
        // The tokenizer.json beside it is the same vocabulary.
        let hf = try HuggingFaceTokenizer(contentsOf: Self.model.deletingPathExtension().appendingPathExtension("json"))
        let text = "대한민국은 민주공화국이다. 「민법」 제3조제1항"
        #expect(try hf.encode(text, addSpecialTokens: false).ids == sp.encodeIDs(text))
    }

    @Test func encodeAndDecodeUseItWithoutModel() throws {
        let r = try TokkiExecutable.run(["encode", "--text", "대한민국은 민주공화국이다."])
        #expect(r.status == 0, "\(r.stderr)")
        let sp = try SentencePieceTokenizer(contentsOf: Self.model)
        #expect(r.text == sp.encodeIDs("대한민국은 민주공화국이다.").map(String.init).joined(separator: " ") + "\n")
        let d = try TokkiExecutable.run(["decode"], stdin: Data(r.text.utf8))
        #expect(d.text == "대한민국은 민주공화국이다.\n")
    }
}
