import Testing
@testable import TokkiCLI
import TokkiObjectives
import TokkiTestSupport

/// The document loop of `tokki batch`: once --max-batches is reached, documents that were
/// encoded ahead (on other threads) are neither fed nor counted, so the closing message is the
/// same for any thread count; and the counts add up to what the builder made.
@Suite("Batch run")
struct BatchRunTests {
    static func run(limit: Int?) throws -> BatchRun<CausalLanguageModeling.Builder> {
        var c = CausalLanguageModeling.Configuration()
        c.sequenceLength = 2
        c.remainder = .pad
        let builder = CausalLanguageModeling.Builder(try CausalLanguageModeling(c, tokens: TestVocabulary.tokens))
        return BatchRun(builder: builder, batchSize: 2, limit: limit, writer: nil, planned: nil, spool: nil,
                        progress: Progress(quiet: true))
    }

    static let documents = PropertyCorpus.documents([3, 1, 4, 1, 5, 9, 2, 6], seed: 2).map { Document(ids: $0) }

    @Test func documentsEncodedAheadAreNotFedOnceTheLimitIsReached() throws {
        var run = try Self.run(limit: 2)
        // Rows of 2 tokens: 3 tokens + EOS make 2 rows, 1 + EOS one, 4 + EOS three (the last
        // open): the second batch of two rows is complete with the third document.
        #expect(try !run.consume([.success(Array(Self.documents[0..<4]))]))
        #expect(run.counts.batches == 2)
        #expect(run.counts.rows == 4)
        let fed = run.counts.documents, pending = run.builder.pendingRows
        #expect(fed == 3)
        // The next results (encoded ahead on another worker) come in after the stop.
        #expect(try !run.consume([.success(Array(Self.documents[4...]))]))
        #expect(run.counts.documents == fed)
        #expect(run.builder.pendingRows == pending)
    }

    @Test func withoutALimitEveryDocumentIsFedAndCounted() throws {
        var run = try Self.run(limit: nil)
        #expect(try run.consume([.success(Array(Self.documents[0..<4])), .success(Array(Self.documents[4...]))]))
        #expect(run.counts.documents == Self.documents.count)
        run.builder.finishInput()
        #expect(try run.drain(final: true))
        // Every token and its EOS, two per row (pad: a document starts a fresh row when it does not fit).
        var reference = CausalLanguageModeling.Builder(run.builder.objective)
        let batches = try drain(&reference, documents: Self.documents, batchSize: 2)
        #expect(run.counts.batches == batches.count)
        #expect(run.counts.rows == batches.reduce(0) { $0 + $1.rows })
    }
}
