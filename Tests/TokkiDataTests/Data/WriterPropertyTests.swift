import Foundation
import Testing
import Tokki
@testable import TokkiData
@testable import TokkiObjectives
import TokkiTestSupport

/// Property tests of the writers (issue #14): batches of every objective, over row lengths from
/// the smallest each accepts to 64, batch sizes 1–5 and tiny, empty and long documents, written
/// as `.npy`, safetensors and JSONL in every element type, read back by an independent reader.
/// A value the type cannot hold is an error, and nothing then exists at the destination.
@Suite("Property: batch writers")
struct WriterPropertyTests {
    enum Kind: String, CaseIterable, Sendable { case npy, safetensors, planned, jsonl }

    struct Case: CustomTestStringConvertible, Sendable {
        let objective: String
        let kind: Kind
        let type: ElementType
        var testDescription: String { "\(objective) → \(kind.rawValue) \(type.rawValue)" }
    }

    static let cases: [Case] = ["mlm", "causal", "span"].flatMap { o in
        Kind.allCases.flatMap { k in
            // JSONL writes numbers (no element type); the binary formats every type.
            (k == .jsonl ? [ElementType.int64] : [.int64, .int32, .int16, .uint16, .uint8]).map { Case(objective: o, kind: k, type: $0) }
        }
    }

    /// A file's text, read with POSIX calls (``readFileBytes(_:)``): Foundation's file reading
    /// leaks its buffer under LeakSanitizer on Linux.
    static func text(_ path: String) throws -> String {
        String(decoding: try readFileBytes(path), as: UTF8.self)
    }

    static func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "tokki-writer-props-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func builder(_ objective: String, length: Int) throws(ObjectiveError) -> any BatchBuilder {
        switch objective {
        case "mlm":
            var c = MaskedLanguageModeling.Configuration()
            c.sequenceLength = length
            c.padToMultipleOf = length % 3 == 0 ? 8 : nil
            return MaskedLanguageModeling.Builder(try MaskedLanguageModeling(c, tokens: TestVocabulary.tokens))
        case "causal":
            var c = CausalLanguageModeling.Configuration()
            c.sequenceLength = length
            c.crossDocumentLabels = length % 2 == 0
            return CausalLanguageModeling.Builder(try CausalLanguageModeling(c, tokens: TestVocabulary.tokens))
        default:
            var c = SpanCorruption.Configuration()
            c.inputLength = length
            c.randomRoll = length % 2 == 0
            return SpanCorruption.Builder(try SpanCorruption(c, tokens: TestVocabulary.tokens))
        }
    }

    @Test(arguments: cases)
    func writtenFilesReadBackOrFailWithoutOutput(_ c: Case) throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lengths = [1, 2, 3, 4, 5, 7, 16, 33, 64]
        var written = 0, refused = 0
        for length in lengths {
            for shape in PropertyCorpus.shapes {
                let docs = PropertyCorpus.documents(shape.lengths, seed: UInt64(length)).map { Document(ids: $0) }
                for batchSize in [1, 2, 5] {
                    var builder: any BatchBuilder
                    do { builder = try Self.builder(c.objective, length: length) } catch { continue }  // too short: refused by the objective
                    let batches = try drain(&builder, documents: docs, batchSize: batchSize)
                    let out = dir + "/out-\(length)-\(shape.name)-\(batchSize)" + (c.kind == .npy ? "" : "." + c.kind.rawValue)
                    let writer: any BatchWriter
                    switch c.kind {
                    case .npy: writer = try NpyDirectoryWriter(directory: out, type: c.type)
                    case .safetensors: writer = SafetensorsBatchWriter(path: out, type: c.type)
                    case .planned:
                        // The layout from the shapes alone, planned on a second builder.
                        var planner = try Self.builder(c.objective, length: length)
                        let layout = try Self.plan(&planner, documents: docs, batchSize: batchSize)
                        #expect(layout.batches == batches.count)
                        writer = try SafetensorsPlannedWriter(path: out, type: c.type, layout: layout)
                    case .jsonl: writer = try JSONLBatchWriter(path: out)
                    }
                    // Every value fits the type, or the writer must refuse.
                    let fits = batches.allSatisfy { b in
                        b.tensors.allSatisfy { t in t.name == "cu_seqlens" || t.values.allSatisfy { Self.fits($0, c.type) } }
                    }
                    var failure: DataError?
                    do {
                        for b in batches { try writer.append(b) }
                        try writer.finish()
                    } catch {
                        failure = error
                        writer.abort()
                    }
                    let label = "\(c), length \(length), \(shape.name), batch \(batchSize)"
                    if batches.isEmpty {
                        // Nothing to write: no tensor files (safetensors: an empty file is allowed).
                        if c.kind == .npy { #expect(((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).isEmpty, "\(label)") }
                        continue
                    }
                    if !fits {
                        guard case .valueOutOfRange? = failure else {
                            Issue.record("\(label): values out of range were written (\(String(describing: failure)))")
                            continue
                        }
                        #expect(failure?.description.contains("does not fit") == true)
                        // Nothing at the destination, no temporary file left.
                        let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix((out as NSString).lastPathComponent) }
                        let inside = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
                        #expect(inside.isEmpty && (c.kind == .npy || left.isEmpty), "\(label): left \(left) \(inside)")
                        refused += 1
                        continue
                    }
                    #expect(failure == nil, "\(label): \(String(describing: failure))")
                    let expected = Self.stacked(batches)
                    let read: [String: (shape: [Int], values: [Int64])]
                    switch c.kind {
                    case .npy: read = try TensorFiles.readNpyDirectory(out)
                    case .safetensors, .planned: read = try TensorFiles.readSafetensors(out)
                    case .jsonl: read = try Self.readJSONL(out, width: batches[0].tensors.filter { $0.shape.count == 2 }.map { ($0.name, $0.shape[1]) })
                    }
                    if c.kind == .planned {
                        // Byte for byte the spooling writer's file.
                        let spooled = out + ".spooled.safetensors"
                        let other = SafetensorsBatchWriter(path: spooled, type: c.type)
                        for b in batches { try other.append(b) }
                        try other.finish()
                        #expect(try readFileBytes(out) == readFileBytes(spooled), "\(label): planned and spooled files differ")
                    }
                    #expect(Set(read.keys) == Set(expected.keys), "\(label): tensors \(read.keys.sorted())")
                    for (name, e) in expected {
                        #expect(read[name]?.shape == e.shape, "\(label): \(name) shape \(String(describing: read[name]?.shape)), expected \(e.shape)")
                        #expect(read[name]?.values == e.values, "\(label): \(name) values differ")
                    }
                    written += 1
                }
            }
        }
        #expect(written + refused > 0)
        // Types that hold every id write; the narrow ones refuse (ids ≥ 105, labels −100).
        if [.int32, .int64, .int16].contains(c.type) { #expect(refused == 0 && written > 0) } else { #expect(refused > 0) }
    }

    /// The layout of the batches `drain` forms, from `nextBatchShapes` alone.
    static func plan(_ builder: inout any BatchBuilder, documents: [Document], batchSize: Int) throws -> SafetensorsLayout {
        var layout = SafetensorsLayout()
        for d in documents {
            try builder.append(d)
            while builder.pendingRows >= batchSize, let shapes = builder.nextBatchShapes(maxRows: batchSize) { layout.add(shapes) }
        }
        builder.finishInput()
        while let shapes = builder.nextBatchShapes(maxRows: batchSize) { layout.add(shapes) }
        return layout
    }

    static func fits(_ v: Int32, _ type: ElementType) -> Bool {
        switch type {
        case .uint8: v >= 0 && v <= 255
        case .int8: v >= -128 && v <= 127
        case .int16: v >= -32768 && v <= 32767
        case .uint16: v >= 0 && v <= 65535
        case .int32, .int64: true
        }
    }

    /// Row tensors stacked over batches; `cu_seqlens` re-based onto the stacked tokens.
    static func stacked(_ batches: [Batch]) -> [String: (shape: [Int], values: [Int64])] {
        var out: [String: (shape: [Int], values: [Int64])] = [:]
        var tokensBefore: Int64 = 0
        for b in batches {
            for t in b.tensors {
                if t.name == "cu_seqlens" {
                    var values = t.values.map { Int64($0) + tokensBefore }
                    if out[t.name] != nil { values.removeFirst() }
                    out[t.name, default: ([0], [])].values += values
                    out[t.name]!.shape = [out[t.name]!.values.count]
                } else {
                    out[t.name, default: ([0] + t.shape.dropFirst(), [])].values += t.values.map(Int64.init)
                    out[t.name]!.shape[0] += t.shape[0]
                }
            }
            if let w = b["input_ids"]?.shape.last { tokensBefore += Int64(b.rows * w) }
        }
        return out
    }

    static func readJSONL(_ path: String, width: [(String, Int)]) throws -> [String: (shape: [Int], values: [Int64])] {
        let text = try Self.text(path)
        var out: [String: (shape: [Int], values: [Int64])] = [:]
        let lines = text.split(separator: "\n")
        var tokensBefore: Int64 = 0
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for (name, value) in object {
                let values = try #require(value as? [Int]).map(Int64.init)
                if name == "cu_seqlens" {
                    // Per row, relative to the row: re-base and stack like the binary writers.
                    var v = values.map { $0 + tokensBefore }
                    if out[name] != nil { v.removeFirst() }
                    out[name, default: ([0], [])].values += v
                    out[name]!.shape = [out[name]!.values.count]
                } else {
                    out[name, default: ([0, values.count], [])].values += values
                    out[name]!.shape[0] += 1
                }
            }
            tokensBefore += Int64(width.first { $0.0 == "input_ids" }?.1 ?? 0)
        }
        return out
    }

    /// Megatron datasets: documents of 0–3 tokens and long ones, in every element type, read back
    /// through `MegatronDataset`; ids that do not fit fail and leave no `.bin`/`.idx`.
    @Test(arguments: [ElementType.uint16, .int32, .int64, .uint8, .int16])
    func megatronDatasetsReadBack(_ type: ElementType) throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (k, shape) in (PropertyCorpus.shapes + [("none", [])]).enumerated() {
            let docs = PropertyCorpus.documents(shape.1, seed: UInt64(k))
            let prefix = dir + "/m\(k)"
            let writer = try MegatronWriter(prefix: prefix, type: type)
            var failure: DataError?
            do {
                for d in docs { try writer.append(d) }
                try writer.finish()
            } catch {
                failure = error
                writer.abort()
            }
            let fits = docs.joined().allSatisfy { Self.fits($0, type) }
            if !fits {
                #expect(failure != nil && failure?.description.contains("does not fit") == true, "\(type) \(shape.0)")
                #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("m\(k).") }.isEmpty,
                        "\(type) \(shape.0): files left")
                continue
            }
            #expect(failure == nil, "\(type) \(shape.0): \(String(describing: failure))")
            let set = try MegatronDataset(prefix: prefix)
            #expect(set.count == docs.count && set.type == type)
            for (i, d) in docs.enumerated() { #expect(try set.sequence(i) == d, "\(type) \(shape.0) doc \(i)") }
            #expect(set.documentIndex == (0...docs.count).map(Int64.init))
        }
    }
}
