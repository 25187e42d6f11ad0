import Foundation
import Testing
import Tokki
@testable import TokkiData
@testable import TokkiObjectives
import TokkiTestSupport

/// The safetensors writer that writes each tensor in place from a planned layout: the same
/// bytes as the spooling writer, through its staging (tensors larger than a stage, many stages),
/// and a clear error, with nothing left behind, when the batches do not match the plan.
@Suite("Planned safetensors writer")
struct PlannedSafetensorsTests {
    static func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "tokki-planned-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Batches of two tensors of different widths and a ragged `cu_seqlens`.
    static func batches(_ rows: [Int], width: Int) -> [Batch] {
        var rng = SplitMixGenerator(seed: 7)
        var sample: UInt64 = 0
        return rows.map { n in
            let ids = (0..<(n * width)).map { _ in Int32(truncatingIfNeeded: rng.next() % 70_000) - 100 }
            let mask = (0..<(n * 3)).map { Int32($0 % 2) }
            let cu = [0] + (1...max(1, n)).map { Int32($0 * width) }
            defer { sample += UInt64(n) }
            return Batch(tensors: [Tensor(name: "input_ids", shape: [n, width], values: ids),
                                   Tensor(name: "small", shape: [n, 3], values: mask),
                                   Tensor(name: "cu_seqlens", shape: [cu.count], values: cu)],
                         rows: n, firstSample: sample)
        }
    }

    static func layout(_ batches: [Batch]) -> SafetensorsLayout {
        var layout = SafetensorsLayout()
        for b in batches { layout.add(b.tensors.map { TensorShape(name: $0.name, shape: $0.shape) }) }
        return layout
    }

    /// Small batches that fill several 4 MB stages, then one batch larger than a stage, then
    /// small ones again, in int64 and int32: byte for byte the spooling writer's file.
    @Test(arguments: [ElementType.int64, .int32])
    func sameBytesAsTheSpoolingWriterAcrossStages(_ type: ElementType) throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let width = 1000
        // 1,300 rows of 8 KB (int64) before the large batch: more than two stages.
        let rows = Array(repeating: 13, count: 100) + [700] + Array(repeating: 5, count: 30) + [1]
        let batches = Self.batches(rows, width: width)
        let planned = try SafetensorsPlannedWriter(path: dir + "/p.safetensors", type: type,
                                                   metadata: [("k", "v")], layout: Self.layout(batches))
        let spooled = SafetensorsBatchWriter(path: dir + "/s.safetensors", type: type, metadata: [("k", "v")])
        for b in batches {
            try planned.append(b)
            try spooled.append(b)
        }
        try planned.finish()
        try spooled.finish()
        let p = try readFileBytes(dir + "/p.safetensors"), s = try readFileBytes(dir + "/s.safetensors")
        #expect(p.count == s.count && p.count > 6 << 20)
        #expect(p == s)
        let read = try TensorFiles.readSafetensors(dir + "/p.safetensors")
        #expect(read["input_ids"]?.shape == [rows.reduce(0, +), width])
        #expect(read["input_ids"]?.values == batches.flatMap { $0.tensors[0].values.map(Int64.init) })
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["p.safetensors", "s.safetensors"])
    }

    /// Batches that do not match the plan fail with an error naming the tensor, and neither the
    /// destination nor a temporary file remains.
    @Test func batchesThatDoNotMatchThePlanFail() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let batches = Self.batches([4, 4, 2], width: 16)
        let out = dir + "/o.safetensors"

        // One batch more than planned.
        let more = try SafetensorsPlannedWriter(path: out, type: .int64, layout: Self.layout(Array(batches.prefix(2))))
        var error: DataError?
        do { for b in batches { try more.append(b) } } catch let e { error = e; more.abort() }
        #expect(error?.description.contains("more values than its planned shape") == true, "\(String(describing: error))")

        // One batch fewer: finish refuses.
        let fewer = try SafetensorsPlannedWriter(path: out, type: .int64, layout: Self.layout(batches))
        for b in batches.prefix(2) { try fewer.append(b) }
        error = nil
        do { try fewer.finish() } catch let e { error = e }
        #expect(error?.description.contains("fewer values than its planned shape") == true, "\(String(describing: error))")

        // A tensor the plan does not have.
        let other = try SafetensorsPlannedWriter(path: out, type: .int64, layout: Self.layout(batches))
        error = nil
        do {
            try other.append(Batch(tensors: [Tensor(name: "labels", shape: [1, 2], values: [1, 2])], rows: 1, firstSample: 0))
        } catch let e { error = e; other.abort() }
        #expect(error?.description.contains("'labels' is not in the planned layout") == true, "\(String(describing: error))")

        // No plan at all.
        let unplanned = try SafetensorsPlannedWriter(path: out, type: .int64)
        error = nil
        do { try unplanned.finish() } catch let e { error = e }
        #expect(error?.description.contains("no layout was planned") == true)

        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)

        // A destination that is not a regular file cannot be written in place.
        error = nil
        do { _ = try SafetensorsPlannedWriter(path: "/dev/null", type: .int64) } catch let e { error = e }
        #expect(error?.description.contains("not a regular file") == true)
    }

    /// The masked-LM builder's own `nextBatchShapes` (no masking) gives the shapes `nextBatch`
    /// gives, and leaves the builder where `nextBatch` would: batches built after planned ones
    /// are the batches a builder that built every batch gives.
    @Test(arguments: [false, true])
    func maskedLMShapesMatchItsBatches(_ withWords: Bool) throws {
        var c = MaskedLanguageModeling.Configuration()
        c.sequenceLength = 24
        c.padToMultipleOf = 16
        c.seed = 5
        let objective = try MaskedLanguageModeling(c, tokens: TestVocabulary.tokens)
        let docs = PropertyCorpus.documents([0, 1, 23, 24, 60, 7, 100, 3], seed: 9).map { ids in
            Document(ids: ids, wordIDs: withWords ? ids.indices.map { Int32($0 / 3) } : nil)
        }
        var full = MaskedLanguageModeling.Builder(objective)
        let batches = try drain(&full, documents: docs, batchSize: 3)
        #expect(batches.count > 4)
        // Shapes for the first half, real batches for the rest.
        var mixed = MaskedLanguageModeling.Builder(objective)
        for d in docs { try mixed.append(d) }
        mixed.finishInput()
        let half = batches.count / 2
        for k in 0..<half {
            let shapes = mixed.nextBatchShapes(maxRows: 3)
            #expect(shapes == batches[k].tensors.map { TensorShape(name: $0.name, shape: $0.shape) })
        }
        for k in half..<batches.count {
            let batch = mixed.nextBatch(maxRows: 3, threads: 1)
            #expect(batch == batches[k])
        }
        let after = mixed.nextBatchShapes(maxRows: 3)
        #expect(after == nil)
    }

    /// The causal builder counts its shapes without building the batch (`cu_seqlens` from the
    /// rows' segment counts and padding): the shapes `nextBatch` gives, for every remainder
    /// policy, with and without BOS/EOS, the shortest rows (2 and 3 tokens) and documents longer
    /// than a row, and the builder is left where `nextBatch` would leave it.
    @Test(arguments: [CausalLanguageModeling.Remainder.carryOver, .pad, .drop])
    func causalShapesMatchItsBatches(_ remainder: CausalLanguageModeling.Remainder) throws {
        for length in [2, 3, 5, 24] {
            for (bos, eos) in [(false, true), (true, true), (false, false)] {
                var c = CausalLanguageModeling.Configuration()
                c.sequenceLength = length
                c.remainder = remainder
                c.addBOS = bos
                c.addEOS = eos
                c.resetPositionIDs = length != 5
                let objective = try CausalLanguageModeling(c, tokens: TestVocabulary.tokens)
                let docs = PropertyCorpus.documents([0, 1, 23, 24, 60, 7, 100, 3, 2, 2, 1], seed: 4).map { Document(ids: $0) }
                var full = CausalLanguageModeling.Builder(objective)
                let batches = try drain(&full, documents: docs, batchSize: 3)
                #expect(!batches.isEmpty)
                var mixed = CausalLanguageModeling.Builder(objective)
                for d in docs { try mixed.append(d) }
                mixed.finishInput()
                // Shapes for every other batch, real batches between them.
                for (k, batch) in batches.enumerated() {
                    if k % 2 == 0 {
                        let shapes = mixed.nextBatchShapes(maxRows: 3)
                        #expect(shapes == batch.tensors.map { TensorShape(name: $0.name, shape: $0.shape) },
                                "length \(length), BOS \(bos), EOS \(eos), batch \(k)")
                    } else {
                        #expect(mixed.nextBatch(maxRows: 3, threads: 1) == batch, "length \(length), batch \(k)")
                    }
                }
                #expect(mixed.nextBatchShapes(maxRows: 3) == nil)
            }
        }
    }
}
