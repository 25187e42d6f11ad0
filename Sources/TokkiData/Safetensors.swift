/// The safetensors format: an 8-byte little-endian header length, a JSON header padded with
/// spaces to a multiple of 8, then the tensors' bytes.
///
/// The header lists `__metadata__` first, then the tensors ordered as the reference writer
/// orders them (larger element type first, then by name); the data follows in that order.
public enum SafetensorsFormat {
    /// One tensor's entry: name, element type, shape and byte size.
    public struct Entry: Sendable, Equatable {
        /// The tensor's name.
        public var name: String
        /// The element type.
        public var type: ElementType
        /// The shape.
        public var shape: [Int]
        /// Creates an entry.
        public init(name: String, type: ElementType, shape: [Int]) {
            self.name = name
            self.type = type
            self.shape = shape
        }
        /// Bytes of data.
        public var byteCount: Int { shape.reduce(1, *) * type.size }
    }

    /// The entries in the order of the header and the data.
    public static func ordered(_ entries: [Entry]) -> [Entry] {
        entries.sorted { a, b in
            if a.type.size != b.type.size { return a.type.size > b.type.size }
            return Array(a.name.utf8).lexicographicallyPrecedes(Array(b.name.utf8))
        }
    }

    /// The 8-byte length and the padded JSON header for `entries` (already ordered).
    public static func header(_ entries: [Entry], metadata: [(String, String)] = []) -> [UInt8] {
        var json: [UInt8] = [0x7B]
        var first = true
        func key(_ s: String) {
            if !first { json.append(0x2C) }
            first = false
            JSONText.appendString(s, to: &json)
            json.append(0x3A)
        }
        if !metadata.isEmpty {
            key("__metadata__")
            json.append(0x7B)
            let sorted = metadata.sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
            for (i, (k, v)) in sorted.enumerated() {
                if i > 0 { json.append(0x2C) }
                JSONText.appendString(k, to: &json); json.append(0x3A); JSONText.appendString(v, to: &json)
            }
            json.append(0x7D)
        }
        var offset = 0
        for e in entries {
            key(e.name)
            json += Array("{\"dtype\":\"\(e.type.safetensorsName)\",\"shape\":[\(e.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + e.byteCount)]}".utf8)
            offset += e.byteCount
        }
        json.append(0x7D)
        while json.count % 8 != 0 { json.append(0x20) }
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        return out + json
    }

    /// A whole safetensors file holding `tensors` as `type`.
    public static func encode(_ tensors: [Tensor], type: ElementType, metadata: [(String, String)] = []) throws(DataError) -> [UInt8] {
        let entries = ordered(tensors.map { Entry(name: $0.name, type: type, shape: $0.shape) })
        var out = header(entries, metadata: metadata)
        for e in entries {
            guard let t = tensors.first(where: { $0.name == e.name }) else { continue }
            try t.values.withUnsafeBufferPointer { (b) throws(DataError) in try type.encode(b, into: &out, tensor: t.name) }
        }
        return out
    }
}

import Tokki
import TokkiObjectives
