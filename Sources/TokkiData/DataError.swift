/// Errors of the dataset writers and readers; each names the file.
public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file cannot be created, written, read or renamed.
    case io(path: String, reason: String)
    /// A file is not in the expected format.
    case invalidFormat(path: String, problem: String)
    /// A value does not fit the chosen element type.
    case valueOutOfRange(value: Int64, type: ElementType, tensor: String)
    /// Inputs that must agree do not (shapes, element types, tensor names).
    case mismatch(String)

    /// A one-line description.
    public var description: String {
        switch self {
        case let .io(path, reason): return "\(path): \(reason)"
        case let .invalidFormat(path, problem): return "\(path): \(problem)"
        case let .valueOutOfRange(value, type, tensor):
            return "\(tensor): value \(value) does not fit \(type.rawValue) (choose a wider type)"
        case let .mismatch(m): return m
        }
    }
}

/// The integer element types the writers produce.
public enum ElementType: String, Sendable, CaseIterable, Equatable {
    /// Unsigned 8-bit.
    case uint8
    /// Signed 8-bit.
    case int8
    /// Signed 16-bit.
    case int16
    /// Unsigned 16-bit (Megatron's choice below 65,500 ids).
    case uint16
    /// Signed 32-bit.
    case int32
    /// Signed 64-bit (PyTorch's `long`).
    case int64

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .uint8, .int8: 1
        case .int16, .uint16: 2
        case .int32: 4
        case .int64: 8
        }
    }

    /// The `.npy` `descr` string.
    public var npyDescriptor: String {
        switch self {
        case .uint8: "|u1"
        case .int8: "|i1"
        case .int16: "<i2"
        case .uint16: "<u2"
        case .int32: "<i4"
        case .int64: "<i8"
        }
    }

    /// The safetensors `dtype` string.
    public var safetensorsName: String {
        switch self {
        case .uint8: "U8"
        case .int8: "I8"
        case .int16: "I16"
        case .uint16: "U16"
        case .int32: "I32"
        case .int64: "I64"
        }
    }

    /// Megatron's dtype code in the `.idx` header.
    public var megatronCode: UInt8 {
        switch self {
        case .uint8: 1
        case .int8: 2
        case .int16: 3
        case .int32: 4
        case .int64: 5
        case .uint16: 8
        }
    }

    /// The type of a Megatron dtype code.
    public init?(megatronCode: UInt8) {
        guard let t = ElementType.allCases.first(where: { $0.megatronCode == megatronCode }) else { return nil }
        self = t
    }

    /// The smallest and largest value the type holds.
    public var range: ClosedRange<Int64> {
        switch self {
        case .uint8: 0...255
        case .int8: -128...127
        case .int16: Int64(Int16.min)...Int64(Int16.max)
        case .uint16: 0...65535
        case .int32: Int64(Int32.min)...Int64(Int32.max)
        case .int64: Int64.min...Int64.max
        }
    }

    /// Megatron's rule (`DType.optimal_dtype`): uint16 when the vocabulary has fewer than
    /// 65,500 ids, else int32.
    public static func megatron(vocabularySize: Int) -> ElementType { vocabularySize < 65_500 ? .uint16 : .int32 }

    /// Appends `values` little-endian as this type, or throws naming the first value that does
    /// not fit.
    func encode(_ values: UnsafeBufferPointer<Int32>, into out: inout [UInt8], tensor: String) throws(DataError) {
        // Every value is checked before anything is appended; then all are written in one pass
        // through a pointer (not an append per value: batches hold tens of millions).
        try check(values, tensor: tensor)
        let start = out.count, n = values.count
        out.append(contentsOf: repeatElement(0, count: n * size))
        guard n > 0 else { return }
        out.withUnsafeMutableBytes { raw in
            // `raw` holds start + n * size bytes: value k goes to [start + k * size, start + (k + 1) * size).
            assert(raw.count == start + n * size)
            store(values, to: raw.baseAddress! + start)
        }
    }

    /// Throws naming the first of `values` that does not fit this type.
    func check(_ values: UnsafeBufferPointer<Int32>, tensor: String) throws(DataError) {
        let r = range
        if self != .int32 && self != .int64, let bad = values.first(where: { Int64($0) < r.lowerBound || Int64($0) > r.upperBound }) {
            throw .valueOutOfRange(value: Int64(bad), type: self, tensor: tensor)
        }
    }

    /// Stores `values` (already checked) little-endian as this type at `dst`, which has room
    /// for `values.count * size` bytes.
    func store(_ values: UnsafeBufferPointer<Int32>, to dst: UnsafeMutableRawPointer) {
        guard let src = values.baseAddress else { return }
        let n = values.count
        switch self {
        case .int32:
            dst.copyMemory(from: src, byteCount: n * 4)  // little-endian hosts (x86-64, arm64)
        case .int64:
            for k in 0..<n { dst.storeBytes(of: Int64(src[k]).littleEndian, toByteOffset: 8 * k, as: Int64.self) }
        case .uint16, .int16:
            for k in 0..<n { dst.storeBytes(of: UInt16(truncatingIfNeeded: src[k]).littleEndian, toByteOffset: 2 * k, as: UInt16.self) }
        case .uint8, .int8:
            for k in 0..<n { dst.storeBytes(of: UInt8(truncatingIfNeeded: src[k]), toByteOffset: k, as: UInt8.self) }
        }
    }
}
