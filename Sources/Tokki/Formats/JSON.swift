import Foundation

/// A parsed JSON document (RFC 8259), stored as a flat "tape" of nodes so that a
/// 200k-entry vocabulary costs no per-value allocation. Strings stay as byte ranges of the
/// source and are unescaped only when read.
///
/// Used by the `tokenizer.json` and Tekken readers; errors name the byte offset (and line)
/// of the problem.
struct JSONDocument: Sendable {
    enum Kind: UInt8, Sendable {
        case null, `false`, `true`, number, string, array, object

        var name: String {
            switch self {
            case .null: "null"
            case .false, .true: "a boolean"
            case .number: "a number"
            case .string: "a string"
            case .array: "an array"
            case .object: "an object"
            }
        }
    }

    /// One value. For strings and numbers `start..<end` are its source bytes (strings
    /// without the quotes); for containers `count` is the number of children (an object
    /// has 2 × members: key, value, key, value…) which follow the node directly, and
    /// `next` is the index just past the container's subtree.
    struct Node: Sendable {
        var kind: Kind
        var escaped: Bool
        var start: Int32
        var end: Int32
        var count: Int32
        var next: Int32
    }

    let bytes: [UInt8]
    private(set) var nodes: [Node] = []
    /// The file the document came from, for error messages.
    let path: String?

    static let maxDepth = 512

    /// Parses `bytes`; throws `invalidModel` naming the byte offset and line of a syntax error.
    init(bytes: [UInt8], path: String?) throws(TokkiError) {
        guard bytes.count < Int(Int32.max) else { throw .inputTooLarge(bytes: bytes.count, limit: Int(Int32.max) - 1) }
        self.bytes = bytes
        self.path = path
        nodes.reserveCapacity(bytes.count / 8 + 16)
        var parser = Parser(path: path)
        var nodes: [Node] = []
        nodes.reserveCapacity(bytes.count / 8 + 16)
        try bytes.withUnsafeBufferPointer { (b) throws(TokkiError) in
            try parser.parseDocument(b, into: &nodes)
        }
        self.nodes = nodes
    }

    /// The root value.
    var root: JSONValue { JSONValue(document: self, index: 0, path: "$") }

    // MARK: Reading strings

    /// The unescaped UTF-8 bytes of string node `i`.
    func stringBytes(_ i: Int) throws(TokkiError) -> [UInt8] {
        let node = nodes[i]
        let s = Int(node.start), e = Int(node.end)
        if !node.escaped { return Array(bytes[s..<e]) }
        return try bytes.withUnsafeBufferPointer { (b) throws(TokkiError) in try Self.unescape(b, s, e, path: path) }
    }

    /// Appends the unescaped bytes of string node `i` to `out`.
    func appendStringBytes(_ i: Int, to out: inout [UInt8]) throws(TokkiError) {
        let node = nodes[i]
        let s = Int(node.start), e = Int(node.end)
        if !node.escaped {
            bytes.withUnsafeBufferPointer { b in out.append(contentsOf: UnsafeBufferPointer(rebasing: b[s..<e])) }
        } else {
            out.append(contentsOf: try stringBytes(i))
        }
    }

    /// The string node `i` as a Swift string.
    func string(_ i: Int) throws(TokkiError) -> String {
        let node = nodes[i]
        if !node.escaped {
            return bytes.withUnsafeBufferPointer { b in
                String(decoding: UnsafeBufferPointer(rebasing: b[Int(node.start)..<Int(node.end)]), as: UTF8.self)
            }
        }
        return String(decoding: try stringBytes(i), as: UTF8.self)
    }

    /// Whether string node `i` equals `key` (compared as unescaped bytes).
    func stringEquals(_ i: Int, _ key: StaticString) -> Bool {
        let node = nodes[i]
        guard !node.escaped else {
            return (try? stringBytes(i)).map { $0.elementsEqual(UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)) } ?? false
        }
        let n = Int(node.end - node.start)
        guard n == key.utf8CodeUnitCount else { return false }
        return bytes.withUnsafeBufferPointer { b in
            memcmp(b.baseAddress! + Int(node.start), key.utf8Start, n) == 0
        }
    }

    static func unescape(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, path: String?) throws(TokkiError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(e - s)
        var i = s
        func hex4(_ at: Int) throws(TokkiError) -> UInt32 {
            guard at + 4 <= e else { throw .invalidModel(path: path, problem: "truncated \\u escape at byte offset \(at)") }
            var v: UInt32 = 0
            for k in at..<(at + 4) {
                let c = b[k]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw .invalidModel(path: path, problem: "invalid \\u escape at byte offset \(k)")
                }
                v = v << 4 | d
            }
            return v
        }
        while i < e {
            let c = b[i]
            if c != 0x5C { out.append(c); i += 1; continue }
            let k = b[i + 1]  // the parser guarantees an escape is complete
            i += 2
            switch k {
            case 0x22, 0x5C, 0x2F: out.append(k)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                var scalar = try hex4(i)
                let at = i - 2
                i += 4
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard i + 6 <= e, b[i] == 0x5C, b[i + 1] == 0x75 else {
                        throw .invalidModel(path: path, problem: "unpaired surrogate \\u\(String(scalar, radix: 16)) at byte offset \(at)")
                    }
                    let low = try hex4(i + 2)
                    guard low >= 0xDC00 && low < 0xE000 else {
                        throw .invalidModel(path: path, problem: "unpaired surrogate \\u\(String(scalar, radix: 16)) at byte offset \(at)")
                    }
                    i += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw .invalidModel(path: path, problem: "unpaired surrogate \\u\(String(scalar, radix: 16)) at byte offset \(at)")
                }
                appendUTF8(scalar, to: &out)
            default:
                throw .invalidModel(path: path, problem: "invalid escape at byte offset \(i - 2)")
            }
        }
        return out
    }

    /// The number node `i` as a Double.
    func double(_ i: Int) -> Double {
        let node = nodes[i]
        let s = Int(node.start), e = Int(node.end)
        // Integers up to 15 digits are exact without strtod.
        var v: Int64 = 0
        var k = s
        var negative = false
        if bytes[k] == 0x2D { negative = true; k += 1 }
        var simple = e - k <= 15
        while simple && k < e {
            let c = bytes[k]
            if c >= 0x30 && c <= 0x39 { v = v * 10 + Int64(c - 0x30); k += 1 } else { simple = false }
        }
        if simple { return Double(negative ? -v : v) }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: e - s + 1) { buf in
            for j in s..<e { buf[j - s] = CChar(bitPattern: bytes[j]) }
            buf[e - s] = 0
            return strtod(buf.baseAddress!, nil)
        }
    }

    /// The number node `i` as an Int, or nil when it is not an integer.
    func integer(_ i: Int) -> Int? {
        let node = nodes[i]
        var k = Int(node.start)
        let e = Int(node.end)
        var negative = false
        if bytes[k] == 0x2D { negative = true; k += 1 }
        var v = 0
        guard e - k <= 18 else { return nil }
        while k < e {
            let c = bytes[k]
            guard c >= 0x30 && c <= 0x39 else {
                let d = double(i)
                return d.rounded() == d && abs(d) < 1e15 ? Int(d) : nil
            }
            v = v * 10 + Int(c - 0x30); k += 1
        }
        return negative ? -v : v
    }

    // MARK: Parser

    private struct Parser {
        let path: String?

        func fail(_ b: UnsafeBufferPointer<UInt8>, _ at: Int, _ message: String) -> TokkiError {
            var line = 1, column = 1
            var k = 0
            while k < at && k < b.count {
                if b[k] == 0x0A { line += 1; column = 1 } else { column += 1 }
                k += 1
            }
            return .invalidModel(path: path, problem: "invalid JSON at byte offset \(at) (line \(line), column \(column)): \(message)")
        }

        @inline(__always) func skipSpace(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) {
            while i < b.count {
                let c = b[i]
                if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { break }
            }
        }

        mutating func parseDocument(_ b: UnsafeBufferPointer<UInt8>, into nodes: inout [Node]) throws(TokkiError) {
            if let bad = UTF8Validation.firstInvalidOffset(in: b) { throw fail(b, bad, "invalid UTF-8") }
            var i = 0
            // A UTF-8 byte-order mark is tolerated, as Python's json does not but editors write one.
            if b.count >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { i = 3 }
            skipSpace(b, &i)
            try parseValue(b, &i, &nodes, depth: 0)
            skipSpace(b, &i)
            guard i == b.count else { throw fail(b, i, "unexpected text after the JSON value") }
        }

        mutating func parseValue(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ nodes: inout [Node], depth: Int) throws(TokkiError) {
            guard i < b.count else { throw fail(b, i, "unexpected end of input") }
            guard depth < JSONDocument.maxDepth else { throw fail(b, i, "nesting deeper than \(JSONDocument.maxDepth)") }
            let c = b[i]
            switch c {
            case 0x7B, 0x5B:  // { [
                let isObject = c == 0x7B
                let me = nodes.count
                nodes.append(Node(kind: isObject ? .object : .array, escaped: false, start: Int32(i), end: 0, count: 0, next: 0))
                i += 1
                skipSpace(b, &i)
                var count: Int32 = 0
                let close: UInt8 = isObject ? 0x7D : 0x5D
                if i < b.count && b[i] == close {
                    i += 1
                } else {
                    while true {
                        if isObject {
                            guard i < b.count, b[i] == 0x22 else { throw fail(b, i, "expected a string key") }
                            try parseString(b, &i, &nodes)
                            skipSpace(b, &i)
                            guard i < b.count, b[i] == 0x3A else { throw fail(b, i, "expected ':'") }
                            i += 1
                            skipSpace(b, &i)
                            count += 1
                        }
                        try parseValue(b, &i, &nodes, depth: depth + 1)
                        count += 1
                        skipSpace(b, &i)
                        guard i < b.count else { throw fail(b, i, "unexpected end of input inside \(isObject ? "an object" : "an array")") }
                        if b[i] == 0x2C { i += 1; skipSpace(b, &i); continue }
                        if b[i] == close { i += 1; break }
                        throw fail(b, i, isObject ? "expected ',' or '}'" : "expected ',' or ']'")
                    }
                }
                nodes[me].count = count
                nodes[me].end = Int32(i)
                nodes[me].next = Int32(nodes.count)
            case 0x22:
                try parseString(b, &i, &nodes)
            case 0x74:
                try literal(b, &i, "true", .true, &nodes)
            case 0x66:
                try literal(b, &i, "false", .false, &nodes)
            case 0x6E:
                try literal(b, &i, "null", .null, &nodes)
            case 0x2D, 0x30...0x39:
                try parseNumber(b, &i, &nodes)
            default:
                throw fail(b, i, "unexpected character")
            }
        }

        func literal(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ word: StaticString, _ kind: Kind, _ nodes: inout [Node]) throws(TokkiError) {
            let n = word.utf8CodeUnitCount
            guard i + n <= b.count, memcmp(b.baseAddress! + i, word.utf8Start, n) == 0 else { throw fail(b, i, "unexpected character") }
            nodes.append(Node(kind: kind, escaped: false, start: Int32(i), end: Int32(i + n), count: 0, next: Int32(nodes.count + 1)))
            i += n
        }

        func parseNumber(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ nodes: inout [Node]) throws(TokkiError) {
            let start = i
            @inline(__always) func digits() -> Int {
                let s = i
                while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
                return i - s
            }
            if b[i] == 0x2D { i += 1 }
            let intStart = i
            let n = digits()
            guard n > 0 else { throw fail(b, i, "invalid number") }
            guard !(n > 1 && b[intStart] == 0x30) else { throw fail(b, intStart, "leading zero in a number") }
            if i < b.count && b[i] == 0x2E {
                i += 1
                guard digits() > 0 else { throw fail(b, i, "invalid number") }
            }
            if i < b.count && (b[i] == 0x65 || b[i] == 0x45) {
                i += 1
                if i < b.count && (b[i] == 0x2B || b[i] == 0x2D) { i += 1 }
                guard digits() > 0 else { throw fail(b, i, "invalid number") }
            }
            nodes.append(Node(kind: .number, escaped: false, start: Int32(start), end: Int32(i), count: 0, next: Int32(nodes.count + 1)))
        }

        func parseString(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ nodes: inout [Node]) throws(TokkiError) {
            let open = i
            i += 1
            let start = i
            var escaped = false
            let n = b.count
            while true {
                guard i < n else { throw fail(b, open, "unterminated string") }
                let c = b[i]
                if c == 0x22 { break }
                if c == 0x5C {
                    escaped = true
                    guard i + 1 < n else { throw fail(b, open, "unterminated string") }
                    i += 2
                    continue
                }
                if c < 0x20 { throw fail(b, i, "control character in a string") }
                i += 1  // the document was validated as UTF-8 up front
            }
            nodes.append(Node(kind: .string, escaped: escaped, start: Int32(start), end: Int32(i), count: 0, next: Int32(nodes.count + 1)))
            i += 1
        }
    }
}

/// A position in a ``JSONDocument`` with its JSON path (for error messages), offering typed
/// accessors that throw errors naming the path.
struct JSONValue: Sendable {
    let document: JSONDocument
    let index: Int
    let path: String

    var kind: JSONDocument.Kind { document.nodes[index].kind }
    var isNull: Bool { kind == .null }

    func error(_ problem: String) -> TokkiError {
        .invalidModel(path: document.path, problem: "\(path): \(problem)")
    }

    private func expect(_ kind: JSONDocument.Kind) throws(TokkiError) {
        guard self.kind == kind else { throw error("expected \(kind.name), found \(self.kind.name)") }
    }

    func string() throws(TokkiError) -> String {
        try expect(.string)
        return try document.string(index)
    }

    func stringBytes() throws(TokkiError) -> [UInt8] {
        try expect(.string)
        return try document.stringBytes(index)
    }

    func bool() throws(TokkiError) -> Bool {
        switch kind {
        case .true: return true
        case .false: return false
        default: throw error("expected a boolean, found \(kind.name)")
        }
    }

    func double() throws(TokkiError) -> Double {
        try expect(.number)
        return document.double(index)
    }

    func int() throws(TokkiError) -> Int {
        try expect(.number)
        guard let v = document.integer(index) else { throw error("expected an integer") }
        return v
    }

    /// The elements of an array.
    func array() throws(TokkiError) -> [JSONValue] {
        try expect(.array)
        var out: [JSONValue] = []
        let nodes = document.nodes
        out.reserveCapacity(Int(nodes[index].count))
        var k = index + 1
        var n = 0
        while n < Int(nodes[index].count) {
            out.append(JSONValue(document: document, index: k, path: "\(path)[\(n)]"))
            k = Int(nodes[k].next)
            n += 1
        }
        return out
    }

    /// Node indices of an array's elements (no path strings: for bulk data).
    func elementIndices() throws(TokkiError) -> [Int] {
        try expect(.array)
        let nodes = document.nodes
        var out: [Int] = []
        out.reserveCapacity(Int(nodes[index].count))
        var k = index + 1
        for _ in 0..<Int(nodes[index].count) {
            out.append(k)
            k = Int(nodes[k].next)
        }
        return out
    }

    /// (key node, value node) indices of an object's members, in file order.
    func memberIndices() throws(TokkiError) -> [(key: Int, value: Int)] {
        try expect(.object)
        let nodes = document.nodes
        var out: [(key: Int, value: Int)] = []
        out.reserveCapacity(Int(nodes[index].count) / 2)
        var k = index + 1
        for _ in 0..<(Int(nodes[index].count) / 2) {
            let v = k + 1
            out.append((k, v))
            k = Int(nodes[v].next)
        }
        return out
    }

    /// The member `key` of an object, or nil when absent.
    subscript(key: StaticString) -> JSONValue? {
        guard kind == .object else { return nil }
        let nodes = document.nodes
        var k = index + 1
        for _ in 0..<(Int(nodes[index].count) / 2) {
            if document.stringEquals(k, key) {
                return JSONValue(document: document, index: k + 1, path: "\(path).\(key)")
            }
            k = Int(nodes[k + 1].next)
        }
        return nil
    }

    /// The member `key`, required.
    func required(_ key: StaticString) throws(TokkiError) -> JSONValue {
        try expect(.object)
        guard let v = self[key] else { throw error("missing field '\(key)'") }
        return v
    }

    /// The member `key` when present and not null.
    func optional(_ key: StaticString) -> JSONValue? {
        guard let v = self[key], !v.isNull else { return nil }
        return v
    }

    /// The object's keys (unescaped), in file order.
    func keys() throws(TokkiError) -> [String] {
        var out: [String] = []
        for m in try memberIndices() { out.append(try document.string(m.key)) }
        return out
    }

    func value(at node: Int, path: String) -> JSONValue { JSONValue(document: document, index: node, path: path) }
}

/// Reads one string field of a JSON object line (JSONL corpora: `{"text": "…"}`).
public enum JSONLines {
    /// The UTF-8 bytes of the string member `field` of the JSON object in `line`, or nil
    /// when the member is absent or not a string.
    ///
    /// - Throws: ``TokkiError/invalidModel(path:problem:)`` naming the byte offset when the
    ///   line is not valid JSON or not an object.
    public static func stringField(_ field: String, in line: [UInt8], source: String? = nil) throws(TokkiError) -> [UInt8]? {
        let root = try JSONDocument(bytes: line, path: source).root
        guard root.kind == .object else { throw root.error("expected a JSON object") }
        for m in try root.memberIndices() where try root.document.string(m.key) == field {
            guard root.document.nodes[m.value].kind == .string else { return nil }
            return try root.document.stringBytes(m.value)
        }
        return nil
    }
}
