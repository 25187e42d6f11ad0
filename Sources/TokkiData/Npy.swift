/// The NumPy `.npy` format, version 1.0, byte for byte as `numpy.save` writes it.
public enum NpyFormat {
    /// The preamble of an array: magic, version 1.0, header length and the header dict, padded
    /// with spaces (numpy's room for the first dimension to grow to 21 digits) and ending in a
    /// newline so that the data starts at a multiple of 64 bytes.
    public static func header(type: ElementType, shape: [Int]) -> [UInt8] {
        var dict = "{'descr': '\(type.npyDescriptor)', 'fortran_order': False, 'shape': ("
        dict += shape.map(String.init).joined(separator: ", ")
        if shape.count == 1 { dict += "," }
        dict += "), }"
        // numpy leaves room for shape[0] to grow in place (GROWTH_AXIS_MAX_DIGITS = 21).
        if let first = shape.first { dict += String(repeating: " ", count: max(0, 21 - String(first).count)) }
        let fixed = 6 + 2 + 2
        let total = fixed + dict.utf8.count + 1
        let padded = (total + 63) / 64 * 64
        let headerLength = padded - fixed
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        out.append(UInt8(headerLength & 0xFF))
        out.append(UInt8(headerLength >> 8))
        out += Array(dict.utf8)
        out += [UInt8](repeating: 0x20, count: padded - total)
        out.append(0x0A)
        return out
    }

    /// A whole `.npy` file holding `values` with `shape`.
    public static func encode(_ values: [Int32], shape: [Int], type: ElementType, name: String = "array") throws(DataError) -> [UInt8] {
        var out = header(type: type, shape: shape)
        try values.withUnsafeBufferPointer { (b) throws(DataError) in try type.encode(b, into: &out, tensor: name) }
        return out
    }
}

/// Streams rows into one `.npy` file whose first dimension grows; the header is rewritten with
/// the final row count on `finish()` (its length does not change), then the file is renamed
/// into place.
public final class NpyWriter {
    /// The element type.
    public let type: ElementType
    /// The shape of one row (empty for a 1-D array of scalars).
    public let rowShape: [Int]
    /// The tensor name used in errors.
    public let name: String
    let file: AtomicFile
    let headerSize: Int
    /// Rows (first-dimension entries) written.
    public private(set) var count = 0
    var scratch: [UInt8] = []

    /// Creates the temporary file and writes a provisional header.
    public init(path: String, type: ElementType, rowShape: [Int], name: String) throws(DataError) {
        self.type = type
        self.rowShape = rowShape
        self.name = name
        file = try AtomicFile(path: path)
        let h = NpyFormat.header(type: type, shape: [0] + rowShape)
        headerSize = h.count
        try file.write(h)
    }

    /// Appends elements (a whole number of rows).
    public func append(_ values: UnsafeBufferPointer<Int32>) throws(DataError) {
        let width = rowShape.reduce(1, *)
        guard width == 0 ? values.isEmpty : values.count % width == 0 else {
            throw .mismatch("\(name): \(values.count) values is not a whole number of rows of \(width)")
        }
        scratch.removeAll(keepingCapacity: true)
        try type.encode(values, into: &scratch, tensor: name)
        try file.write(scratch)
        count += width == 0 ? 0 : values.count / width
    }

    /// Appends elements.
    public func append(_ values: [Int32]) throws(DataError) {
        try values.withUnsafeBufferPointer { (b) throws(DataError) in try append(b) }
    }

    /// Patches the header with the final shape and renames the file into place.
    public func finish() throws(DataError) {
        let h = NpyFormat.header(type: type, shape: [count] + rowShape)
        guard h.count == headerSize else { throw .mismatch("\(name): the .npy header grew") }
        try file.overwrite(h, at: 0)
        try file.commit()
    }

    /// Removes the temporary file.
    public func abort() { file.abort() }
}
