import Foundation

/// A two-dimensional floating-point tensor (an embedding or output matrix) read from a
/// `.safetensors` or `.npy` file, for initialising the rows of tokens added to a vocabulary
/// (`tokki extend --embeddings`): each new row is the mean of the rows of the base tokens its
/// piece is made of, as EEVE and the vocabulary-extension literature do.
public struct EmbeddingMatrix: Sendable {
    /// The element type.
    public enum Precision: String, Sendable, CaseIterable {
        /// 32-bit IEEE float.
        case f32 = "F32"
        /// 16-bit IEEE float.
        case f16 = "F16"
        /// bfloat16 (the high half of a 32-bit float).
        case bf16 = "BF16"

        /// Bytes per element.
        public var size: Int { self == .f32 ? 4 : 2 }
    }

    /// The tensor's name (safetensors; `array` for `.npy`).
    public let name: String
    /// The element type.
    public let precision: Precision
    /// Rows and columns.
    public let rows: Int, columns: Int
    /// The elements, row after row, little-endian.
    public let bytes: [UInt8]

    /// A matrix from its parts.
    ///
    /// - Throws: ``DataError/mismatch(_:)`` when `bytes` does not hold rows × columns elements.
    public init(name: String, precision: Precision, rows: Int, columns: Int, bytes: [UInt8]) throws(DataError) {
        let (size, overflow) = rows.multipliedReportingOverflow(by: columns * precision.size)
        guard rows >= 0, columns > 0, !overflow, size == bytes.count else {
            throw .mismatch("\(name): \(bytes.count) bytes do not hold a \(rows) × \(columns) \(precision.rawValue) matrix")
        }
        self.name = name; self.precision = precision; self.rows = rows; self.columns = columns; self.bytes = bytes
    }

    /// Element (r, c) as a `Float`.
    @inline(__always)
    func value(_ r: Int, _ c: Int) -> Float {
        let i = (r * columns + c) * precision.size
        assert(i >= 0 && i + precision.size <= bytes.count)
        switch precision {
        case .f32:
            return Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
        case .f16:
            return Float(Float16(bitPattern: UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8))
        case .bf16:
            return Float(bitPattern: (UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8) << 16)
        }
    }

    /// Appends `v` in this matrix's element type.
    @inline(__always)
    func append(_ v: Float, to out: inout [UInt8]) {
        switch precision {
        case .f32:
            let b = v.bitPattern
            out.append(UInt8(truncatingIfNeeded: b)); out.append(UInt8(truncatingIfNeeded: b >> 8))
            out.append(UInt8(truncatingIfNeeded: b >> 16)); out.append(UInt8(truncatingIfNeeded: b >> 24))
        case .f16:
            let b = Float16(v).bitPattern
            out.append(UInt8(truncatingIfNeeded: b)); out.append(UInt8(truncatingIfNeeded: b >> 8))
        case .bf16:
            // Round to nearest even, as PyTorch converts.
            let b = v.bitPattern
            let rounded = v.isNaN ? b | 0x40_0000 : b &+ 0x7FFF &+ ((b >> 16) & 1)
            out.append(UInt8(truncatingIfNeeded: rounded >> 16)); out.append(UInt8(truncatingIfNeeded: rounded >> 24))
        }
    }

    /// This matrix with rows for new tokens after row `start`: row `start + k` is the mean of
    /// the rows listed in `sources[k]` (all of the first `start` rows when the list is empty,
    /// for reserved tokens). Rows past `start` that exist already (a matrix padded beyond the
    /// vocabulary) are replaced; the matrix grows when it has too few.
    ///
    /// - Throws: ``DataError/mismatch(_:)`` when a source row is out of range or `start` is
    ///   past the matrix.
    public func extended(from start: Int, sources: [[Int]]) throws(DataError) -> EmbeddingMatrix {
        guard start > 0 && start <= rows else {
            throw .mismatch("\(name) has \(rows) rows, but the base vocabulary has \(start) tokens: give the embedding matrix of the base model")
        }
        var out = Array(bytes[..<(start * columns * precision.size)])
        let total = max(rows, start + sources.count)
        out.reserveCapacity(total * columns * precision.size)
        var mean = [Float](repeating: 0, count: columns)
        var all: [Float]? = nil
        for list in sources {
            if list.isEmpty {
                if all == nil {
                    var sum = [Double](repeating: 0, count: columns)
                    for r in 0..<start { for c in 0..<columns { sum[c] += Double(value(r, c)) } }
                    all = sum.map { Float($0 / Double(start)) }
                }
                mean = all ?? mean
            } else {
                for c in 0..<columns { mean[c] = 0 }
                for r in list {
                    guard r >= 0 && r < start else { throw .mismatch("\(name): row \(r) is not a base token (the base has \(start))") }
                    for c in 0..<columns { mean[c] += value(r, c) }
                }
                let n = Float(list.count)
                for c in 0..<columns { mean[c] /= n }
            }
            for c in 0..<columns { append(mean[c], to: &out) }
        }
        // Padding rows past the new tokens stay as they were.
        let kept = start + sources.count
        if kept < rows { out += bytes[(kept * columns * precision.size)...] }
        return try EmbeddingMatrix(name: name, precision: precision, rows: total, columns: columns, bytes: out)
    }
}

extension EmbeddingMatrix {
    /// Reads the matrix `tensor` (nil: the only two-dimensional floating-point tensor with
    /// at least `minimumRows` rows) from `.safetensors` or `.npy` bytes, told apart by content.
    ///
    /// - Throws: ``DataError/invalidFormat(path:problem:)`` naming the byte offset of what is
    ///   wrong, or the tensors to choose from.
    public static func read(_ data: [UInt8], path: String, tensor: String? = nil, minimumRows: Int = 1) throws(DataError) -> EmbeddingMatrix {
        if data.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) { return try npy(data, path: path) }
        return try safetensors(data, path: path, tensor: tensor, minimumRows: minimumRows)
    }

    private static func npy(_ data: [UInt8], path: String) throws(DataError) -> EmbeddingMatrix {
        func bad(_ problem: String) -> DataError { .invalidFormat(path: path, problem: problem) }
        guard data.count >= 10 else { throw bad("truncated .npy header at byte \(data.count)") }
        let major = data[6]
        let (length, start): (Int, Int)
        switch major {
        case 1: (length, start) = (Int(data[8]) | Int(data[9]) << 8, 10)
        case 2, 3:
            guard data.count >= 12 else { throw bad("truncated .npy header at byte \(data.count)") }
            (length, start) = (Int(data[8]) | Int(data[9]) << 8 | Int(data[10]) << 16 | Int(data[11]) << 24, 12)
        default: throw bad("unsupported .npy version \(major) at byte 6")
        }
        guard length <= data.count - start else { throw bad("the .npy header of \(length) bytes runs past the end of the file") }
        let header = String(decoding: data[start..<(start + length)], as: UTF8.self)
        func field(_ key: String) -> Substring? {
            guard let k = header.range(of: "'\(key)':") else { return nil }
            return header[k.upperBound...].drop { $0 == " " }
        }
        guard let descr = field("descr"), let order = field("fortran_order"), let shape = field("shape") else {
            throw bad("the .npy header at byte \(start) lacks descr, fortran_order or shape")
        }
        let precision: Precision
        if descr.hasPrefix("'<f4'") { precision = .f32 } else if descr.hasPrefix("'<f2'") { precision = .f16 } else {
            throw bad("element type \(descr.prefix { $0 != "," }) is not a little-endian float32 or float16 (byte \(start))")
        }
        guard order.hasPrefix("False") else { throw bad("a Fortran-ordered array is not supported (byte \(start))") }
        guard shape.hasPrefix("("), let close = shape.firstIndex(of: ")") else { throw bad("unreadable shape in the .npy header (byte \(start))") }
        let dims = shape[shape.index(after: shape.startIndex)..<close].split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard dims.count == 2, let rows = dims[0], let columns = dims[1] else { throw bad("the array is not two-dimensional (shape \(shape[...close]))") }
        let body = start + length
        guard rows >= 0, columns > 0, rows <= (data.count - body) / max(1, columns * precision.size),
              rows * columns * precision.size == data.count - body else {
            throw bad("\(data.count - body) bytes of data after byte \(body) do not hold a \(rows) × \(columns) array")
        }
        return try EmbeddingMatrix(name: "array", precision: precision, rows: rows, columns: columns, bytes: Array(data[body...]))
    }

    private static func safetensors(_ data: [UInt8], path: String, tensor: String?, minimumRows: Int) throws(DataError) -> EmbeddingMatrix {
        func bad(_ problem: String) -> DataError { .invalidFormat(path: path, problem: problem) }
        guard data.count >= 8 else { throw bad("neither .npy nor .safetensors: \(data.count) bytes") }
        var n: UInt64 = 0
        for k in 0..<8 { n |= UInt64(data[k]) << (8 * k) }
        guard n <= UInt64(data.count - 8) else { throw bad("the safetensors header of \(n) bytes runs past the end of the file") }
        let headerEnd = 8 + Int(n)
        guard let object = try? JSONSerialization.jsonObject(with: Data(data[8..<headerEnd])) as? [String: Any] else {
            throw bad("the safetensors header (bytes 8..<\(headerEnd)) is not a JSON object")
        }
        var found: [(name: String, precision: Precision, rows: Int, columns: Int, range: Range<Int>)] = []
        var names: [String] = []
        for (key, value) in object where key != "__metadata__" {
            names.append(key)
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String, let shape = entry["shape"] as? [Int],
                  let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw bad("tensor '\(key)' has no dtype, shape or data_offsets")
            }
            guard let precision = Precision(rawValue: dtype), shape.count == 2 else { continue }
            let (s, e) = (offsets[0], offsets[1])
            guard s >= 0, s <= e, e <= data.count - headerEnd, shape[0] >= 0, shape[1] > 0,
                  shape[0] <= (e - s) / (shape[1] * precision.size), shape[0] * shape[1] * precision.size == e - s else {
                throw bad("tensor '\(key)': data_offsets \(offsets) do not hold shape \(shape) of \(dtype) within the file")
            }
            found.append((key, precision, shape[0], shape[1], (headerEnd + s)..<(headerEnd + e)))
        }
        let chosen: (name: String, precision: Precision, rows: Int, columns: Int, range: Range<Int>)
        if let tensor {
            guard let t = found.first(where: { $0.name == tensor }) else {
                throw bad("no two-dimensional F32, F16 or BF16 tensor '\(tensor)' (tensors: \(names.sorted().joined(separator: ", ")))")
            }
            chosen = t
        } else {
            let candidates = found.filter { $0.rows >= minimumRows }.sorted { $0.name < $1.name }
            guard candidates.count == 1, let t = candidates.first else {
                throw bad(candidates.isEmpty ? "no two-dimensional F32, F16 or BF16 tensor with at least \(minimumRows) rows"
                          : "several matrices could be the embeddings (\(candidates.map(\.name).joined(separator: ", "))): choose one with --embedding-tensor")
            }
            chosen = t
        }
        return try EmbeddingMatrix(name: chosen.name, precision: chosen.precision, rows: chosen.rows, columns: chosen.columns, bytes: Array(data[chosen.range]))
    }

    /// The matrix as a `.safetensors` file holding this one tensor.
    public func safetensorsFile() -> [UInt8] {
        var header = "{\"\(name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\":{\"dtype\":\"\(precision.rawValue)\",\"shape\":[\(rows),\(columns)],\"data_offsets\":[0,\(bytes.count)]}}"
        while (8 + header.utf8.count) % 8 != 0 { header += " " }
        var out: [UInt8] = []
        out.reserveCapacity(8 + header.utf8.count + bytes.count)
        let n = UInt64(header.utf8.count)
        for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: n >> (8 * k))) }
        out += Array(header.utf8)
        out += bytes
        return out
    }

    /// The matrix as a `.npy` file (float32 or float16; bfloat16 has no NumPy type and is
    /// written as float32).
    public func npyFile() -> [UInt8] {
        let precision = self.precision == .bf16 ? Precision.f32 : self.precision
        var header = "{'descr': '\(precision == .f32 ? "<f4" : "<f2")', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        out += Array(header.utf8)
        if precision == self.precision { return out + bytes }
        out.reserveCapacity(out.count + rows * columns * 4)
        let f32 = try? EmbeddingMatrix(name: name, precision: .f32, rows: 0, columns: columns, bytes: [])
        for r in 0..<rows { for c in 0..<columns { f32?.append(value(r, c), to: &out) } }
        return out
    }
}
