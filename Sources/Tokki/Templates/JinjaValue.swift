/// A value during rendering: the JSON-like data plus what only a running template has
/// (undefined values, namespaces, macros, loop objects, bound methods). Follows Python's
/// semantics where templates can observe them (printing, equality, truthiness).
enum JValue {
    /// jinja2's `Undefined`; `hint` is the message raised when it is used in a way that fails.
    case undefined(hint: String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([JValue])
    case tuple([JValue])
    case dict(JDict)
    case namespace(JNamespace)
    indirect case macro(JMacroValue)
    case function(String)
    indirect case method(JValue, String)
    case loop(JLoop)

    init(_ v: TemplateValue) {
        switch v {
        case .none: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .list(a.map(JValue.init))
        case .object(let o): self = .dict(o.mapped(JValue.init))
        }
    }

    var isUndefined: Bool { if case .undefined = self { true } else { false } }

    /// Python truthiness.
    var truthy: Bool {
        switch self {
        case .undefined, .none: false
        case .bool(let b): b
        case .int(let i): i != 0
        case .double(let d): d != 0
        case .string(let s): !s.isEmpty
        case .list(let a), .tuple(let a): !a.isEmpty
        case .dict(let d): d.count > 0
        default: true
        }
    }

    /// The Python type name, for error messages.
    var typeName: String {
        switch self {
        case .undefined: "Undefined"
        case .none: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "str"
        case .list: "list"
        case .tuple: "tuple"
        case .dict: "dict"
        case .namespace: "Namespace"
        case .macro: "Macro"
        case .function, .method: "function"
        case .loop: "LoopContext"
        }
    }

    /// jinja2's `object_type_repr`, used in undefined hints.
    var objectTypeRepr: String {
        switch self {
        case .none: "None"
        default: "\(typeName) object"
        }
    }

    /// Python `str(value)`.
    var str: String {
        switch self {
        case .undefined: ""
        case .string(let s): s
        default: repr
        }
    }

    /// Python `repr(value)`.
    var repr: String {
        switch self {
        case .undefined: "Undefined"
        case .none: "None"
        case .bool(let b): b ? "True" : "False"
        case .int(let i): String(i)
        case .double(let d): PythonFormat.float(d)
        case .string(let s): PythonFormat.stringRepr(s)
        case .list(let a): "[" + a.map(\.repr).joined(separator: ", ") + "]"
        case .tuple(let a): a.count == 1 ? "(" + a[0].repr + ",)" : "(" + a.map(\.repr).joined(separator: ", ") + ")"
        case .dict(let d): "{" + d.members.map { PythonFormat.stringRepr($0.key) + ": " + $0.value.repr }.joined(separator: ", ") + "}"
        case .namespace(let n): "<Namespace {" + n.attributes.members.map { PythonFormat.stringRepr($0.key) + ": " + $0.value.repr }.joined(separator: ", ") + "}>"
        case .macro(let m): "<Macro '\(m.definition.name)'>"
        case .function(let f): "<function \(f)>"
        case .method(_, let m): "<built-in method \(m)>"
        case .loop(let l): "<LoopContext \(l.index0 + 1)/\(l.length)>"
        }
    }

    /// Elements when iterated (`for`, `list`, filters), or nil when not iterable.
    var iterated: [JValue]? {
        switch self {
        case .undefined: []
        case .list(let a), .tuple(let a): a
        case .dict(let d): d.keys.map { .string($0) }
        case .string(let s): s.unicodeScalars.map { .string(String($0)) }
        default: nil
        }
    }

    var numeric: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }

    var integer: Int? {
        switch self {
        case .int(let i): i
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }
}

/// The engine's dictionaries: string keys in insertion order.
typealias JDict = OrderedStringMap<JValue>

/// `namespace(...)`: the one mutable object templates can assign attributes on.
final class JNamespace {
    var attributes: JDict
    init(_ attributes: JDict) { self.attributes = attributes }
}

/// A macro with the scope it was defined in.
struct JMacroValue {
    let definition: JinjaMacro
    let closure: JScope
    /// For `{% call %}` blocks: the body rendered by `caller()`.
    var isCaller = false
}

/// The `loop` variable of a `for` loop.
final class JLoop {
    var index0 = 0
    let items: [JValue]
    var length: Int { items.count }
    init(items: [JValue]) { self.items = items }
}

/// Variables of one scope (template, loop iteration, macro call).
final class JScope {
    /// Not checked for exclusive access at run time (looked up on every name): a scope is used
    /// by one render on one thread, and no access to it overlaps another.
    @exclusivity(unchecked) var variables = OrderedStringMap<JValue>()
    let parent: JScope?
    init(parent: JScope?) { self.parent = parent }

    func lookup(_ name: String) -> JValue? {
        var s: JScope? = self
        while let cur = s {
            if let v = cur.variables[name] { return v }
            s = cur.parent
        }
        return nil
    }
}

/// Python's formatting of values: `repr` of floats and strings, and `json.dumps`.
enum PythonFormat {
    /// `repr(float)`: the shortest round-tripping digits, fixed notation for exponents in -4..<16.
    static func float(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v < 0 ? "-inf" : "inf" }
        if v == 0 { return v.sign == .minus ? "-0.0" : "0.0" }
        var s = "\(v.magnitude)"
        var exp10 = 0
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exp10 = Int(s[s.index(after: e)...]) ?? 0
            s = String(s[..<e])
        }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        let intPart = String(parts[0])
        let frac = parts.count > 1 ? String(parts[1]) : ""
        var digits = Array(intPart + frac)
        var point = intPart.count + exp10
        while digits.first == "0" { digits.removeFirst(); point -= 1 }
        while digits.last == "0" { digits.removeLast() }
        if digits.isEmpty { return v.sign == .minus ? "-0.0" : "0.0" }
        let e = point - 1
        var out = v.sign == .minus ? "-" : ""
        if e >= -4 && e < 16 {
            if point <= 0 {
                out += "0." + String(repeating: "0", count: -point) + String(digits)
            } else if point >= digits.count {
                out += String(digits) + String(repeating: "0", count: point - digits.count) + ".0"
            } else {
                out += String(digits[..<point]) + "." + String(digits[point...])
            }
        } else {
            out += String(digits[0])
            if digits.count > 1 { out += "." + String(digits[1...]) }
            out += e < 0 ? "e-" : "e+"
            let a = abs(e)
            out += a < 10 ? "0\(a)" : "\(a)"
        }
        return out
    }

    /// `repr(str)`: single quotes unless the text has a single quote and no double quote.
    static func stringRepr(_ s: String) -> String {
        let quote: Unicode.Scalar = (s.unicodeScalars.contains("'") && !s.unicodeScalars.contains("\"")) ? "\"" : "'"
        var out = String.UnicodeScalarView()
        out.append(quote)
        for c in s.unicodeScalars {
            switch c {
            case quote, "\\": out.append("\\"); out.append(c)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            default:
                if isPrintable(c) {
                    out.append(c)
                } else if c.value < 0x100 {
                    out.append(contentsOf: ("\\x" + hex(c.value, 2)).unicodeScalars)
                } else if c.value < 0x10000 {
                    out.append(contentsOf: ("\\u" + hex(c.value, 4)).unicodeScalars)
                } else {
                    out.append(contentsOf: ("\\U" + hex(c.value, 8)).unicodeScalars)
                }
            }
        }
        out.append(quote)
        return String(out)
    }

    static func hex(_ v: UInt32, _ width: Int) -> String {
        let h = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - h.count)) + h
    }

    /// Python's `str.isprintable` for one character.
    static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        if c == " " { return true }
        switch c.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }

    /// Appends `s` as a JSON string the way Python's `json.dumps` writes it.
    static func appendJSONString(_ s: String, asciiOnly: Bool, to out: inout String) {
        out.append("\"")
        for c in s.unicodeScalars {
            switch c {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case "\u{08}": out.append("\\b")
            case "\u{0C}": out.append("\\f")
            default:
                if c.value < 0x20 {
                    out.append("\\u" + hex(c.value, 4))
                } else if asciiOnly && c.value > 0x7E {
                    if c.value >= 0x10000 {
                        let v = c.value - 0x10000
                        out.append("\\u" + hex(0xD800 + (v >> 10), 4) + "\\u" + hex(0xDC00 + (v & 0x3FF), 4))
                    } else {
                        out.append("\\u" + hex(c.value, 4))
                    }
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        out.append("\"")
    }

    struct JSONOptions {
        var asciiOnly = false
        var indent: String? = nil
        var itemSeparator = ", "
        var keySeparator = ": "
        var sortKeys = false
    }

    /// Python's `json.dumps(value, ...)`.
    static func json(_ v: JValue, _ o: JSONOptions, level: Int = 0, into out: inout String) throws(ChatTemplateError) {
        guard level < 200 else { throw .limit("value nests too deeply for tojson") }
        switch v {
        case .none: out.append("null")
        case .bool(let b): out.append(b ? "true" : "false")
        case .int(let i): out.append(String(i))
        case .double(let d):
            if d.isNaN { out.append("NaN") } else if d.isInfinite { out.append(d < 0 ? "-Infinity" : "Infinity") } else { out.append(float(d)) }
        case .string(let s): appendJSONString(s, asciiOnly: o.asciiOnly, to: &out)
        case .list(let a), .tuple(let a):
            if a.isEmpty { out.append("[]"); return }
            out.append("[")
            for (n, e) in a.enumerated() {
                if n > 0 { out.append(o.itemSeparator) }
                newline(o, level + 1, &out)
                try json(e, o, level: level + 1, into: &out)
            }
            newline(o, level, &out)
            out.append("]")
        case .dict(let d):
            if d.count == 0 { out.append("{}"); return }
            out.append("{")
            var members = d.members
            if o.sortKeys { members.sort { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) } }
            for (n, m) in members.enumerated() {
                if n > 0 { out.append(o.itemSeparator) }
                newline(o, level + 1, &out)
                appendJSONString(m.key, asciiOnly: o.asciiOnly, to: &out)
                out.append(o.keySeparator)
                try json(m.value, o, level: level + 1, into: &out)
            }
            newline(o, level, &out)
            out.append("}")
        default:
            throw .type("Object of type \(v.typeName) is not JSON serializable")
        }
    }

    private static func newline(_ o: JSONOptions, _ level: Int, _ out: inout String) {
        guard let indent = o.indent else { return }
        out.append("\n")
        for _ in 0..<level { out.append(indent) }
    }
}
