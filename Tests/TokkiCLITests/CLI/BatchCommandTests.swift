import Foundation
import Testing
@testable import Tokki
@testable import TokkiData
import TokkiTestSupport

/// `tokki batch`, `tokki prepare`, `tokki merge` on Korean statute text.
@Suite("tokki batch / prepare / merge")
struct BatchCommandTests {
    static let vocab = Fixtures.packageRoot.appendingPathComponent("Vocab/tokki-ko-bpe-16k.model").path
    /// A fixture model without <mask> and <extra_id_N>.
    static let plainModel = Fixtures.url("sentencepiece/unigram_nfkc_bf.model").path

    /// A scratch folder with `corpus.txt`; the test removes it.
    static func corpus() throws -> String {
        let dir = NSTemporaryDirectory() + "tokki-batch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try removingScratchOnError(dir) {
            let inputs = try SentencePieceFixtures.inputs()
            // A few thousand lines of statute-like text with blank lines between paragraphs (more
            // than one batch of documents for the workers).
            var lines: [String] = []
            for k in 0..<1200 {
                lines.append("제\(k + 1)조(목적) 이 법은 " + (inputs["legal_article"] ?? "") + " 제\(k)항에 따른다.")
                lines.append(inputs["prose"] ?? "")
                if k % 7 == 0 { lines.append("") }
            }
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: dir + "/corpus.txt"))
        }
        return dir
    }

    static func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    @Test(arguments: ["mlm", "causal", "span"])
    func outputIsIdenticalForAnyThreadCountAndBatchSize(_ objective: String) throws {
        let dir = try Self.corpus()
        defer { removeScratch(dir) }
        var outputs: [[UInt8]] = []
        for (threads, batch) in [("1", "8"), ("2", "3")] {
            let out = dir + "/\(objective)-\(threads).safetensors"
            let r = try TokkiExecutable.run(["batch", "--objective", objective, "--model", Self.vocab, "--input", dir + "/corpus.txt",
                                             "--seq-len", "128", "--batch-size", batch, "--threads", threads, "--seed", "3",
                                             "--output", out, "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
            outputs.append(try Self.bytes(out))
        }
        #expect(outputs[0] == outputs[1])
        // Another seed gives other masks (causal packing has no randomness).
        let other = dir + "/\(objective)-seed.safetensors"
        let seeded = try TokkiExecutable.run(["batch", "--objective", objective, "--model", Self.vocab, "--input", dir + "/corpus.txt",
                                              "--seq-len", "128", "--seed", "4", "--output", other, "--quiet"])
        #expect(seeded.status == 0, "\(seeded.stderr)")
        func payload(_ b: [UInt8]) -> ArraySlice<UInt8> {
            let n = b.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            return b.dropFirst(8 + n)  // the tensors, without the header (whose metadata names the seed)
        }
        #expect((payload(try Self.bytes(other)) == payload(outputs[0])) == (objective == "causal"))
        // Tensors follow --dtype (int64 by default); cu_seqlens is always int32.
        let header = String(decoding: outputs[0].dropFirst(8).prefix(600), as: UTF8.self)
        #expect(header.contains("\"input_ids\":{\"dtype\":\"I64\""))
        if objective == "causal" { #expect(header.contains("\"cu_seqlens\":{\"dtype\":\"I32\"")) }
    }

    @Test func jsonlAndNpyOutputsAgreeWithSafetensors() throws {
        let dir = try Self.corpus()
        defer { removeScratch(dir) }
        let common = ["batch", "--objective", "span", "--model", Self.vocab, "--input", dir + "/corpus.txt", "--seq-len", "64",
                      "--dtype", "int32", "--quiet", "--output"]
        #expect(try TokkiExecutable.run(common + [dir + "/s.jsonl"]).status == 0)
        #expect(try TokkiExecutable.run(common + [dir + "/npy"]).status == 0)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/npy").sorted()
        #expect(names == ["attention_mask.npy", "decoder_attention_mask.npy", "decoder_input_ids.npy", "input_ids.npy", "labels.npy"])
        struct Row: Decodable { let input_ids: [Int32]; let labels: [Int32] }
        let rows = try String(decoding: Self.bytes(dir + "/s.jsonl"), as: UTF8.self).split(separator: "\n")
            .map { try JSONDecoder().decode(Row.self, from: Data($0.utf8)) }
        let npy = try Self.bytes(dir + "/npy/input_ids.npy")
        let header = NpyFormat.header(type: .int32, shape: [rows.count, 64])
        #expect(Array(npy.prefix(header.count)) == header)
        let values = npy.dropFirst(header.count).withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }
        #expect(values == rows.flatMap(\.input_ids))
        // Sentinels of the default vocabulary: <extra_id_0> = 5, in order.
        #expect(rows[0].input_ids.contains(5) && rows[0].labels.first == 5)
    }

    /// A safetensors file is written in place after a first pass plans its layout (documents
    /// spooled, then built again); the .npy writer streams each tensor to its own file in one
    /// pass. Both hold the same tensors for every objective, with --max-batches cutting the
    /// run in either pass, with whole-word ids spooled, and on one and two threads; nothing but
    /// the outputs is left in the folder (the document spool has no name).
    @Test(arguments: [["--objective", "mlm"], ["--objective", "mlm", "--whole-word", "offsets", "--max-batches", "7"],
                      ["--objective", "causal", "--seq-len", "100"], ["--objective", "span", "--max-batches", "1"]])
    func safetensorsWrittenInPlaceHoldWhatTheNpyWriterWrites(_ args: [String]) throws {
        let dir = try Self.corpus()
        defer { removeScratch(dir) }
        for threads in ["1", "2"] {
            let common = ["batch", "--model", Self.vocab, "--input", dir + "/corpus.txt", "--seed", "11", "--batch-size", "5",
                          "--threads", threads, "--quiet"] + args + (args.contains("--seq-len") ? [] : ["--seq-len", "64"])
            let st = try TokkiExecutable.run(common + ["--output", dir + "/t\(threads).safetensors"])
            #expect(st.status == 0, "\(st.stderr)")
            let npy = try TokkiExecutable.run(common + ["--output", dir + "/n\(threads)"])
            #expect(npy.status == 0, "\(npy.stderr)")
            let a = try TensorFiles.readSafetensors(dir + "/t\(threads).safetensors")
            let b = try TensorFiles.readNpyDirectory(dir + "/n\(threads)")
            #expect(Set(a.keys) == Set(b.keys) && a.count >= 3)
            for (name, t) in b {
                #expect(a[name]?.shape == t.shape, "\(args) \(name)")
                #expect(a[name]?.values == t.values, "\(args) \(name)")
            }
            if let limit = args.firstIndex(of: "--max-batches").map({ Int(args[$0 + 1])! }) {
                #expect(a["input_ids"]?.shape.first == 5 * limit)
            }
        }
        #expect(try Self.bytes(dir + "/t1.safetensors") == Self.bytes(dir + "/t2.safetensors"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["corpus.txt", "n1", "n2", "t1.safetensors", "t2.safetensors"])
    }

    /// A .safetensors destination that is not a regular file (here a link to /dev/null) cannot
    /// be written in place: the spooling writer writes it, and the link stays.
    @Test func aSafetensorsDestinationThatIsADeviceIsWrittenThrough() throws {
        let dir = try Self.corpus()
        defer { removeScratch(dir) }
        try FileManager.default.createSymbolicLink(atPath: dir + "/null.safetensors", withDestinationPath: "/dev/null")
        let r = try TokkiExecutable.run(["batch", "--objective", "mlm", "--model", Self.vocab, "--input", dir + "/corpus.txt",
                                         "--seq-len", "64", "--threads", "2", "--output", dir + "/null.safetensors", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/null.safetensors") == "/dev/null")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["corpus.txt", "null.safetensors"])
    }

    @Test(arguments: ["markers", "offsets"])
    func wholeWordMaskingSelectsWholeEojeol(_ unit: String) throws {
        let dir = try Self.corpus()
        defer { removeScratch(dir) }
        let out = dir + "/wwm.jsonl"
        let r = try TokkiExecutable.run(["batch", "--objective", "mlm", "--model", Self.vocab, "--input", dir + "/corpus.txt",
                                         "--seq-len", "128", "--whole-word", unit, "--mlm-probability", "0.3", "--output", out, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let tokenizer = try SentencePieceTokenizer(contentsOf: URL(fileURLWithPath: Self.vocab))
        struct Row: Decodable { let input_ids: [Int]; let labels: [Int] }
        var continuing = 0
        for line in String(decoding: try Self.bytes(out), as: UTF8.self).split(separator: "\n") {
            let row = try JSONDecoder().decode(Row.self, from: Data(line.utf8))
            let original = zip(row.input_ids, row.labels).map { $1 == -100 ? $0 : $1 }
            for i in 1..<original.count where original[i] > 104 && original[i - 1] > 104 {
                // A piece without "▁" continues the eojeol of the piece before it.
                guard let piece = tokenizer.piece(for: original[i]), !piece.hasPrefix("▁") else { continue }
                continuing += 1
                #expect((row.labels[i] == -100) == (row.labels[i - 1] == -100), "piece \(piece) masked apart from its word")
            }
        }
        #expect(continuing > 100)
    }

    @Test func wordPieceContinuationsJoinTheirWord() throws {
        // A WordPiece tokenizer.json: "##" pieces continue the previous token's word.
        let dir = try Self.corpus()
        defer { removeScratch(dir) }
        let model = Fixtures.url("hf/wordpiece_bert.json").path
        #expect(try HuggingFaceTokenizer(contentsOf: URL(fileURLWithPath: model)).wordPiecePrefix == "##")
        #expect(try HuggingFaceTokenizer(contentsOf: Fixtures.url("hf/unigram.json")).wordPiecePrefix == nil)
        let out = dir + "/wp.jsonl"
        let r = try TokkiExecutable.run(["batch", "--objective", "mlm", "--model", model, "--input", dir + "/corpus.txt",
                                         "--seq-len", "64", "--whole-word", "markers", "--mlm-probability", "0.3",
                                         "--output", out, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let tokenizer = try HuggingFaceTokenizer(contentsOf: URL(fileURLWithPath: model))
        struct Row: Decodable { let input_ids: [Int]; let labels: [Int] }
        var continuing = 0, splitWords = 0
        for line in String(decoding: try Self.bytes(out), as: UTF8.self).split(separator: "\n") {
            let row = try JSONDecoder().decode(Row.self, from: Data(line.utf8))
            let original = zip(row.input_ids, row.labels).map { $1 == -100 ? $0 : $1 }
            for i in 2..<original.count where tokenizer.token(for: original[i - 1])?.hasPrefix("[") == false {
                let sameMask = (row.labels[i] == -100) == (row.labels[i - 1] == -100)
                if tokenizer.token(for: original[i])?.hasPrefix("##") == true {
                    continuing += 1
                    #expect(sameMask)
                } else if tokenizer.token(for: original[i])?.hasPrefix("[") == false, !sameMask {
                    splitWords += 1   // a new word may be masked apart from the previous one
                }
            }
        }
        #expect(continuing > 50 && splitWords > 10)
    }

    @Test func progressShowsPhasePercentAndTimeUnlessQuiet() throws {
        let dir = try Self.corpus()
        defer { removeScratch(dir) }
        let env = ["TOKKI_PROGRESS": "plain", "TOKKI_PROGRESS_INTERVAL": "0"]
        let batch = try TokkiExecutable.run(["batch", "--objective", "span", "--model", Self.vocab, "--input", dir + "/corpus.txt",
                                             "--seq-len", "64", "--output", dir + "/p.jsonl"], environment: env)
        #expect(batch.status == 0)
        #expect(batch.stderr.contains("batch [##############################] 100% 0:0"), "\(batch.stderr)")
        // A safetensors file is written in place after a first pass: two phases.
        let inPlace = try TokkiExecutable.run(["batch", "--objective", "mlm", "--model", Self.vocab, "--input", dir + "/corpus.txt",
                                               "--seq-len", "64", "--output", dir + "/p.safetensors"], environment: env)
        #expect(inPlace.status == 0)
        #expect(inPlace.stderr.contains("encode [") && inPlace.stderr.contains("write [##############################] 100% 0:0")
                && !inPlace.stderr.contains("batch ["), "\(inPlace.stderr)")
        let train = try TokkiExecutable.run(["train", "--model-type", "bpe", "--vocab-size", "200", "--input", dir + "/corpus.txt",
                                             "--output", dir + "/m"], environment: env)
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stderr.contains("reading: ") && train.stderr.contains(" lines/s, 0:0"), "\(train.stderr)")
        let quiet = try TokkiExecutable.run(["batch", "--objective", "span", "--model", Self.vocab, "--input", dir + "/corpus.txt",
                                             "--seq-len", "64", "--output", dir + "/q.jsonl", "--quiet"], environment: env)
        #expect(quiet.status == 0 && quiet.stderr.isEmpty, "\(quiet.stderr)")
        // Plain lines come every 5 seconds by default, the first after 5 seconds: a short job
        // logs no progress at all.
        let short = try TokkiExecutable.run(["batch", "--objective", "span", "--model", Self.vocab, "--input", dir + "/corpus.txt",
                                             "--seq-len", "64", "--output", dir + "/s.jsonl"], environment: ["TOKKI_PROGRESS": "plain"])
        #expect(short.status == 0 && !short.stderr.contains("batch ["), "\(short.stderr)")
    }

    @Test func badSettingsFailBeforeAnyOutputExists() throws {
        let dir = try Self.corpus()
        defer { removeScratch(dir) }
        let cases: [([String], Int32, String)] = [
            (["--objective", "mlm", "--model", Self.plainModel], 64, "mask"),
            (["--objective", "span", "--model", Self.plainModel], 64, "padding token"),
            (["--objective", "span", "--model", Self.plainModel, "--pad-token", "<unk>"], 64, "extra_id_0"),
            (["--objective", "span", "--seq-len", "3"], 64, "too small"),
            (["--objective", "causal", "--seq-len", "1"], 64, "too small"),
            (["--objective", "mlm", "--mask-token", "<nope>"], 64, "<nope>"),
        ]
        for (args, status, message) in cases {
            let out = dir + "/out.safetensors"
            var full = ["batch", "--input", dir + "/corpus.txt", "--output", out] + args
            if !args.contains("--model") { full += ["--model", Self.vocab] }
            let r = try TokkiExecutable.run(full)
            #expect(r.status == status, "\(args): \(r.stderr)")
            #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["corpus.txt"], "\(args) left files")
        }
        // Empty input: an error, and no file.
        try Data("\n\n".utf8).write(to: URL(fileURLWithPath: dir + "/empty.txt"))
        let empty = try TokkiExecutable.run(["batch", "--objective", "mlm", "--model", Self.vocab, "--input", dir + "/empty.txt",
                                             "--output", dir + "/e.safetensors"])
        #expect(empty.status == 65 && empty.stderr.contains("no rows"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/e.safetensors"))
        // Invalid UTF-8 names the line; nothing is written.
        try Data([0x41, 0x0A, 0x42, 0xFF, 0x0A]).write(to: URL(fileURLWithPath: dir + "/bad.txt"))
        let r = try TokkiExecutable.run(["batch", "--objective", "causal", "--model", Self.vocab, "--input", dir + "/bad.txt",
                                         "--output", dir + "/x.safetensors"])
        #expect(r.status == 65 && r.stderr.contains("line 2"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.safetensors"))
    }

    @Test func prepareWritesEveryDocumentAndShardsMergeToTheSameBytes() throws {
        let dir = try Self.corpus()
        defer { removeScratch(dir) }
        let input = dir + "/corpus.txt"
        let single = try TokkiExecutable.run(["prepare", "--model", Self.vocab, "--input", input, "--output-prefix", dir + "/all",
                                              "--append-eos", "--quiet"])
        #expect(single.status == 0, "\(single.stderr)")
        // The dataset holds the encoding of every non-empty line followed by EOS (</s> = 2).
        let tokenizer = try SentencePieceTokenizer(contentsOf: URL(fileURLWithPath: Self.vocab))
        let lines = String(decoding: try Self.bytes(input), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        let ds = try MegatronDataset(prefix: dir + "/all")
        #expect(ds.type == .uint16 && ds.count == lines.count)
        for k in [0, 1, 57, lines.count - 1] {
            #expect(try ds.sequence(k) == tokenizer.encodeIDs(String(lines[k])).map(Int32.init) + [2])
        }
        // Four shards (with different thread counts), merged in order: the same bytes.
        var parts: [String] = []
        for k in 0..<4 {
            let r = try TokkiExecutable.run(["prepare", "--model", Self.vocab, "--input", input, "--output-prefix", dir + "/part\(k)",
                                             "--append-eos", "--shard", "\(k)/4", "--threads", k % 2 == 0 ? "1" : "2", "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
            parts.append(dir + "/part\(k)")
        }
        let merge = try TokkiExecutable.run(["merge"] + parts + ["--output-prefix", dir + "/merged"])
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(try Self.bytes(dir + "/merged.bin") == Self.bytes(dir + "/all.bin"))
        #expect(try Self.bytes(dir + "/merged.idx") == Self.bytes(dir + "/all.idx"))
        // Shards are not all empty.
        #expect(try parts.allSatisfy { try MegatronDataset(prefix: $0).count > 0 })
        // Errors: a bad shard, stdin shards, a missing part.
        #expect(try TokkiExecutable.run(["prepare", "--input", input, "--output-prefix", dir + "/x", "--shard", "4/4"]).status == 64)
        #expect(try TokkiExecutable.run(["prepare", "--model", Self.vocab, "--output-prefix", dir + "/x", "--shard", "0/2"], stdin: Data("a\n".utf8)).status == 64)
        #expect(try TokkiExecutable.run(["merge", dir + "/nope", "--output-prefix", dir + "/y"]).status == 66)
    }
}
