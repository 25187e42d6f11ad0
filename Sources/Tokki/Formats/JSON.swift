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
        /// A container read in bulk (see ``bulkVocabularies`` and ``bulkMerges``): it has no
        /// child nodes.
        var bulk = false
    }

    /// A `{"token": id, …}` object read straight into a byte pool (no node per member).
    /// Member `k` (file order) is the unescaped key `pool[starts[k] ..< starts[k] + lengths[k]]`
    /// with id `ids[k]`.
    struct BulkVocabulary: Sendable {
        var pool: [UInt8]
        var starts: [Int32]
        var lengths: [Int32]
        var ids: [Int32]
    }

    /// A `merges` array (`"a b"` strings or `["a", "b"]` pairs) read straight into a byte
    /// pool: merge `k`'s left token is `pool[starts[k] ..< splits[k]]` and its right token
    /// `pool[splits[k] ..< starts[k + 1]]`, so the two are also adjacent, as their
    /// concatenation.
    struct BulkMerges: Sendable {
        var pool: [UInt8]
        /// `count + 1` entries.
        var starts: [Int32]
        var splits: [Int32]

        var count: Int { splits.count }
    }

    let bytes: [UInt8]
    private(set) var nodes: [Node] = []
    /// The file the document came from, for error messages.
    let path: String?
    /// Containers read in bulk, by node index.
    private(set) var bulkVocabularies: [Int: BulkVocabulary] = [:]
    private(set) var bulkMerges: [Int: BulkMerges] = [:]

    static let maxDepth = 512

    /// Parses `bytes`; throws `invalidModel` naming the byte offset and line of a syntax error.
    ///
    /// With `tokenizerFields`, the `vocab` object and `merges` array of the root's `model`
    /// object are read in bulk (``bulkVocabularies``, ``bulkMerges``) when they have the
    /// usual shape (string keys with integer ids below `TokenizerJSON.maxID`; merges as
    /// `"a b"` or `["a", "b"]`); anything else in them is parsed as usual, so errors are
    /// reported exactly as without the option. UTF-8 is then validated on a second thread
    /// while parsing; if the parser has read a bulk vocabulary by the time validation ends
    /// (and the document is valid UTF-8), that thread passes it to `whileParsing` (node index,
    /// vocabulary), so that the caller can index it while the parser reads on.
    init(bytes: [UInt8], path: String?, tokenizerFields: Bool = false,
         whileParsing: (@Sendable (Int, BulkVocabulary) -> Void)? = nil) throws(TokkiError) {
        guard bytes.count < Int(Int32.max) else { throw .inputTooLarge(bytes: bytes.count, limit: Int(Int32.max) - 1) }
        self.bytes = bytes
        self.path = path
        var parser = Parser(path: path, bulk: tokenizerFields)
        var nodes: [Node] = []
        // Containers read in bulk need no nodes; without them a node per 8 bytes is ample.
        nodes.reserveCapacity(tokenizerFields ? 1024 : bytes.count / 8 + 16)
        if tokenizerFields {
            let handoff = VocabularyHandoff()
            parser.onVocabulary = { node, vocabulary in handoff.offer(node, vocabulary) }
            nonisolated(unsafe) var sharedParser = parser, sharedNodes = nodes
            nonisolated(unsafe) var parsed: Result<Void, TokkiError> = .success(())
            nonisolated(unsafe) var invalid: Int? = nil
            bytes.withUnsafeBufferPointer { b in
                nonisolated(unsafe) let b = b
                DispatchQueue.concurrentPerform(iterations: 2) { task in
                    if task == 0 {
                        parsed = Result { () throws(TokkiError) in try sharedParser.parseDocument(b, into: &sharedNodes, validate: false) }
                    } else {
                        invalid = UTF8Validation.firstInvalidOffset(in: b)
                        if let (node, vocabulary) = handoff.take(), invalid == nil { whileParsing?(node, vocabulary) }
                    }
                }
            }
            parser = sharedParser
            nodes = sharedNodes
            // Invalid UTF-8 is reported first, as when it is checked before parsing.
            if let bad = invalid { throw bytes.withUnsafeBufferPointer { parser.fail($0, bad, "invalid UTF-8") } }
            try parsed.get()
        } else {
            try bytes.withUnsafeBufferPointer { (b) throws(TokkiError) in
                try parser.parseDocument(b, into: &nodes, validate: true)
            }
        }
        self.nodes = nodes
        bulkVocabularies = parser.vocabularies
        bulkMerges = parser.merges
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
        /// Whether to read `model.vocab` and `model.merges` in bulk.
        let bulk: Bool
        var vocabularies: [Int: BulkVocabulary] = [:]
        var merges: [Int: BulkMerges] = [:]
        /// Called with each vocabulary read in bulk (node index, vocabulary).
        var onVocabulary: ((Int, BulkVocabulary) -> Void)? = nil

        init(path: String?, bulk: Bool) {
            self.path = path
            self.bulk = bulk
        }

        /// Where a value sits, as far as bulk reading cares.
        enum Role { case other, root, model }

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

        mutating func parseDocument(_ b: UnsafeBufferPointer<UInt8>, into nodes: inout [Node], validate: Bool) throws(TokkiError) {
            if validate, let bad = UTF8Validation.firstInvalidOffset(in: b) { throw fail(b, bad, "invalid UTF-8") }
            var i = 0
            // A UTF-8 byte-order mark is tolerated, as Python's json does not but editors write one.
            if b.count >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { i = 3 }
            skipSpace(b, &i)
            try parseValue(b, &i, &nodes, depth: 0, role: bulk ? .root : .other)
            skipSpace(b, &i)
            guard i == b.count else { throw fail(b, i, "unexpected text after the JSON value") }
        }

        mutating func parseValue(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ nodes: inout [Node], depth: Int,
                                 role: Role = .other) throws(TokkiError) {
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
                        var childRole = Role.other
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
                            if role != .other && i < b.count && !nodes[key].escaped {
                                let k = nodes[key]
                                if role == .root && b[i] == 0x7B && Self.equals(b, k, "model") {
                                    childRole = .model
                                } else if role == .model && b[i] == 0x7B && Self.equals(b, k, "vocab") {
                                    done = bulkVocabulary(b, &i, &nodes)
                                } else if role == .model && b[i] == 0x5B && Self.equals(b, k, "merges") {
                                    done = bulkMerges(b, &i, &nodes)
                                }
                            }
                        }
                        if !done { try parseValue(b, &i, &nodes, depth: depth + 1, role: childRole) }
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

        static func equals(_ b: UnsafeBufferPointer<UInt8>, _ node: Node, _ key: StaticString) -> Bool {
            let n = Int(node.end - node.start)
            guard n == key.utf8CodeUnitCount, let base = b.baseAddress else { return false }
            return memcmp(base + Int(node.start), key.utf8Start, n) == 0
        }

        // MARK: Bulk readers
        //
        // Each reads one container of the expected shape and returns true, having appended
        // one childless node for it; at anything unexpected it returns false with `i`
        // unchanged, and the general parser reads the container instead (and reports what is
        // wrong with it exactly as it always does).

        /// Reads `{"token": id, …}` with non-negative integer ids below `TokenizerJSON.maxID`.
        mutating func bulkVocabulary(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ nodes: inout [Node]) -> Bool {
            guard let base = b.baseAddress else { return false }
            let n = b.count
            let remaining = n - i
            // Upper bounds: keys are no longer unescaped than in the file, and a member takes
            // at least 5 bytes (`"":0,`). Only the pages written are ever committed.
            var pool = BulkBuffer<UInt8>(capacity: remaining)
            let maxMembers = remaining / 5 + 1
            var starts = BulkBuffer<Int32>(capacity: maxMembers)
            var lengths = BulkBuffer<Int32>(capacity: maxMembers)
            var ids = BulkBuffer<Int32>(capacity: maxMembers)
            defer { pool.free(); starts.free(); lengths.free(); ids.free() }
            let limit = TokenizerJSON.maxID
            var j = i + 1
            skipSpace(b, &j)
            if j < n && b[j] == 0x7D {
                j += 1
            } else {
                while true {
                    guard j < n, b[j] == 0x22, let key = Self.scanString(b, &j) else { return false }
                    let mark = pool.count
                    guard appendString(b, key, to: &pool) else { return false }
                    skipSpace(b, &j)
                    guard j < n, b[j] == 0x3A else { return false }
                    j += 1
                    skipSpace(b, &j)
                    // A plain integer: no sign, leading zero, fraction or exponent.
                    guard j < n else { return false }
                    var id = Int(base[j]) &- 0x30
                    guard id >= 0 && id <= 9 else { return false }
                    j += 1
                    if id == 0 {
                        if j < n && base[j] >= 0x30 && base[j] <= 0x39 { return false }
                    } else {
                        while j < n {
                            let d = Int(base[j]) &- 0x30
                            guard d >= 0 && d <= 9 else { break }
                            id = id * 10 + d
                            guard id < limit else { return false }
                            j += 1
                        }
                    }
                    guard id < limit else { return false }
                    if j < n && (base[j] == 0x2E || base[j] == 0x65 || base[j] == 0x45) { return false }
                    starts.append(Int32(mark)); lengths.append(Int32(pool.count - mark)); ids.append(Int32(id))
                    skipSpace(b, &j)
                    guard j < n else { return false }
                    if b[j] == 0x2C { j += 1; skipSpace(b, &j); continue }
                    if b[j] == 0x7D { j += 1; break }
                    return false
                }
            }
            let vocabulary = BulkVocabulary(pool: pool.array(), starts: starts.array(), lengths: lengths.array(), ids: ids.array())
            vocabularies[nodes.count] = vocabulary
            onVocabulary?(nodes.count, vocabulary)
            nodes.append(Node(kind: .object, escaped: false, start: Int32(i), end: Int32(j), count: 0, next: Int32(nodes.count + 1), bulk: true))
            i = j
            return true
        }

        /// Reads `["a b", …]` or `[["a", "b"], …]` (or a mix).
        mutating func bulkMerges(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ nodes: inout [Node]) -> Bool {
            let remaining = b.count - i
            // Upper bounds: a merge takes at least 4 bytes (`" ",`), and its tokens are no longer
            // unescaped than in the file. The arrays are written in place (only the pages
            // written are ever committed), not copied to exact size: they live only while loading.
            let maxMerges = remaining / 4 + 2
            var j = i
            var ok = false
            var pool: [UInt8] = [], starts: [Int32] = []
            let splits = [Int32](unsafeUninitializedCapacity: maxMerges) { splitsOut, splitsCount in
                starts = [Int32](unsafeUninitializedCapacity: maxMerges + 1) { startsOut, startsCount in
                    pool = [UInt8](unsafeUninitializedCapacity: remaining + 1) { poolOut, poolCount in
                        guard let p = poolOut.baseAddress, let st = startsOut.baseAddress, let sp = splitsOut.baseAddress else { return }
                        var poolWriter = BulkBuffer(wrapping: p, capacity: poolOut.count)
                        var startsWriter = BulkBuffer(wrapping: st, capacity: startsOut.count)
                        var splitsWriter = BulkBuffer(wrapping: sp, capacity: splitsOut.count)
                        ok = scanMerges(b, &j, pool: &poolWriter, starts: &startsWriter, splits: &splitsWriter)
                        if ok {
                            // A padding byte, so that the pool has an address even when every token is empty.
                            poolWriter.append(0)
                            poolCount = poolWriter.count
                            startsCount = startsWriter.count
                            splitsCount = splitsWriter.count
                        }
                    }
                }
            }
            guard ok else { return false }
            merges[nodes.count] = BulkMerges(pool: pool, starts: starts, splits: splits)
            nodes.append(Node(kind: .array, escaped: false, start: Int32(i), end: Int32(j), count: 0, next: Int32(nodes.count + 1), bulk: true))
            i = j
            return true
        }

        /// The body of ``bulkMerges(_:_:_:)``: `j` at the opening bracket; false at anything
        /// unexpected.
        func scanMerges(_ b: UnsafeBufferPointer<UInt8>, _ j: inout Int, pool: inout BulkBuffer<UInt8>,
                        starts: inout BulkBuffer<Int32>, splits: inout BulkBuffer<Int32>) -> Bool {
            let n = b.count
            starts.append(0)
            j += 1
            skipSpace(b, &j)
            if j < n && b[j] == 0x5D {
                j += 1
                return true
            }
            while true {
                guard j < n else { return false }
                if b[j] == 0x22 {
                    // "a b": exactly one space (in the unescaped text), which is dropped.
                    guard let s = Self.scanString(b, &j) else { return false }
                    let mark = pool.count
                    guard appendString(b, s, to: &pool) else { return false }
                    guard let space = pool.firstSpace(from: mark), pool.firstSpace(from: space + 1) == nil else { return false }
                    pool.remove(at: space)
                    splits.append(Int32(space))
                } else if b[j] == 0x5B {
                    j += 1
                    skipSpace(b, &j)
                    guard j < n, b[j] == 0x22, let left = Self.scanString(b, &j), appendString(b, left, to: &pool) else { return false }
                    splits.append(Int32(pool.count))
                    skipSpace(b, &j)
                    guard j < n, b[j] == 0x2C else { return false }
                    j += 1
                    skipSpace(b, &j)
                    guard j < n, b[j] == 0x22, let right = Self.scanString(b, &j), appendString(b, right, to: &pool) else { return false }
                    skipSpace(b, &j)
                    guard j < n, b[j] == 0x5D else { return false }
                    j += 1
                } else {
                    return false
                }
                starts.append(Int32(pool.count))
                skipSpace(b, &j)
                guard j < n else { return false }
                if b[j] == 0x2C { j += 1; skipSpace(b, &j); continue }
                if b[j] == 0x5D { j += 1; return true }
                return false
            }
        }

        /// Appends the unescaped text of a scanned string; false when an escape is invalid.
        @inline(__always)
        func appendString(_ b: UnsafeBufferPointer<UInt8>, _ s: (start: Int, end: Int, escaped: Bool), to pool: inout BulkBuffer<UInt8>) -> Bool {
            guard let base = b.baseAddress else { return false }
            if !s.escaped {
                pool.append(base + s.start, s.end - s.start)
                return true
            }
            guard let text = try? JSONDocument.unescape(b, s.start, s.end, path: path) else { return false }
            text.withUnsafeBufferPointer { t in if let p = t.baseAddress { pool.append(p, t.count) } }
            return true
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

    /// Whether this container was read in bulk (it has no child nodes; see
    /// ``JSONDocument/bulkVocabularies`` and ``JSONDocument/bulkMerges``).
    var isBulk: Bool { document.nodes[index].bulk }

    /// Containers read in bulk have no child nodes to walk.
    private func expectChildren(_ kind: JSONDocument.Kind) throws(TokkiError) {
        try expect(kind)
        guard !isBulk else { throw error("read in bulk; its members cannot be walked one by one") }
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
        try expectChildren(.array)
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
        try expectChildren(.array)
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
        try expectChildren(.object)
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
        guard kind == .object, !isBulk else { return nil }
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

/// Hands the first bulk vocabulary from the parsing thread to the validating thread, if it is
/// read before validation ends (neither thread ever waits for the other).
private final class VocabularyHandoff: @unchecked Sendable {
    private let lock = NSLock()
    private var vocabulary: (Int, JSONDocument.BulkVocabulary)?
    private var closed = false

    /// Parsing thread: offers a vocabulary (kept only if none was, and before `take`).
    func offer(_ node: Int, _ v: JSONDocument.BulkVocabulary) {
        lock.withLock { if !closed && vocabulary == nil { vocabulary = (node, v) } }
    }

    /// Validating thread: takes the vocabulary offered so far, and refuses later ones.
    func take() -> (Int, JSONDocument.BulkVocabulary)? {
        lock.withLock {
            closed = true
            defer { vocabulary = nil }
            return vocabulary
        }
    }
}

/// Raw memory of an upper-bound size for the bulk readers of ``JSONDocument`` (only the pages
/// written are ever committed), appended to without capacity checks: either owned (copied
/// into an exact-size array at the end, then freed explicitly) or wrapping an array's
/// uninitialized capacity.
struct BulkBuffer<Element: BitwiseCopyable> {
    private let base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    /// The elements the memory holds: the callers' upper bound, checked only by debug asserts.
    let capacity: Int

    /// Owned memory for `capacity` elements (release it with ``free()``).
    init(capacity: Int) {
        self.capacity = max(1, capacity)
        base = .allocate(capacity: self.capacity)
    }

    /// Writes into memory someone else owns, `capacity` elements (never call ``free()`` then).
    init(wrapping base: UnsafeMutablePointer<Element>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    @inline(__always)
    mutating func append(_ e: Element) {
        assert(count < capacity, "BulkBuffer: append past the upper bound of \(capacity)")
        base[count] = e
        count += 1
    }

    @inline(__always)
    mutating func append(_ p: UnsafePointer<Element>, _ n: Int) {
        assert(n >= 0 && count + n <= capacity, "BulkBuffer: \(n) more after \(count) exceed the upper bound of \(capacity)")
        memcpy(base + count, p, n * MemoryLayout<Element>.stride)
        count += n
    }

    /// Removes element `at`, moving the later ones down.
    mutating func remove(at index: Int) {
        assert(index >= 0 && index < count, "BulkBuffer: remove(at: \(index)) of \(count)")
        memmove(base + index, base + index + 1, (count - index - 1) * MemoryLayout<Element>.stride)
        count -= 1
    }

    /// The elements as an array.
    func array() -> [Element] {
        Array(UnsafeBufferPointer(start: base, count: count))
    }

    func free() { base.deallocate() }
}

extension BulkBuffer where Element == UInt8 {
    /// The index of the first space at or after `from`, or nil.
    func firstSpace(from: Int) -> Int? {
        var k = from
        while k < count {
            if base[k] == 0x20 { return k }
            k += 1
        }
        return nil
    }
}
