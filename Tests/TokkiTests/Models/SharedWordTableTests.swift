import Foundation
import Testing
@testable import Tokki
import TokkiTestSupport

/// The word table a tokenizer's threads share (``SharedWordTable``): every thread, however
/// the words fall between them, gets the reference's ids; when the table is full the threads
/// go on with caches of their own; and a scratch used with another tokenizer does not
/// replay the first one's words.
@Suite("Shared word table")
struct SharedWordTableTests {
    /// The fixture's inputs with the reference's ids (from `sentencepiece`), one line each:
    /// repeated a few times, so that words recur (hits) across threads.
    static func cases(_ model: String) throws -> [(text: [UInt8], ids: [Int32])] {
        let inputs = try SentencePieceFixtures.inputs()
        let expected = try JSONDecoder().decode(SPExpected.self, from: Fixtures.data("sentencepiece/\(model).expected.json"))
        let one = expected.cases.compactMap { c -> (text: [UInt8], ids: [Int32])? in
            guard let text = inputs[c.name], !text.contains("\n") else { return nil }
            return (Array(text.utf8), c.ids.map(Int32.init))
        }
        return Array(repeating: one, count: 3).flatMap { $0 }
    }

    static func tokenizer(_ model: String, tables: SharedWordTables) throws -> SentencePieceTokenizer {
        var t = try SentencePieceTokenizer(contentsOf: Fixtures.url("sentencepiece/\(model).model"))
        t.wordTables = tables
        return t
    }

    /// Encodes every case on `threads` threads, each with its own scratch and its own order
    /// of the cases, and returns the mismatches.
    static func mismatches(_ tokenizer: SentencePieceTokenizer, _ cases: [(text: [UInt8], ids: [Int32])], threads: Int) -> Int {
        let counts = (0..<threads).map { _ in TaskResult<Int>() }
        Parallelism.run(tasks: threads, threads: threads) { w in
            var scratch = tokenizer.makeScratch()
            var wrong = 0
            var ids: [Int32] = []
            // Thread w starts at a different case and strides differently.
            for k in 0..<cases.count {
                let c = cases[(k * (2 * w + 1) + 7 * w) % cases.count]
                ids.removeAll(keepingCapacity: true)
                c.text.withUnsafeBufferPointer { tokenizer.encodeIDs($0, into: &ids, scratch: &scratch) }
                if ids != c.ids { wrong += 1 }
            }
            counts[w].value = wrong
        }
        return counts.reduce(0) { $0 + ($1.value ?? 1) }
    }

    static let models = ["bpe_nfkc", "unigram_nfkc", "unigram_identity_bf", "bpe_identity_bf", "unigram_keep_ws"]

    @Test(arguments: models)
    func threadsSharingTheTableGetTheReferenceIDs(_ model: String) throws {
        let cases = try Self.cases(model)
        #expect(cases.count > 100)
        let tokenizer = try Self.tokenizer(model, tables: SharedWordTables())
        #expect(Self.mismatches(tokenizer, cases, threads: 4) == 0)
        // The words went into the shared tables.
        #expect(tokenizer.wordTables.normalized.view.counters[SharedWordTable.counterStride].load(ordering: .relaxed)
                + tokenizer.wordTables.raw.view.counters[SharedWordTable.counterStride].load(ordering: .relaxed) > 0)
    }

    @Test(arguments: models)
    func aFullTableLeavesTheRestToEachThreadsCache(_ model: String) throws {
        let cases = try Self.cases(model)
        // Room for 8 words (or less than 100 UInt32s of records): full almost at once.
        for (slots, pool) in [(16, 1 << 20), (1 << 12, 100), (2, 1)] {
            let tables = SharedWordTables(slotCount: slots, poolCapacity: pool)
            let tokenizer = try Self.tokenizer(model, tables: tables)
            #expect(Self.mismatches(tokenizer, cases, threads: 3) == 0, "slots \(slots), pool \(pool)")
            #expect(tables.normalized.view.isFull || tables.raw.view.isFull, "slots \(slots), pool \(pool)")
        }
    }

    @Test func aScratchMovedToAnotherTokenizerForgetsTheFirstOnesWords() throws {
        let a = try SentencePieceTokenizer(contentsOf: Fixtures.url("sentencepiece/bpe_nfkc.model"))
        let b = try SentencePieceTokenizer(contentsOf: Fixtures.url("sentencepiece/unigram_nfkc.model"))
        let casesA = try Self.cases("bpe_nfkc"), casesB = try Self.cases("unigram_nfkc")
        var scratch = a.makeScratch()
        var ids: [Int32] = []
        for c in casesA.prefix(40) { c.text.withUnsafeBufferPointer { a.encodeIDs($0, into: &ids, scratch: &scratch) } }
        var wrong = 0
        for c in casesB.prefix(40) {
            ids.removeAll()
            c.text.withUnsafeBufferPointer { b.encodeIDs($0, into: &ids, scratch: &scratch) }
            if ids != c.ids { wrong += 1 }
        }
        #expect(wrong == 0)
    }

    /// tiktoken models also remember recent merges per scratch: moved to a model with other
    /// ranks, the scratch must not replay the first model's merges.
    @Test func aScratchMovedToAnotherRankFileForgetsTheFirstOnesMerges() throws {
        let full = Fixtures.url("tiktoken/korean-sample.tiktoken")
        let a = try TiktokenTokenizer(contentsOf: full, pattern: PretokenizationPattern.cl100k)
        // The same file (600 ranks) cut to its first 320: the bytes and the first merges only.
        let lines = try String(contentsOf: full, encoding: .utf8).split(separator: "\n").prefix(320)
        let cut = FileManager.default.temporaryDirectory.appendingPathComponent("cut-\(UInt32.random(in: 0...UInt32.max)).tiktoken")
        defer { try? FileManager.default.removeItem(at: cut) }
        try (lines.joined(separator: "\n") + "\n").write(to: cut, atomically: true, encoding: .utf8)
        let b = try TiktokenTokenizer(contentsOf: cut, pattern: PretokenizationPattern.cl100k)
        let texts = ["대한민국 헌법 제1조 ① 대한민국은 민주공화국이다.", "모든 국민은 법률이 정하는 바에 의하여 납세의 의무를 진다.",
                     "국회는 국민의 보통·평등·직접·비밀선거에 의하여 선출된 국회의원으로 구성한다."].map { Array($0.utf8) }
        func encode(_ t: TiktokenTokenizer, _ text: [UInt8], _ scratch: inout HuggingFaceTokenizer.Scratch) throws -> [Int32] {
            var ids: [Int32] = []
            try text.withUnsafeBufferPointer { try t.encodeIDs($0, into: &ids, scratch: &scratch, options: EncodeOptions()) }
            return ids
        }
        var shared = a.makeScratch()
        var differ = 0
        for text in texts {
            var fresh = b.makeScratch()
            let alone = try encode(b, text, &fresh)
            if try encode(a, text, &shared) != alone { differ += 1 }
        }
        #expect(differ == texts.count, "the two rank files must segment these texts differently")
        for text in texts {
            var fresh = b.makeScratch()
            #expect(try encode(b, text, &shared) == encode(b, text, &fresh))
        }
    }

    @Test func recordsKeepSpansScoresAndKey() {
        let key = Array("▁대한민국".utf8)
        let spans = [TokenSpan(start: 10, end: 16, id: 7), TokenSpan(start: 16, end: 22, id: 9), TokenSpan(start: 22, end: 25, id: 3)]
        let size = WordRecord.size(keyLength: key.count, spans: spans.count)
        var record = [UInt32](repeating: 0xFFFF_FFFF, count: size)
        record.withUnsafeMutableBufferPointer { r in
            key.withUnsafeBufferPointer { k in
                WordRecord.write(r, k.baseAddress!, k.count, spans: spans[...], offset: 10, gap: 0.5, deviation: 0.25,
                                 score: { Float($0.id) / 2 })
            }
        }
        record.withUnsafeBufferPointer { r in
            key.withUnsafeBufferPointer { k in
                #expect(WordRecord.matches(r.baseAddress!, k.baseAddress!, k.count))
                #expect(!WordRecord.matches(r.baseAddress!, k.baseAddress!, k.count - 1))
            }
            #expect(WordRecord.gapAndDeviation(r.baseAddress!) == (0.5, 0.25))
            var out: [TokenSpan] = []
            var running: Float = 1
            WordRecord.appendSpans(r.baseAddress!, base: 100, to: &out, running: &running)
            #expect(out == spans.map { TokenSpan(start: $0.start - 10 + 100, end: $0.end - 10 + 100, id: $0.id) })
            #expect(running == 1 + 3.5 + 4.5 + 1.5)
        }
    }

    /// Hugging Face models (BPE, byte-level BPE, Unigram, WordPiece) cache pre-tokens in the
    /// same shared table: threads sharing it, with a roomy or a tiny table, get the ids the
    /// reference gave.
    @Test(arguments: ["bytelevel_bpe", "metaspace_bpe_bf", "unigram", "wordpiece_bert"])
    func huggingFaceThreadsSharingTheTableGetTheReferenceIDs(_ name: String) throws {
        let expected = try Fixtures.json("hf/\(name).expected.json") as? [String: Any]
        let texts = try HuggingFaceTokenizerParityTests.texts()
        var cases: [(text: [UInt8], ids: [Int32])] = []
        for c in expected?["cases"] as? [[String: Any]] ?? [] {
            guard let caseName = c["name"] as? String, let text = texts[caseName], let ids = c["ids"] as? [Int] else { continue }
            cases.append((Array(text.utf8), ids.map(Int32.init)))
        }
        #expect(cases.count > 20)
        let all = Array(repeating: cases, count: 3).flatMap { $0 }
        for tables in [SharedWordTables(), SharedWordTables(slotCount: 8, poolCapacity: 64)] {
            var tokenizer = try HuggingFaceTokenizer(contentsOf: Fixtures.url("hf/\(name).json"))
            tokenizer.pieceTables = tables
            let counts = (0..<3).map { _ in TaskResult<Int>() }
            Parallelism.run(tasks: 3, threads: 3) { w in
                var scratch = HuggingFaceTokenizer.Scratch()
                var wrong = 0
                var ids: [Int32] = []
                for k in 0..<all.count {
                    let c = all[(k * (2 * w + 1) + 5 * w) % all.count]
                    ids.removeAll(keepingCapacity: true)
                    do { try c.text.withUnsafeBufferPointer { try tokenizer.encodeIDs($0, into: &ids, scratch: &scratch) } } catch { wrong += 1 }
                    if ids != c.ids { wrong += 1 }
                }
                counts[w].value = wrong
            }
            #expect(counts.reduce(0) { $0 + ($1.value ?? 1) } == 0, "\(name)")
            #expect(tables.normalized.view.counters[SharedWordTable.counterStride].load(ordering: .relaxed) > 0)
        }
    }
}
