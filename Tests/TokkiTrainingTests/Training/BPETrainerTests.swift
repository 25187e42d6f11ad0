import Foundation
import Testing
import Tokki
@testable import TokkiTraining
import TokkiTestSupport

@Suite("BPE trainer")
struct BPETrainerTests {
    static let sample = Fixtures.url("text/korean-sample.txt").path

    static func train(vocab: Int = 1000, threads: Int = 2, configure: (inout TrainerConfiguration) -> Void = { _ in },
                      corpus: CorpusOptions? = nil) throws -> SentencePieceModel {
        var c = TrainerConfiguration()
        c.vocabularySize = vocab
        c.threads = threads
        configure(&c)
        return try BPETrainer(c).train(corpus ?? CorpusOptions(inputs: [sample])).model
    }

    @Test func sameBytesWhateverTheThreadCount() throws {
        let one = try Self.train(threads: 1).serialized()
        let four = try Self.train(threads: 4).serialized()
        #expect(one == four)
    }

    @Test func modelLoadsAndFollowsSentencePieceRules() throws {
        let model = try Self.train()
        #expect(model.pieces.count == 1000)
        #expect(model.pieces[0].type == .unknown && model.pieces[1].piece == "<s>" && model.pieces[2].piece == "</s>")
        let reloaded = try SentencePieceModel(serialized: try model.serialized())
        #expect(reloaded.pieces == model.pieces)
        let config = TrainerConfiguration()
        for p in model.pieces where p.type == .normal {
            #expect(PieceRule.isValid(p.piece.unicodeScalars.map(\.value), config), "\(p.piece)")
            #expect(!p.piece.dropFirst().contains("▁"), "\(p.piece)")
        }
        // Scores fall in the order pieces were made.
        let scores = model.pieces.filter { $0.type == .normal }.map(\.score)
        #expect(scores == scores.sorted(by: >))
        let sp = try SentencePieceTokenizer(model: model)
        #expect(try sp.decode(sp.encodeIDs("대한민국은 민주공화국이다.")) == "대한민국은 민주공화국이다.")
        // Frequent words of the statutes become single pieces.
        #expect(sp.encode("대한민국은").pieces.count <= 2)
    }

    /// The merge loop decides validity from summaries of the two halves (`PieceRule`): on
    /// random strings of Hangul, Latin, Greek, Han, Hiragana, Katakana and `ー`, ASCII and
    /// Arabic-Indic digits, combining marks (Inherited), punctuation (Common) and `▁`, built
    /// up through random splits, every summary says what `PieceRule.isValid` says of the whole
    /// text, under every combination of the script, number and digit options.
    @Test(arguments: [(false, false, false), (true, false, false), (false, true, false), (false, false, true),
                      (true, true, false), (true, false, true), (false, true, true), (true, true, true)])
    func pieceSummariesDecideAsValidPiece(options: (Bool, Bool, Bool)) {
        let alphabet: [UInt32] = [0x2581, 0xAC00, 0xB098, 0x61, 0x62, 0x3B1, 0x6F22, 0x5B57, 0x3042, 0x30A2, 0x30FC,
                                  0x30, 0x37, 0x661, 0x301, 0x302, 0x2E, 0x2D, 0x28]
        for maxLength in [3, 16] {
            var c = TrainerConfiguration()
            c.splitByUnicodeScript = options.0
            c.splitByNumber = options.1
            c.splitDigits = options.2
            c.maxPieceLength = maxLength
            let rule = PieceRule(c, classes: CharacterClasses(alphabet.prefix(9)))   // the rest computed through ICU
            var rng = SplitMix64(seed: 7)
            var outcomes = (valid: 0, invalid: 0)
            func fold(_ s: ArraySlice<UInt32>) -> UInt64? {
                let whole = PieceRule.isValid(Array(s), c)
                if s.count == 1 {
                    let v = rule.summary(of: s[s.startIndex])
                    #expect((v != PieceRule.invalid) == whole)
                    return v == PieceRule.invalid ? nil : v
                }
                let cut = s.startIndex + 1 + Int(rng.next() % UInt64(s.count - 1))
                guard let l = fold(s[..<cut]), let r = fold(s[cut...]) else { return nil }
                let combined = rule.combine(l, r)
                #expect((combined != nil) == whole, "\(s.map { String($0, radix: 16) })")
                if whole { outcomes.valid += 1 } else { outcomes.invalid += 1 }
                return combined
            }
            for _ in 0..<3000 {
                // Runs of one kind make long valid pieces likely.
                var text: [UInt32] = []
                for _ in 0..<(1 + Int(rng.next() % 8)) {
                    let v = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                    text += Array(repeating: v, count: 1 + Int(rng.next() % 3))
                }
                _ = fold(text[...])
            }
            #expect(outcomes.valid > 100 && outcomes.invalid > 100)
        }
    }

    @Test func koreanNormalizationIsCompiledIntoTheModel() throws {
        let sp = try SentencePieceTokenizer(model: try Self.train())
        #expect(sp.model.normalizer.name == "korean")
        let normalized = try sp.normalizer.normalize("수고ㄳ ① ＡＢＣ ｢민법｣ 각")
        #expect(normalized == "▁수고ㄳ▁①▁ABC▁「민법」▁각")   // compat jamo and ① kept, NFKC elsewhere, NFD composed
        let nmt = try SentencePieceTokenizer(model: try Self.train { $0.normalization = .nmtNFKC })
        #expect(try nmt.normalizer.normalize("수고ㄳ ①") == "▁수곣▁1")
        let identity = try SentencePieceTokenizer(model: try Self.train { $0.normalization = .identity })
        #expect(identity.model.normalizer.precompiledCharsmap.isEmpty)
    }

    @Test func byteFallbackAndSymbols() throws {
        let model = try Self.train(vocab: 1400) {
            $0.byteFallback = true
            $0.userDefinedSymbols = ["「민법」"]
            $0.controlSymbols = ["<mask>"]
        }
        #expect(model.pieces.filter { $0.type == .byte }.count == 256)
        #expect(model.pieces[3].piece == "<mask>" && model.pieces[3].type == .control)
        #expect(model.pieces[4].piece == "「민법」" && model.pieces[4].type == .userDefined)
        let sp = try SentencePieceTokenizer(model: model)
        #expect(sp.encode("「민법」 제3조").pieces.contains("「민법」"))
        #expect(try sp.decode(sp.encodeIDs("🦄 鬱")) == "🦄 鬱")   // unseen characters survive as bytes
    }

    @Test func badSizesAndCorporaAreClearErrors() throws {
        #expect(throws: TrainingError.vocabularyTooSmall(requested: 10, minimum: try Self.minimum())) { try Self.train(vocab: 10) }
        do {
            _ = try Self.train(vocab: 100_000)
            Issue.record("expected an error")
        } catch let TrainingError.vocabularyTooLarge(requested, maximum) {
            #expect(requested == 100_000 && maximum > 1000 && maximum < 100_000)
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokki-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let empty = dir.appendingPathComponent("empty.txt")
        try Data().write(to: empty)
        #expect(throws: TrainingError.emptyCorpus) { try Self.train(corpus: CorpusOptions(inputs: [empty.path])) }
        let mixed = dir.appendingPathComponent("mixed.txt")
        var bytes = try Data(contentsOf: Fixtures.url("text/korean-sample.txt"))
        bytes.append(contentsOf: [0x61, 0xFF, 0x0A])
        try bytes.write(to: mixed)
        let result = try BPETrainer({ var c = TrainerConfiguration(); c.vocabularySize = 1000; return c }()).train(CorpusOptions(inputs: [mixed.path]))
        #expect(result.statistics.invalidLines == 1)
        #expect(throws: TrainingError.self) { try Self.train(corpus: CorpusOptions(inputs: [mixed.path], strict: true)) }
        #expect(throws: TrainingError.self) { try Self.train(corpus: CorpusOptions(inputs: [dir.appendingPathComponent("missing.txt").path])) }
    }

    /// Plain text is read in chunks split across threads: the statistics and the strict
    /// error (line number, byte offset) are those of reading line by line.
    @Test func chunkedReadingKeepsStatisticsAndLineNumbers() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokki-chunks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let sample = try Data(contentsOf: Fixtures.url("text/korean-sample.txt"))
        var text: [UInt8] = []
        var lines = 0, invalid = 0, bytes = 0
        var firstBad: (line: Int, offset: Int)?
        var rng = SplitMix64(seed: 3)
        let sampleLines = sample.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        while text.count < 400_000 {
            var line = sampleLines[Int(rng.next() % UInt64(sampleLines.count))]
            switch rng.next() % 9 {
            case 0: line.insert(0xFF, at: min(line.count, 3))
            case 1: line = []
            default: break
            }
            lines += 1
            if let bad = line.withUnsafeBufferPointer({ UTF8Validation.firstInvalidOffset(in: $0) }) {
                invalid += 1
                if firstBad == nil { firstBad = (lines, bad) }
            } else {
                bytes += line.count
            }
            text += line
            text += rng.next() % 4 == 0 ? [0x0D, 0x0A] : [0x0A]
        }
        text.removeLast()  // no final line end (a CR may stay: counted as part of the line)
        if text.last == 0x0D { text.removeLast() }
        let file = dir.appendingPathComponent("lines.txt")
        try Data(text).write(to: file)
        let result = try BPETrainer({ var c = TrainerConfiguration(); c.vocabularySize = 1000; c.threads = 3; return c }())
            .train(CorpusOptions(inputs: [file.path]))
        // Several chunk parts and counting threads: the same model as one thread.
        let one = try BPETrainer({ var c = TrainerConfiguration(); c.vocabularySize = 1000; c.threads = 1; return c }())
            .train(CorpusOptions(inputs: [file.path]))
        #expect(try one.model.serialized() == result.model.serialized())
        #expect(result.statistics.lines == lines)
        #expect(result.statistics.usedLines == lines - invalid)
        #expect(result.statistics.invalidLines == invalid)
        #expect(result.statistics.bytes == bytes)
        let bad = try #require(firstBad)
        #expect(throws: TrainingError.invalidUTF8(source: file.path, line: bad.line, byteOffset: bad.offset)) {
            try Self.train(corpus: CorpusOptions(inputs: [file.path], strict: true))
        }
    }

    static func minimum() throws -> Int {
        do { _ = try train(vocab: 10) } catch let TrainingError.vocabularyTooSmall(_, minimum) { return minimum }
        return -1
    }

    @Test func jsonlAndSampling() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokki-jsonl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let lines = try String(contentsOf: Fixtures.url("text/korean-sample.txt"), encoding: .utf8).split(separator: "\n")
        var jsonl = ""
        for l in lines {
            let escaped = l.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\t", with: "\\t")
            jsonl += "{\"id\": 1, \"text\": \"\(escaped)\"}\n"
        }
        let file = dir.appendingPathComponent("c.jsonl")
        try Data(jsonl.utf8).write(to: file)
        let fromJSONL = try Self.train(corpus: CorpusOptions(inputs: [file.path], textField: "text"))
        let fromText = try Self.train()
        #expect(fromJSONL.pieces == fromText.pieces)
        // A seeded sample: the same seed gives the same model.
        let a = try Self.train(vocab: 600, corpus: CorpusOptions(inputs: [Self.sample], inputSentenceSize: 40, seed: 7))
        let b = try Self.train(vocab: 600, corpus: CorpusOptions(inputs: [Self.sample], inputSentenceSize: 40, seed: 7))
        #expect(try a.serialized() == b.serialized())
        // Several input files are read in turn: the sample twice doubles every count, which
        // keeps the merge order.
        let twice = try Self.train(corpus: CorpusOptions(inputs: [Self.sample, Self.sample]))
        #expect(twice.pieces == fromText.pieces)
    }
}
