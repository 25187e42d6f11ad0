/// A small JSON emitter with stable output (keys in the order written, two-space indents
/// for the top level, compact arrays of numbers), for `tokenizer.json` files and the reports of
/// the other modules.
package struct JSONWriter {
    /// The JSON text written so far.
    package private(set) var bytes: [UInt8] = []

    /// An empty writer.
    package init() {}

    /// Text written as it is.
    package mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }

    /// A JSON string literal (UTF-8 kept as is; quotes, backslashes and controls escaped).
    mutating func string<C: Collection>(bytes s: C) where C.Element == UInt8 {
        JSONText.appendString(s, to: &bytes)
    }

    /// A JSON string literal.
    package mutating func string(_ s: String) { JSONText.appendString(s, to: &bytes) }

    /// An integer.
    package mutating func integer(_ v: Int) { JSONText.appendInteger(v, to: &bytes) }

    /// A number in Swift's `description` form (`1.0`, `0.25`, `1e-05`): a fraction digit even
    /// for integral values, unlike ``number(_:)``.
    package mutating func decimal(_ d: Double) { raw(d.description) }

    /// A number: integers without a fraction, others in Swift's shortest round-trip form.
    mutating func number(_ d: Double) {
        if d == d.rounded() && abs(d) < 1e15 { JSONText.appendInteger(Int(d), to: &bytes) } else { raw("\(d)") }
    }

    /// `true` or `false`.
    package mutating func bool(_ b: Bool) { raw(b ? "true" : "false") }
    /// `null`.
    package mutating func null() { raw("null") }

    /// An object whose members are written by `body` through `member`.
    package mutating func object(_ body: (inout ObjectWriter) -> Void) {
        var o = ObjectWriter(writer: self)
        raw("{")
        o.writer = self
        body(&o)
        self = o.writer
        raw("}")
    }

    /// An array whose elements are written by `body`, separated by commas.
    package mutating func array<S: Sequence>(_ items: S, _ body: (inout JSONWriter, S.Element) -> Void) {
        raw("[")
        var first = true
        for item in items {
            if !first { raw(",") }
            first = false
            body(&self, item)
        }
        raw("]")
    }

    /// Writes the members of an object, separated by commas.
    package struct ObjectWriter {
        var writer: JSONWriter
        var count = 0

        /// A member whose value `value` writes.
        package mutating func member(_ key: String, _ value: (inout JSONWriter) -> Void) {
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

/// Pieces of JSON text for the writers that build lines byte by byte (JSONL rows, safetensors
/// headers, CLI output): one escaping rule for the whole project.
package enum JSONText {
    /// Appends `s` as a JSON string literal: UTF-8 kept as is; quotes, backslashes and control
    /// characters escaped (`\n`, `\r`, `\t`, `\b`, `\f`, else `\u00XX`; DEL too).
    package static func appendString<C: Collection>(_ s: C, to out: inout [UInt8]) where C.Element == UInt8 {
        out.append(0x22)
        // Most strings need no escape: checked first, then copied in one go.
        let done: Bool? = s.withContiguousStorageIfAvailable { b in
            for c in b where c < 0x20 || c == 0x22 || c == 0x5C || c == 0x7F { return false }
            out.append(contentsOf: b)
            return true
        }
        if done != true {
            for b in s { appendEscaped(b, to: &out) }
        }
        out.append(0x22)
    }

    @inline(__always)
    static func appendEscaped(_ b: UInt8, to out: inout [UInt8]) {
        switch b {
        case 0x22, 0x5C: out.append(0x5C); out.append(b)
        case 0x0A: out.append(0x5C); out.append(0x6E)
        case 0x0D: out.append(0x5C); out.append(0x72)
        case 0x09: out.append(0x5C); out.append(0x74)
        case 0x08: out.append(0x5C); out.append(0x62)
        case 0x0C: out.append(0x5C); out.append(0x66)
        case 0..<0x20, 0x7F:
            out.append(0x5C); out.append(0x75); out.append(0x30); out.append(0x30)
            out.append(hexDigits[Int(b >> 4)]); out.append(hexDigits[Int(b & 15)])
        default: out.append(b)
        }
    }

    /// Appends `s` as a JSON string literal.
    package static func appendString(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { appendString($0, to: &out) }
    }

    /// Appends the decimal digits of `v` (with a minus sign when negative).
    @inline(__always)
    package static func appendInteger(_ v: Int, to out: inout [UInt8]) {
        if v < 0 { out.append(0x2D) }
        var x = v.magnitude
        if x < 10 { out.append(0x30 + UInt8(x)); return }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)   // room for 24 digits
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            while x > 0 {
                assert(n < d.count)  // UInt64.max has 20 digits
                d[n] = 0x30 + UInt8(x % 10); x /= 10; n += 1
            }
            while n > 0 { n -= 1; out.append(d[n]) }
        }
    }

    static let hexDigits = Array("0123456789abcdef".utf8)
}
