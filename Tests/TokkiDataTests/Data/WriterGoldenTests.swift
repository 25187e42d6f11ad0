import Foundation
import Testing
@testable import TokkiData
@testable import TokkiObjectives
import TokkiTestSupport

/// Byte-for-byte comparisons with files written by numpy, safetensors and a faithful
/// re-implementation of Megatron-LM's builder (Tests/Fixtures/data, scripts/fixtures/make_data_fixtures.py).
@Suite("Dataset writers: golden bytes")
struct WriterGoldenTests {
    static func golden(_ name: String) throws -> [UInt8] { [UInt8](try Fixtures.data("data/" + name)) }

    static func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "tokki-data-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func npyMatchesNumpy() throws {
        #expect(try NpyFormat.encode([1, -100, 3, 40000, 5, 6], shape: [2, 3], type: .int32) == Self.golden("a_int32.npy"))
        #expect(try NpyFormat.encode([0, 1, 2, -100, 7, 8], shape: [3, 2], type: .int64) == Self.golden("b_int64.npy"))
        #expect(try NpyFormat.encode([0, 1, 65535, 300], shape: [4], type: .uint16) == Self.golden("c_uint16_1d.npy"))
        #expect(try NpyFormat.encode([], shape: [0, 4], type: .int32) == Self.golden("d_int32_empty.npy"))
    }

    @Test func streamedNpyMatchesNumpy() throws {
        let dir = try Self.temporaryDirectory()
        defer { removeScratch(dir) }
        let w = try NpyWriter(path: dir + "/b.npy", type: .int64, rowShape: [2], name: "b")
        try w.append([0, 1])
        try w.append([2, -100, 7, 8])
        // Nothing at the destination before finish().
        #expect(!FileManager.default.fileExists(atPath: dir + "/b.npy"))
        try w.finish()
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/b.npy"))) == (try Self.golden("b_int64.npy")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["b.npy"])
    }

    static let tensors = [
        Tensor(name: "input_ids", shape: [2, 3], values: [5, 6, 7, 8, 9, 10]),
        Tensor(name: "labels", shape: [2, 3], values: [-100, 6, -100, 8, -100, -100]),
        Tensor(name: "attention_mask", shape: [2, 3], values: [1, 1, 1, 1, 1, 0]),
    ]

    @Test func safetensorsMatchesTheReferenceWriter() throws {
        #expect(try SafetensorsFormat.encode(Self.tensors, type: .int32, metadata: [("objective", "mlm")]) == Self.golden("tensors_i32.safetensors"))
        #expect(try SafetensorsFormat.encode(Self.tensors, type: .int64) == Self.golden("tensors_i64.safetensors"))
    }

    @Test func safetensorsBatchWriterStacksBatches() throws {
        let dir = try Self.temporaryDirectory()
        defer { removeScratch(dir) }
        let path = dir + "/t.safetensors"
        let w = SafetensorsBatchWriter(path: path, type: .int32, metadata: [("objective", "mlm")])
        for r in 0..<2 {
            let rows = Self.tensors.map { Tensor(name: $0.name, shape: [1, 3], values: Array($0.row(r))) }
            try w.append(Batch(tensors: rows, rows: 1, firstSample: UInt64(r)))
        }
        try w.finish()
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) == (try Self.golden("tensors_i32.safetensors")))
        // The spools are gone.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["t.safetensors"])
    }

    @Test func megatronMatchesTheReferenceBuilder() throws {
        let dir = try Self.temporaryDirectory()
        defer { removeScratch(dir) }
        let u16 = try MegatronWriter(prefix: dir + "/docs_u16", type: .uint16)
        for d: [Int32] in [[1, 2, 3], [65535, 0], [7]] { try u16.append(d) }
        try u16.finish()
        let i32 = try MegatronWriter(prefix: dir + "/docs_i32", type: .int32)
        for d: [Int32] in [[70000, 1], [], [5, 6, 7, 8]] { try i32.append(d) }
        try i32.finish()
        for name in ["docs_u16.bin", "docs_u16.idx", "docs_i32.bin", "docs_i32.idx"] {
            #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))) == (try Self.golden(name)), "\(name)")
        }
        // Reading back.
        let ds = try MegatronDataset(prefix: dir + "/docs_u16")
        #expect(ds.type == .uint16 && ds.count == 3 && ds.documentIndex == [0, 1, 2, 3])
        #expect(try ds.sequence(0) == [1, 2, 3] && ds.sequence(1) == [65535, 0])
        #expect(try MegatronDataset(prefix: dir + "/docs_i32").sequence(2) == [5, 6, 7, 8])
    }

    @Test func megatronLossMaskIsOneWhereALabelIsLearned() throws {
        let dir = try Self.temporaryDirectory()
        defer { removeScratch(dir) }
        let mask = try MegatronWriter(prefix: dir + "/mask", type: .uint8)
        for labels: [Int32] in [[-100, 5, 0, -100, 151_000], [], [-100]] {
            try labels.withUnsafeBufferPointer { (l) throws(DataError) in try mask.appendLossMask(l) }
        }
        try mask.finish()
        let ds = try MegatronDataset(prefix: dir + "/mask")
        #expect(ds.type == .uint8 && ds.count == 3)
        #expect(try ds.sequence(0) == [0, 1, 1, 0, 1] && ds.sequence(1) == [] && ds.sequence(2) == [0])
        // Only a uint8 dataset takes a mask.
        let ids = try MegatronWriter(prefix: dir + "/ids", type: .int32)
        defer { ids.abort() }
        #expect(throws: DataError.self) { try [Int32(1)].withUnsafeBufferPointer { (l) throws(DataError) in try ids.appendLossMask(l) } }
    }

    @Test func megatronEncodedBatchesMatchTheReferenceBuilder() throws {
        // The same documents, encoded off the writer in two batches (as `tokki prepare`'s
        // workers do), give the reference files byte for byte.
        let dir = try Self.temporaryDirectory()
        defer { removeScratch(dir) }
        for (name, type, batches) in [("docs_u16", ElementType.uint16, [[[1, 2, 3], [65535, 0]], [[7]]] as [[[Int32]]]),
                                      ("docs_i32", .int32, [[[70000, 1]], [[], [5, 6, 7, 8]]])] {
            let w = try MegatronWriter(prefix: dir + "/" + name, type: type)
            for batch in batches {
                var e = MegatronWriter.Encoded(type: type)
                for d in batch { try d.withUnsafeBufferPointer { (b) throws(DataError) in try e.add(b, tensor: "t") } }
                try w.append(e)
            }
            try w.finish()
            for ext in [".bin", ".idx"] {
                #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name + ext))) == (try Self.golden(name + ext)), "\(name)\(ext)")
            }
        }
        // A token that does not fit, or a batch of another type, is an error.
        var e = MegatronWriter.Encoded(type: .uint16)
        #expect(throws: DataError.valueOutOfRange(value: 70000, type: .uint16, tensor: "t")) {
            try [1, 70000].withUnsafeBufferPointer { (b: UnsafeBufferPointer<Int32>) throws(DataError) in try e.add(b, tensor: "t") }
        }
        #expect(e.lengths.isEmpty && e.bytes.isEmpty)
        let w = try MegatronWriter(prefix: dir + "/x", type: .int32)
        #expect(throws: DataError.self) { try w.append(MegatronWriter.Encoded(type: .uint16)) }
        w.abort()
    }

    @Test func megatronMergeMatchesTheReference() throws {
        let dir = try Self.temporaryDirectory()
        defer { removeScratch(dir) }
        try MegatronDataset.merge([Fixtures.url("data/docs_u16").path, Fixtures.url("data/docs_u16b").path], into: dir + "/merged")
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/merged.bin"))) == (try Self.golden("merged_u16.bin")))
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/merged.idx"))) == (try Self.golden("merged_u16.idx")))
        // Types must agree.
        #expect(throws: DataError.self) {
            try MegatronDataset.merge([Fixtures.url("data/docs_u16").path, Fixtures.url("data/docs_i32").path], into: dir + "/bad")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/bad.bin"))
    }

    @Test func overflowAndCorruptionAreErrorsAndLeaveNothingBehind() throws {
        let dir = try Self.temporaryDirectory()
        defer { removeScratch(dir) }
        let w = try MegatronWriter(prefix: dir + "/x", type: .uint16)
        #expect(throws: DataError.valueOutOfRange(value: 70000, type: .uint16, tensor: dir + "/x.bin")) { try w.append([1, 70000]) }
        w.abort()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        // A truncated index names the problem.
        var idx = try Self.golden("docs_u16.idx")
        idx.removeLast(9)
        try Data(idx).write(to: URL(fileURLWithPath: dir + "/t.idx"))
        try Data(try Self.golden("docs_u16.bin")).write(to: URL(fileURLWithPath: dir + "/t.bin"))
        do {
            _ = try MegatronDataset(prefix: dir + "/t")
            Issue.record("a truncated index was accepted")
        } catch {
            #expect(error.description.contains("truncated"))
        }
        // A .bin that disagrees with the index.
        try Data(try Self.golden("docs_u16.idx")).write(to: URL(fileURLWithPath: dir + "/u.idx"))
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/u.bin"))
        #expect(throws: DataError.self) { try MegatronDataset(prefix: dir + "/u") }
    }

    @Test func jsonlRowsAreOneObjectPerRow() throws {
        let dir = try Self.temporaryDirectory()
        defer { removeScratch(dir) }
        let w = try JSONLBatchWriter(path: dir + "/b.jsonl")
        try w.append(Batch(tensors: [
            Tensor(name: "input_ids", shape: [2, 3], values: [5, 6, 7, 8, 9, 0]),
            Tensor(name: "labels", shape: [2, 3], values: [-100, 6, -100, 8, -100, -100]),
            Tensor(name: "cu_seqlens", shape: [4], values: [0, 3, 5, 6]),
        ], rows: 2, firstSample: 0))
        try w.finish()
        // Written by hand from the format: the row's values, and its own boundaries.
        let want = """
        {"input_ids":[5,6,7],"labels":[-100,6,-100],"cu_seqlens":[0,3]}
        {"input_ids":[8,9,0],"labels":[8,-100,-100],"cu_seqlens":[0,2,3]}

        """
        #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: dir + "/b.jsonl")), as: UTF8.self) == want)
    }

    @Test func cuSeqlensAreRebasedWhenBatchesAreStacked() throws {
        let dir = try Self.temporaryDirectory()
        defer { removeScratch(dir) }
        let w = try NpyDirectoryWriter(directory: dir + "/out", type: .int32)
        func batch(_ cu: [Int32]) -> Batch {
            Batch(tensors: [Tensor(name: "input_ids", shape: [2, 4], values: Array(repeating: 7, count: 8)),
                            Tensor(name: "cu_seqlens", shape: [cu.count], values: cu)], rows: 2, firstSample: 0)
        }
        try w.append(batch([0, 3, 4, 8]))
        try w.append(batch([0, 4, 6, 8]))
        try w.finish()
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/out/cu_seqlens.npy")))
        #expect(data == (try NpyFormat.encode([0, 3, 4, 8, 12, 14, 16], shape: [7], type: .int32)))
    }
}

@Suite("Atomic output")
struct AtomicOutputTests {
    @Test func nonRegularDestinationsAreWrittenInPlace() throws {
        let dir = try WriterGoldenTests.temporaryDirectory()
        defer { removeScratch(dir) }
        let fifo = dir + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        defer { close(reader) }
        let out = try AtomicFile(path: fifo)
        #expect(out.isDirect)
        try out.write(Array("kept\n".utf8))
        try out.commit()
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = buffer.withUnsafeMutableBytes { read(reader, $0.baseAddress!, 16) }
        #expect(n == 5 && Array(buffer[0..<5]) == Array("kept\n".utf8))
        // Still a pipe, not a regular file renamed over it; no temporary file left.
        var st = stat()
        #expect(stat(fifo, &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["pipe"])
    }

    @Test func regularDestinationsAppearOnlyOnCommit() throws {
        let dir = try WriterGoldenTests.temporaryDirectory()
        defer { removeScratch(dir) }
        let out = try AtomicFile(path: dir + "/f.txt")
        #expect(!out.isDirect)
        try out.write(Array("x".utf8))
        try out.flush()
        #expect(!FileManager.default.fileExists(atPath: dir + "/f.txt"))
        out.abort()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }
}

#if canImport(Glibc)
import Glibc
#endif
