/// A small JSON emitter with stable output (keys in the order written, two-space indents
/// for the top level, compact arrays of numbers), for `tokenizer.json` files.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []

    mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }

    /// A JSON string literal (UTF-8 kept as is; quotes, backslashes and controls escaped).
    mutating func string<C: Collection>(bytes s: C) where C.Element == UInt8 {
        bytes.append(0x22)
        let hex = Array("0123456789abcdef".utf8)
        for b in s {
            switch b {
            case 0x22: bytes += [0x5C, 0x22]
            case 0x5C: bytes += [0x5C, 0x5C]
            case 0x0A: bytes += [0x5C, 0x6E]
            case 0x0D: bytes += [0x5C, 0x72]
            case 0x09: bytes += [0x5C, 0x74]
            case 0x08: bytes += [0x5C, 0x62]
            case 0x0C: bytes += [0x5C, 0x66]
            case 0..<0x20, 0x7F: bytes += [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]]
            default: bytes.append(b)
            }
        }
        bytes.append(0x22)
    }

    mutating func string(_ s: String) { string(bytes: s.utf8) }

    /// A number: integers without a fraction, others in Swift's shortest round-trip form.
    mutating func number(_ d: Double) {
        if d == d.rounded() && abs(d) < 1e15 { raw(String(Int(d))) } else { raw("\(d)") }
    }

    mutating func bool(_ b: Bool) { raw(b ? "true" : "false") }
    mutating func null() { raw("null") }

    /// An object whose members are written by `body` through `member`.
    mutating func object(_ body: (inout ObjectWriter) -> Void) {
        var o = ObjectWriter(writer: self)
        raw("{")
        o.writer = self
        body(&o)
        self = o.writer
        raw("}")
    }

    /// An array whose elements are written by `body`, separated by commas.
    mutating func array<S: Sequence>(_ items: S, _ body: (inout JSONWriter, S.Element) -> Void) {
        raw("[")
        var first = true
        for item in items {
            if !first { raw(",") }
            first = false
            body(&self, item)
        }
        raw("]")
    }

    struct ObjectWriter {
        var writer: JSONWriter
        var count = 0

        mutating func member(_ key: String, _ value: (inout JSONWriter) -> Void) {
            if count > 0 { writer.raw(",") }
            count += 1
            writer.string(key)
            writer.raw(":")
            value(&writer)
        }

        mutating func string(_ key: String, _ value: String?) {
            member(key) { w in if let value { w.string(value) } else { w.null() } }
        }

        mutating func bool(_ key: String, _ value: Bool) { member(key) { $0.bool(value) } }

        mutating func number(_ key: String, _ value: Double?) {
            member(key) { w in if let value { w.number(value) } else { w.null() } }
        }
    }
}
