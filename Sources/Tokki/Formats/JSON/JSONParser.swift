import Foundation

/// Reads some containers of a document in bulk, instead of the parser making one node per
/// value (``JSONDocument/init(bytes:path:reader:afterValidation:)``). The parser offers it
/// the members of the objects it has given a context (starting with the root), before each
/// member's value is parsed.
protocol JSONContainerReader {
    /// What the reader knows of an object it cares about (e.g. "the root", "the `model`
    /// object"); the members of objects without one are never offered.
    associatedtype Context
    /// The root's context (nil: the reader reads nothing).
    var rootContext: Context? { get }
    /// Offered the member whose (unescaped) key is `key`, of an object whose context is
    /// `context`; `i` is at the first byte of the value. Returns ``JSONMemberAction/read`` when
    /// it has read the value itself (appending one childless node with `bulk` set, and moving
    /// `i` past the value); otherwise `i` and `nodes` are unchanged.
    mutating func member(key: JSONDocument.Node, of context: Context, value i: inout Int,
                         in b: UnsafeBufferPointer<UInt8>, nodes: inout [JSONDocument.Node]) -> JSONMemberAction<Context>
}

/// What a ``JSONContainerReader`` did with an object member.
enum JSONMemberAction<Context> {
    /// Nothing: the parser parses the value as usual.
    case parse
    /// The reader read the value.
    case read
    /// The parser parses the value (an object) with this context for its members.
    case descend(Context)
}

/// The reader that reads nothing in bulk.
struct NoContainerReader: JSONContainerReader {
    var rootContext: Never? { nil }
    func member(key: JSONDocument.Node, of context: Never, value i: inout Int,
                in b: UnsafeBufferPointer<UInt8>, nodes: inout [JSONDocument.Node]) -> JSONMemberAction<Never> {
        switch context {}
    }
}

/// The RFC 8259 parser behind ``JSONDocument``: appends the nodes of the document's values
/// in order, and lets its `reader` read the containers it recognizes.
struct JSONParser<Reader: JSONContainerReader> {
    typealias Node = JSONDocument.Node
    typealias Kind = JSONDocument.Kind

    let path: String?
    /// Reads the containers it recognizes in bulk.
    var reader: Reader

    init(path: String?, reader: Reader) {
        self.path = path
        self.reader = reader
    }

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
        JSONDocument.skipSpace(b, &i)
    }

    mutating func parseDocument(_ b: UnsafeBufferPointer<UInt8>, into nodes: inout [Node], validate: Bool) throws(TokkiError) {
        if validate, let bad = UTF8Validation.firstInvalidOffset(in: b) { throw fail(b, bad, "invalid UTF-8") }
        var i = 0
        // A UTF-8 byte-order mark is tolerated, as Python's json does not but editors write one.
        if b.count >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { i = 3 }
        skipSpace(b, &i)
        try parseValue(b, &i, &nodes, depth: 0, context: reader.rootContext)
        skipSpace(b, &i)
        guard i == b.count else { throw fail(b, i, "unexpected text after the JSON value") }
    }

    mutating func parseValue(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ nodes: inout [Node], depth: Int,
                             context: Reader.Context? = nil) throws(TokkiError) {
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
                    var childContext: Reader.Context? = nil
                    var done = false
                    if isObject {
                        guard i < b.count, b[i] == 0x22 else { throw fail(b, i, "expected a string key") }
                        let key = nodes.count
                        try parseString(b, &i, &nodes)
                        skipSpace(b, &i)
                        guard i < b.count, b[i] == 0x3A else { throw fail(b, i, "expected ':'") }
                        i += 1
                        skipSpace(b, &i)
                        count += 1
                        if let context, i < b.count && !nodes[key].escaped {
                            switch reader.member(key: nodes[key], of: context, value: &i, in: b, nodes: &nodes) {
                            case .parse: break
                            case .read: done = true
                            case .descend(let c): childContext = c
                            }
                        }
                    }
                    if !done { try parseValue(b, &i, &nodes, depth: depth + 1, context: childContext) }
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
        // Eight bytes at a time; the byte-by-byte loop below only finds the error.
        var j = i
        if let s = JSONDocument.scanString(b, &j) {
            nodes.append(Node(kind: .string, escaped: s.escaped, start: Int32(s.start), end: Int32(s.end), count: 0, next: Int32(nodes.count + 1)))
            i = j
            return
        }
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

// MARK: Scanning helpers (for the parser and container readers)

extension JSONDocument {
    /// Moves `i` past JSON whitespace. A run of it (a pretty-printed file's line break and
    /// indentation: most of the bytes of a tokenizer.json's merges) is crossed eight bytes at
    /// a time; a byte above U+0020 is never whitespace, so text with none costs one compare.
    @inline(__always)
    static func skipSpace(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) {
        let n = b.count
        guard let p = b.baseAddress else { return }
        while i < n {
            let c = p[i]
            if c > 0x20 { return }
            if i + 8 <= n {
                let m = nonSpaceBytes(UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
                if m != 0 { i += m.trailingZeroBitCount >> 3; return }
                i += 8
                continue
            }
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { return }
        }
    }

    /// The high bit of each byte of `w` that is not JSON whitespace (space, LF, CR, tab), the
    /// other bits clear. Exact per byte: no carry crosses from one byte into the next.
    @inline(__always)
    static func nonSpaceBytes(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101, low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        // The high bit of each byte of v that is not zero: (low seven bits) + 0x7F carries into
        // bit 7 without leaving the byte, or bit 7 was already set.
        @inline(__always) func nonZero(_ v: UInt64) -> UInt64 { ((v & low) &+ low) | v }
        return nonZero(w ^ (ones &* 0x20)) & nonZero(w ^ (ones &* 0x0A)) & nonZero(w ^ (ones &* 0x0D))
            & nonZero(w ^ (ones &* 0x09)) & 0x8080_8080_8080_8080
    }

    /// Whether the (unescaped) string `node` of `b` is `key`.
    static func equals(_ b: UnsafeBufferPointer<UInt8>, _ node: Node, _ key: StaticString) -> Bool {
        let n = Int(node.end - node.start)
        guard n == key.utf8CodeUnitCount, let base = b.baseAddress else { return false }
        return memcmp(base + Int(node.start), key.utf8Start, n) == 0
    }

    /// Scans the string whose opening quote is at `j`, leaving `j` past its closing quote:
    /// the range of its text and whether it has escapes; nil when it is unterminated or
    /// holds a control character. Eight bytes at a time while none is a quote, a
    /// backslash or a control character.
    @inline(__always)
    static func scanString(_ b: UnsafeBufferPointer<UInt8>, _ j: inout Int) -> (start: Int, end: Int, escaped: Bool)? {
        guard let base = b.baseAddress else { return nil }
        let n = b.count
        let start = j + 1
        var k = start
        var escaped = false
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        while true {
            while k + 8 <= n {
                let w = UInt64(littleEndian: UnsafeRawPointer(base + k).loadUnaligned(as: UInt64.self))
                let quote = w ^ (ones &* 0x22), slash = w ^ (ones &* 0x5C)
                let hits = ((quote &- ones) & ~quote | (slash &- ones) & ~slash | (w &- ones &* 0x20) & ~w) & high
                if hits != 0 { k += hits.trailingZeroBitCount >> 3; break }
                k += 8
            }
            guard k < n else { return nil }
            let c = base[k]
            if c == 0x22 { break }
            if c == 0x5C {
                escaped = true
                guard k + 1 < n else { return nil }
                k += 2
                continue
            }
            if c < 0x20 { return nil }
            k += 1
        }
        j = k + 1
        return (start, k, escaped)
    }
}
