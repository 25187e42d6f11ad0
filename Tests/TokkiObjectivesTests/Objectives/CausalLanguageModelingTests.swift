import Testing
@testable import TokkiObjectives
import TokkiTestSupport

@Suite("Causal LM packing")
struct CausalLanguageModelingTests {
    static func build(_ c: CausalLanguageModeling.Configuration, _ docs: [[Int32]], batch: Int = 4) throws -> [Batch] {
        var b = CausalLanguageModeling.Builder(try CausalLanguageModeling(c, tokens: TestVocabulary.tokens))
        for d in docs { try b.append(Document(ids: d)) }
        b.finishInput()
        var out: [Batch] = []
        while let x = b.nextBatch(maxRows: batch, threads: 1) { out.append(x) }
        return out
    }

    static let docs: [[Int32]] = [5, 30, 1, 12, 64, 3, 0, 40].enumerated().map { TestVocabulary.document($0.element, seed: UInt64($0.offset)) }

    @Test func carryOverKeepsEveryTokenWithEOSBetweenDocuments() throws {
        var c = CausalLanguageModeling.Configuration()
        c.sequenceLength = 16
        let batches = try Self.build(c, Self.docs)
        var stream: [Int32] = []
        for b in batches {
            let ids = b["input_ids"]!, mask = b["attention_mask"]!
            for (id, m) in zip(ids.values, mask.values) where m == 1 { stream.append(id) }
        }
        // The empty document adds nothing (no lone EOS).
        #expect(stream == Self.docs.filter { !$0.isEmpty }.flatMap { $0 + [2] })
        // Only the last row has padding; labels equal the inputs except on padding.
        let all = batches.flatMap { b in (0..<b.rows).map { (Array(b["input_ids"]!.row($0)), Array(b["labels"]!.row($0)), Array(b["attention_mask"]!.row($0))) } }
        for (k, (ids, labels, mask)) in all.enumerated() {
            if k < all.count - 1 { #expect(!mask.contains(0)) }
            for i in 0..<16 { #expect(labels[i] == (mask[i] == 1 ? ids[i] : -100)) }
        }
    }

    @Test func positionsSegmentsAndBoundariesAgree() throws {
        var c = CausalLanguageModeling.Configuration()
        c.sequenceLength = 16
        c.crossDocumentLabels = false
        for b in try Self.build(c, Self.docs, batch: 3) {
            let pos = b["position_ids"]!, seg = b["segment_ids"]!, labels = b["labels"]!, cu = b["cu_seqlens"]!.values
            var boundaries: [Int32] = [0]
            for r in 0..<b.rows {
                let p = Array(pos.row(r)), s = Array(seg.row(r)), l = Array(labels.row(r))
                for i in 0..<16 {
                    let starts = i == 0 || s[i] != s[i - 1]
                    if starts && i > 0 { boundaries.append(Int32(r * 16 + i)) }
                    if s[i] != 0 { #expect(p[i] == (starts ? 0 : p[i - 1] + 1)) }
                    // No cross-document label: a document's first token in a row (not the row's
                    // first) has label −100.
                    if starts && i > 0 && s[i] != 0 { #expect(l[i] == -100) }
                }
                boundaries.append(Int32((r + 1) * 16))
            }
            #expect(cu == boundaries)
            #expect(cu.first == 0 && cu.last == Int32(b.rows * 16))
        }
    }

    @Test func padPolicyNeverSplitsADocumentThatFitsARow() throws {
        var c = CausalLanguageModeling.Configuration()
        c.sequenceLength = 16
        c.remainder = .pad
        let batches = try Self.build(c, Self.docs)
        for b in batches {
            let ids = b["input_ids"]!, seg = b["segment_ids"]!
            for r in 0..<b.rows {
                // Every row but those of the 30- and 64-token documents starts a document.
                let row = Array(ids.row(r)), s = Array(seg.row(r))
                let firstSegment = Array(zip(row, s).prefix { $0.1 == 1 }.map(\.0))
                let starts = Self.docs.contains { d in d.count + 1 <= 16 && Array((d + [2]).prefix(firstSegment.count)) == firstSegment }
                let piece = Self.docs.contains { d in d.count + 1 > 16 && (d + [2]).indices.contains { k in Array((d + [2]).dropFirst(k).prefix(firstSegment.count)) == firstSegment } }
                #expect(starts || piece)
            }
        }
    }

    @Test func dropPolicyTruncatesAndCounts() throws {
        var c = CausalLanguageModeling.Configuration()
        c.sequenceLength = 16
        c.remainder = .drop
        var b = CausalLanguageModeling.Builder(try CausalLanguageModeling(c, tokens: TestVocabulary.tokens))
        try b.append(Document(ids: TestVocabulary.document(10, seed: 1)))  // 11 with EOS
        try b.append(Document(ids: TestVocabulary.document(10, seed: 2)))  // 5 fit, 6 dropped
        #expect(b.pendingRows == 1 && b.droppedTokens == 6)
    }

    @Test func bosAndErrors() throws {
        var c = CausalLanguageModeling.Configuration()
        c.sequenceLength = 8
        c.addBOS = true
        let batches = try Self.build(c, [[200, 201]])
        #expect(Array(batches[0]["input_ids"]!.row(0).prefix(4)) == [1, 200, 201, 2])
        var noEOS = TestVocabulary.tokens
        noEOS.eos = nil
        #expect(throws: ObjectiveError.self) { try CausalLanguageModeling(.init(), tokens: noEOS) }
        var one = CausalLanguageModeling.Configuration()
        one.sequenceLength = 1
        #expect(throws: ObjectiveError.sequenceTooShort(length: 1, minimum: 2, objective: "causal-LM")) {
            try CausalLanguageModeling(one, tokens: TestVocabulary.tokens)
        }
        // Rows of 2^30 tokens or more are refused (int32 positions; the builder's document mark).
        var huge = CausalLanguageModeling.Configuration()
        huge.sequenceLength = 1 << 30
        #expect(throws: ObjectiveError.self) { try CausalLanguageModeling(huge, tokens: TestVocabulary.tokens) }
        huge.sequenceLength = (1 << 30) - 1
        #expect(throws: Never.self) { try CausalLanguageModeling(huge, tokens: TestVocabulary.tokens) }
    }
}
