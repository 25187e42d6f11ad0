import Foundation
import Testing

/// An unexpected tensor file.
package struct TensorFileError: Error, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}

/// Independent readers of the tensor files the writers make (safetensors, a folder of `.npy`
/// files), written from the formats' specifications rather than with the writers' code.
package enum TensorFiles {
    package static func decode(_ bytes: ArraySlice<UInt8>, _ type: String) throws -> [Int64] {
        let size: Int
        switch type {
        case "I64", "<i8": size = 8
        case "I32", "<i4": size = 4
        case "I16", "<i2", "U16", "<u2": size = 2
        case "U8", "|u1", "I8", "|i1": size = 1
        default: throw TensorFileError(message: "unknown type \(type)")
        }
        #expect(bytes.count % size == 0)
        let b = Array(bytes)
        return stride(from: 0, to: b.count - size + 1, by: size).map { at in
            var v: UInt64 = 0
            for k in 0..<size { v |= UInt64(b[at + k]) << (8 * UInt64(k)) }
            let bits = UInt64(8 * size)
            let signed = !["U16", "<u2", "U8", "|u1"].contains(type)
            if signed && bits < 64 && v >> (bits - 1) == 1 { return Int64(bitPattern: v | (~0 << bits)) }
            return Int64(bitPattern: v)
        }
    }

    package static func readSafetensors(_ path: String) throws -> [String: (shape: [Int], values: [Int64])] {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var n = 0
        for k in 0..<8 { n |= Int(bytes[k]) << (8 * k) }
        let header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as? [String: Any])
        var out: [String: (shape: [Int], values: [Int64])] = [:]
        for (name, entry) in header where name != "__metadata__" {
            let e = try #require(entry as? [String: Any])
            let shape = try #require(e["shape"] as? [Int]), offsets = try #require(e["data_offsets"] as? [Int])
            let dtype = try #require(e["dtype"] as? String)
            out[name] = (shape, try decode(bytes[(8 + n + offsets[0])..<(8 + n + offsets[1])], dtype))
        }
        return out
    }

    package static func readNpyDirectory(_ dir: String) throws -> [String: (shape: [Int], values: [Int64])] {
        var out: [String: (shape: [Int], values: [Int64])] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: dir) {
            #expect(file.hasSuffix(".npy"), "\(dir): stray \(file)")
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + file)))
            #expect(bytes.starts(with: [0x93] + Array("NUMPY".utf8)))
            let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            #expect((10 + headerLength) % 64 == 0)
            let dict = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
            let descr = try #require(dict.firstMatch(of: /'descr': '([^']+)'/)?.1)
            let shapeText = try #require(dict.firstMatch(of: /'shape': \(([^)]*)\)/)?.1)
            let shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            out[String(file.dropLast(4))] = (shape, try decode(bytes[(10 + headerLength)...], String(descr)))
        }
        return out
    }
}
