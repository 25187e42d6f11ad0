import Foundation
import Testing
@testable import TokkiData

@Suite("embedding matrix")
struct EmbeddingMatrixTests {
    /// A little-endian float32 matrix.
    static func f32(_ rows: [[Float]]) -> [UInt8] {
        rows.flatMap { $0 }.flatMap { v -> [UInt8] in let b = v.bitPattern; return (0..<4).map { UInt8(truncatingIfNeeded: b >> (8 * $0)) } }
    }

    static func safetensors(_ tensors: [(String, String, [Int], [UInt8])]) -> [UInt8] {
        var entries: [String] = [], data: [UInt8] = []
        for (name, dtype, shape, bytes) in tensors {
            entries.append("\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(data.count),\(data.count + bytes.count)]}")
            data += bytes
        }
        let header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        return (0..<8).map { UInt8(truncatingIfNeeded: header.count >> (8 * $0)) } + header + data
    }

    @Test func meansOfBaseRows() throws {
        let base = [[1, 2], [3, 4], [5, 10], [0, 0]] as [[Float]]
        let file = Self.safetensors([("emb", "F32", [4, 2], Self.f32(base)), ("bias", "F32", [2], Self.f32([[0, 0]]))])
        let m = try EmbeddingMatrix.read(file, path: "m.safetensors")
        #expect(m.name == "emb" && m.rows == 4 && m.columns == 2)
        // New rows: mean of rows 0 and 1, row 2 alone, and (reserved) the mean of all four.
        let e = try m.extended(from: 4, sources: [[0, 1], [2], []])
        #expect(e.rows == 7)
        #expect(e.bytes == Self.f32(base + [[2, 3], [5, 10], [2.25, 4]]))
        // Written and read back.
        let back = try EmbeddingMatrix.read(e.safetensorsFile(), path: "x")
        #expect(back.bytes == e.bytes && back.rows == 7 && back.name == "emb")
        let npy = try EmbeddingMatrix.read(e.npyFile(), path: "x.npy")
        #expect(npy.bytes == e.bytes && npy.rows == 7 && npy.columns == 2)
    }

    @Test func paddedMatrixKeepsItsTail() throws {
        let base = [[1, 1], [3, 3], [9, 9], [8, 8]] as [[Float]]
        let m = try EmbeddingMatrix(name: "w", precision: .f32, rows: 4, columns: 2, bytes: Self.f32(base))
        // A vocabulary of 2 tokens in a matrix padded to 4 rows: one new row replaces row 2.
        let e = try m.extended(from: 2, sources: [[0, 1]])
        #expect(e.rows == 4 && e.bytes == Self.f32([[1, 1], [3, 3], [2, 2], [8, 8]]))
    }

    @Test func halfPrecisions() throws {
        // bf16 1.0 = 0x3F80, 3.0 = 0x4040; f16 1.0 = 0x3C00, 3.0 = 0x4200; their mean 2.0 is
        // bf16 0x4000 and f16 0x4000.
        let bf = try EmbeddingMatrix(name: "b", precision: .bf16, rows: 2, columns: 1, bytes: [0x80, 0x3F, 0x40, 0x40])
        #expect(try bf.extended(from: 2, sources: [[0, 1]]).bytes.suffix(2) == [0x00, 0x40])
        let h = try EmbeddingMatrix(name: "h", precision: .f16, rows: 2, columns: 1, bytes: [0x00, 0x3C, 0x00, 0x42])
        #expect(try h.extended(from: 2, sources: [[0, 1]]).bytes.suffix(2) == [0x00, 0x40])
    }

    @Test func badFilesAndChoices() throws {
        let rows = Self.f32([[1, 2], [3, 4]])
        let two = Self.safetensors([("a", "F32", [2, 2], rows), ("b", "F32", [2, 2], rows)])
        #expect { try EmbeddingMatrix.read(two, path: "m") } throws: { "\($0)".contains("--embedding-tensor") }
        #expect(try EmbeddingMatrix.read(two, path: "m", tensor: "b").name == "b")
        #expect { try EmbeddingMatrix.read(two, path: "m", tensor: "c") } throws: { "\($0)".contains("tensors: a, b") }
        #expect(throws: DataError.self) { try EmbeddingMatrix.read(Array(two.prefix(20)), path: "m") }
        let wrong = Self.safetensors([("a", "F32", [3, 2], rows)])
        #expect { try EmbeddingMatrix.read(wrong, path: "m") } throws: { "\($0)".contains("data_offsets") }
        #expect(throws: DataError.self) { try EmbeddingMatrix.read([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 0xFF, 0xFF], path: "m.npy") }
        let m = try EmbeddingMatrix.read(Self.safetensors([("a", "F32", [2, 2], rows)]), path: "m")
        #expect(throws: DataError.self) { try m.extended(from: 3, sources: [[0]]) }
        #expect(throws: DataError.self) { try m.extended(from: 2, sources: [[5]]) }
    }
}
