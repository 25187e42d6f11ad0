import Foundation

/// A parsed JSON document (RFC 8259), stored as a flat "tape" of nodes so that a
/// 200k-entry vocabulary costs no per-value allocation. Strings stay as byte ranges of the
/// source and are unescaped only when read.
///
/// Knows nothing of any file format: the `tokenizer.json` reader passes a
/// ``JSONContainerReader`` (``TokenizerJSONBulkReader``) to read its large containers in bulk.
/// Used by the `tokenizer.json`, Tekken and GPT-2 readers; errors name the byte offset (and
/// line) of the problem.
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
        /// A container read in bulk by a ``JSONContainerReader``: it has no child nodes (the
        /// reader keeps what it read).
        var bulk = false
    }

    /// The document's text (an array, or a mapped file).
    let bytes: ReadOnlyBytes
    private(set) var nodes: [Node] = []
    /// The file the document came from, for error messages.
    let path: String?

    static let maxDepth = 512

    /// Parses `bytes` (UTF-8 is validated first unless `validate` is false: the caller has
    /// checked it); throws `invalidModel` naming the byte offset and line of a syntax error.
    init(bytes: [UInt8], path: String?, validate: Bool = true) throws(TokkiError) {
        try self.init(source: ReadOnlyBytes(bytes), path: path, validate: validate)
    }

    /// ``init(bytes:path:validate:)`` of read-only bytes (a mapped file).
    init(source bytes: ReadOnlyBytes, path: String?, validate: Bool = true) throws(TokkiError) {
        guard bytes.count < Int(Int32.max) else { throw .inputTooLarge(bytes: bytes.count, limit: Int(Int32.max) - 1) }
        self.bytes = bytes
        self.path = path
        var parser = JSONParser(path: path, reader: NoContainerReader())
        var nodes: [Node] = []
        // A node per 8 bytes is ample.
        nodes.reserveCapacity(bytes.count / 8 + 16)
        try bytes.withUnsafeBufferPointer { (b) throws(TokkiError) in
            try parser.parseDocument(b, into: &nodes, validate: validate)
        }
        self.nodes = nodes
    }

    /// Parses `bytes` letting `reader` read the containers it recognizes in bulk (they get one
    /// childless node each; anything the reader declines is parsed as usual, so errors are
    /// reported exactly as without it). UTF-8 is validated on a second thread while parsing
    /// (invalid UTF-8 is still reported first); when the document is valid UTF-8 that thread
    /// then calls `afterValidation`, possibly while the parser reads on.
    init<Reader: JSONContainerReader>(bytes: ReadOnlyBytes, path: String?, reader: inout Reader,
                                      afterValidation: (@Sendable () -> Void)? = nil) throws(TokkiError) {
        guard bytes.count < Int(Int32.max) else { throw .inputTooLarge(bytes: bytes.count, limit: Int(Int32.max) - 1) }
        self.bytes = bytes
        self.path = path
        var parser = JSONParser(path: path, reader: reader)
        var nodes: [Node] = []
        // Containers read in bulk need no nodes.
        nodes.reserveCapacity(1024)
        nonisolated(unsafe) var sharedParser = parser, sharedNodes = nodes
        nonisolated(unsafe) var parsed: Result<Void, TokkiError> = .success(())
        nonisolated(unsafe) var invalid: Int? = nil
        bytes.withUnsafeBufferPointer { b in
            nonisolated(unsafe) let b = b
            Parallelism.run(tasks: 2) { task in
                if task == 0 {
                    parsed = Result { () throws(TokkiError) in try sharedParser.parseDocument(b, into: &sharedNodes, validate: false) }
                } else {
                    invalid = UTF8Validation.firstInvalidOffset(in: b)
                    if invalid == nil { afterValidation?() }
                }
            }
        }
        parser = sharedParser
        nodes = sharedNodes
        reader = parser.reader
        // Invalid UTF-8 is reported first, as when it is checked before parsing.
        if let bad = invalid { throw bytes.withUnsafeBufferPointer { parser.fail($0, bad, "invalid UTF-8") } }
        try parsed.get()
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

    /// The string node `i` as a Swift string. The document is well-formed UTF-8 (checked when
    /// it was parsed, or by the caller of `validate: false`), and unescaping refuses unpaired
    /// surrogates, so the bytes are not validated again.
    func string(_ i: Int) throws(TokkiError) -> String {
        let node = nodes[i]
        if !node.escaped {
            return bytes.withUnsafeBufferPointer { b in
                String(validatedUTF8: UnsafeBufferPointer(rebasing: b[Int(node.start)..<Int(node.end)]))
            }
        }
        return String(validatedUTF8: try stringBytes(i))
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
}
