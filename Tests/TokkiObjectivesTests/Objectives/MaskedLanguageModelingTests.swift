import Foundation
import Testing
@testable import TokkiObjectives
import TokkiTestSupport

@Suite("Masked LM")
struct MaskedLanguageModelingTests {
    static func rows(_ count: Int, length: Int = 510) -> [[Int32]] {
        (0..<count).map { [1] + TestVocabulary.document(length, seed: UInt64($0)) + [2] }
    }

    @Test func maskedFractionAndTheEightyTenTenSplitAreWithinBinomialBounds() throws {
        let objective = try MaskedLanguageModeling(.init(), tokens: TestVocabulary.tokens)
        let rows = Self.rows(200)
        let batch = objective.batch(rows, firstSample: 0)
        let input = batch["input_ids"]!, labels = batch["labels"]!
        var selected = 0, masked = 0, random = 0, kept = 0
        for r in 0..<200 {
            for (i, label) in labels.row(r).enumerated() where label != -100 {
                selected += 1
                #expect(label == rows[r][i])
                let now = input.row(r)[input.row(r).startIndex + i]
                if now == 4 { masked += 1 } else if now == label { kept += 1 } else { random += 1 }
            }
        }
        // n = 102,000 maskable tokens, p = 0.15: mean 15,300, σ ≈ 114; allow 4σ.
        let n = 200.0 * 510
        #expect(abs(Double(selected) - n * 0.15) < 4 * (n * 0.15 * 0.85).squareRoot())
        let s = Double(selected)
        #expect(abs(Double(masked) - 0.8 * s) < 4 * (s * 0.8 * 0.2).squareRoot())
        #expect(abs(Double(random) - 0.1 * s) < 4 * (s * 0.1 * 0.9).squareRoot())
        #expect(abs(Double(kept) - 0.1 * s) < 4 * (s * 0.1 * 0.9).squareRoot() + 0.001 * s)
    }

    @Test func specialTokensAndPaddingAreNeverMaskedNorUsedAsReplacements() throws {
        var c = MaskedLanguageModeling.Configuration()
        c.mlmProbability = 0.9
        c.maskReplaceProbability = 0
        c.randomReplaceProbability = 1
        let objective = try MaskedLanguageModeling(c, tokens: TestVocabulary.tokens)
        // Rows of different lengths with special tokens inside: padding fills the short ones.
        let rows: [[Int32]] = (0..<50).map { k in [1] + TestVocabulary.document(20 + k, seed: UInt64(k)) + [7, 2] }
        let b = objective.batch(rows, firstSample: 0)
        let input = b["input_ids"]!, labels = b["labels"]!, attention = b["attention_mask"]!
        #expect(input.shape == [50, 72])
        for r in 0..<50 {
            for (i, (id, label)) in zip(input.row(r), labels.row(r)).enumerated() {
                let original = i < rows[r].count ? rows[r][i] : 0
                if original < TestVocabulary.firstOrdinary {
                    #expect(label == -100 && id == original)  // special or pad: untouched
                } else if label != -100 {
                    #expect(id >= TestVocabulary.firstOrdinary && !(997...999).contains(id))  // random: ordinary
                }
                #expect(attention.row(r)[attention.row(r).startIndex + i] == (i < rows[r].count ? 1 : 0))
            }
        }
    }

    @Test func exactCountSelectsRoundNPTokensPerRow() throws {
        var c = MaskedLanguageModeling.Configuration()
        c.selection = .exactCount
        let objective = try MaskedLanguageModeling(c, tokens: TestVocabulary.tokens)
        let rows = (0..<30).map { k in [1] + TestVocabulary.document(100 + k, seed: UInt64(k)) + [2] }
        let b = objective.batch(rows, firstSample: 0)
        for r in 0..<30 {
            let n = Double(100 + r)
            let want = max(1, Int((n * 0.15).rounded(.toNearestOrEven)))
            #expect(b["labels"]!.row(r).filter { $0 != -100 }.count == want)
        }
    }

    @Test func wholeWordsAreSelectedTogether() throws {
        for selection in MaskedLanguageModeling.Selection.allCases {
            var c = MaskedLanguageModeling.Configuration()
            c.wholeWord = .explicit
            c.selection = selection
            c.mlmProbability = 0.3
            let objective = try MaskedLanguageModeling(c, tokens: TestVocabulary.tokens)
            var rows: [[Int32]] = [], words: [[Int32]] = []
            for k in 0..<40 {
                let ids = TestVocabulary.document(60, seed: UInt64(k))
                // Words of 1–4 tokens.
                var w: [Int32] = [], word: Int32 = 0, left = 0
                var rng = CounterRNG(seed: 77, index: UInt64(k))
                for _ in ids { if left == 0 { word += 1; left = 1 + rng.below(4) }; w.append(word); left -= 1 }
                rows.append([1] + ids + [2]); words.append([-1] + w + [-1])
            }
            let b = objective.batch(rows, wordIDs: words, firstSample: 0)
            var any = false
            for r in 0..<40 {
                let labels = Array(b["labels"]!.row(r))
                var state: [Int32: Bool] = [:]
                for (i, w) in words[r].enumerated() where w >= 0 {
                    let m = labels[i] != -100
                    any = any || m
                    if let s = state[w] { #expect(s == m, "word \(w) partly masked") } else { state[w] = m }
                }
                if selection == .exactCount {
                    // Never over the budget.
                    #expect(labels.filter { $0 != -100 }.count <= Int((60 * 0.3).rounded(.toNearestOrEven)))
                }
            }
            #expect(any)
        }
    }

    @Test func wordStartMarkersGroupPieces() throws {
        // Ids ≥ 500 continue a word (like "##" pieces); the rest start one.
        var table = [Bool](repeating: true, count: TestVocabulary.size)
        for i in 500..<TestVocabulary.size { table[i] = false }
        var c = MaskedLanguageModeling.Configuration()
        c.wholeWord = .wordStarts(table)
        c.mlmProbability = 0.4
        let objective = try MaskedLanguageModeling(c, tokens: TestVocabulary.tokens)
        let rows = (0..<30).map { [1] + TestVocabulary.document(80, seed: UInt64($0)) + [2] }
        let b = objective.batch(rows, firstSample: 0)
        for r in 0..<30 {
            let labels = Array(b["labels"]!.row(r))
            for i in 2..<(rows[r].count - 1) where rows[r][i] >= 500 && rows[r][i - 1] >= TestVocabulary.firstOrdinary {
                #expect((labels[i] != -100) == (labels[i - 1] != -100))
            }
        }
    }

    @Test func spanMaskingRespectsTheBudgetAndMasksRuns() throws {
        var c = MaskedLanguageModeling.Configuration()
        c.spanMasking = .init()
        let objective = try MaskedLanguageModeling(c, tokens: TestVocabulary.tokens)
        let rows = Self.rows(100, length: 200)
        let b = objective.batch(rows, firstSample: 0)
        var runs = 0, selected = 0
        for r in 0..<100 {
            let labels = Array(b["labels"]!.row(r))
            let count = labels.filter { $0 != -100 }.count
            #expect(count <= 30 && count >= 20)  // budget round(200 · 0.15) = 30
            selected += count
            runs += (0..<labels.count).filter { labels[$0] != -100 && ($0 == 0 || labels[$0 - 1] == -100) }.count
        }
        // Spans are runs: far fewer runs than tokens (token-level masking would give ≈ 0.85 per token).
        #expect(Double(selected) / Double(runs) > 2.5)
    }

    @Test func builderOutputDoesNotDependOnBatchSizeOrThreads() throws {
        var c = MaskedLanguageModeling.Configuration()
        c.sequenceLength = 64
        c.seed = 11
        let objective = try MaskedLanguageModeling(c, tokens: TestVocabulary.tokens)
        /// Every row in order: its input ids followed by its labels.
        func run(batch: Int, threads: Int) throws -> [[Int32]] {
            var b = MaskedLanguageModeling.Builder(objective)
            for k in 0..<50 { try b.append(Document(ids: TestVocabulary.document(10 + 7 * k, seed: UInt64(k)))) }
            b.finishInput()
            var rows: [[Int32]] = []
            while let x = b.nextBatch(maxRows: batch, threads: threads) {
                let ids = try #require(x["input_ids"]).values, labels = try #require(x["labels"]).values
                #expect(ids.count == labels.count && ids.count % 64 == 0 && ids.count / 64 <= batch)
                for r in stride(from: 0, to: ids.count, by: 64) { rows.append(Array(ids[r..<r + 64]) + Array(labels[r..<r + 64])) }
            }
            return rows
        }
        let a = try run(batch: 32, threads: 1)
        let one = try run(batch: 1, threads: 1)
        let many = try run(batch: 7, threads: 4)
        #expect(a.count > 40)
        // The same rows in the same order, whatever the batch size and thread count.
        #expect(a == one && one == many)
        // A long document continues in the next row: no token is lost.
        var b = MaskedLanguageModeling.Builder(objective)
        try b.append(Document(ids: TestVocabulary.document(200, seed: 1)))
        #expect(b.pendingRows == 4)  // 62 tokens per row
    }

    @Test func configurationErrors() {
        var noMask = TestVocabulary.tokens
        noMask.mask = nil
        #expect(throws: ObjectiveError.missingToken("mask token (<mask> or [MASK])", objective: "masked-LM")) {
            try MaskedLanguageModeling(.init(), tokens: noMask)
        }
        var bad = MaskedLanguageModeling.Configuration()
        bad.maskReplaceProbability = 0.95
        bad.randomReplaceProbability = 0.1
        #expect(throws: ObjectiveError.self) { try MaskedLanguageModeling(bad, tokens: TestVocabulary.tokens) }
        var short = MaskedLanguageModeling.Configuration()
        short.sequenceLength = 2
        #expect(throws: ObjectiveError.sequenceTooShort(length: 2, minimum: 3, objective: "masked-LM")) {
            try MaskedLanguageModeling(short, tokens: TestVocabulary.tokens)
        }
        var b = MaskedLanguageModeling.Builder(try! MaskedLanguageModeling(.init(), tokens: TestVocabulary.tokens))
        #expect(throws: ObjectiveError.idOutOfRange(id: 5000, vocabularySize: 1000)) { try b.append(Document(ids: [5000])) }
    }

    @Test func wordIDsFromOffsetsFollowTheTouchingRule() {
        // "대한민국은 민주공화국이다." as pieces [대한][민국][은] [민주][공화국][이다][.]
        let offsets = [0..<0, 0..<6, 6..<12, 12..<15, 16..<22, 22..<31, 31..<37, 37..<38, 0..<0]
        let special = [true, false, false, false, false, false, false, false, true]
        #expect(WordUnits.fromOffsets(offsets, special: special) == [-1, 0, 0, 0, 1, 1, 1, 1, -1])
        // SentencePiece-style pieces carry the space: "▁대한민국은" 0..<15, "▁민주공화국이다" 15..<37, "." 37..<38.
        let text = Array("대한민국은 민주공화국이다.".utf8)
        let sp = [0..<15, 15..<37, 37..<38]
        #expect(WordUnits.fromOffsets(sp) == [0, 0, 0])  // touching: one word without the text
        #expect(WordUnits.fromOffsets(sp, text: text) == [0, 1, 1])
        #expect(WordUnits.metaspaceStarts(["▁대한", "민국", "▁은"]) == [true, false, true])
        #expect(WordUnits.wordPieceStarts(["un", "##able"]) == [true, false])
    }
}
