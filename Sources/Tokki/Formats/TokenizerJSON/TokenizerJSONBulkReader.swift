import Foundation

/// Reads the `vocab` object and `merges` array of a `tokenizer.json`'s `model` straight into
/// byte pools while ``JSONDocument`` parses the rest (a 200k-token vocabulary then costs no
/// node per member). Only containers of the usual shape are read (string keys with integer
/// ids below ``TokenizerJSON/maxID``; merges as `"a b"` or `["a", "b"]`); the parser reads
/// anything else as usual, so errors are reported exactly as without the reader.
struct TokenizerJSONBulkReader: JSONContainerReader {
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

    /// Where an object sits, as far as bulk reading cares.
    enum Context { case root, model }

    /// The file, for error messages of escapes.
    let path: String?
    /// Vocabularies read, by node index.
    private(set) var vocabularies: [Int: BulkVocabulary] = [:]
    /// Merge lists read, by node index.
    private(set) var merges: [Int: BulkMerges] = [:]
    /// Called with each vocabulary read (node index, vocabulary).
    var onVocabulary: ((Int, BulkVocabulary) -> Void)? = nil

    init(path: String?) {
        self.path = path
    }

    var rootContext: Context? { .root }

    mutating func member(key: JSONDocument.Node, of context: Context, value i: inout Int,
                         in b: UnsafeBufferPointer<UInt8>, nodes: inout [JSONDocument.Node]) -> JSONMemberAction<Context> {
        if context == .root && b[i] == 0x7B && JSONDocument.equals(b, key, "model") {
            return .descend(.model)
        } else if context == .model && b[i] == 0x7B && JSONDocument.equals(b, key, "vocab") {
            return bulkVocabulary(b, &i, &nodes) ? .read : .parse
        } else if context == .model && b[i] == 0x5B && JSONDocument.equals(b, key, "merges") {
            return bulkMerges(b, &i, &nodes) ? .read : .parse
        }
        return .parse
    }

    // Each reader reads one container of the expected shape and returns true, having appended
    // one childless node for it; at anything unexpected it returns false with `i` unchanged,
    // and the general parser reads the container instead (and reports what is wrong with it
    // exactly as it always does).

    /// Reads `{"token": id, …}` with non-negative integer ids below `TokenizerJSON.maxID`.
    mutating func bulkVocabulary(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ nodes: inout [JSONDocument.Node]) -> Bool {
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
        JSONDocument.skipSpace(b, &j)
        if j < n && b[j] == 0x7D {
            j += 1
        } else {
            while true {
                guard j < n, b[j] == 0x22, let key = JSONDocument.scanString(b, &j) else { return false }
                let mark = pool.count
                guard appendString(b, key, to: &pool) else { return false }
                JSONDocument.skipSpace(b, &j)
                guard j < n, b[j] == 0x3A else { return false }
                j += 1
                JSONDocument.skipSpace(b, &j)
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
                JSONDocument.skipSpace(b, &j)
                guard j < n else { return false }
                if b[j] == 0x2C { j += 1; JSONDocument.skipSpace(b, &j); continue }
                if b[j] == 0x7D { j += 1; break }
                return false
            }
        }
        let vocabulary = BulkVocabulary(pool: pool.array(), starts: starts.array(), lengths: lengths.array(), ids: ids.array())
        vocabularies[nodes.count] = vocabulary
        onVocabulary?(nodes.count, vocabulary)
        nodes.append(JSONDocument.Node(kind: .object, escaped: false, start: Int32(i), end: Int32(j), count: 0, next: Int32(nodes.count + 1), bulk: true))
        i = j
        return true
    }

    /// Reads `["a b", …]` or `[["a", "b"], …]` (or a mix).
    mutating func bulkMerges(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ nodes: inout [JSONDocument.Node]) -> Bool {
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
        nodes.append(JSONDocument.Node(kind: .array, escaped: false, start: Int32(i), end: Int32(j), count: 0, next: Int32(nodes.count + 1), bulk: true))
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
        JSONDocument.skipSpace(b, &j)
        if j < n && b[j] == 0x5D {
            j += 1
            return true
        }
        while true {
            guard j < n else { return false }
            if b[j] == 0x22 {
                // "a b": exactly one space (in the unescaped text), which is dropped.
                guard let s = JSONDocument.scanString(b, &j) else { return false }
                let mark = pool.count
                guard appendString(b, s, to: &pool) else { return false }
                guard let space = pool.firstSpace(from: mark), pool.firstSpace(from: space + 1) == nil else { return false }
                pool.remove(at: space)
                splits.append(Int32(space))
            } else if b[j] == 0x5B {
                j += 1
                JSONDocument.skipSpace(b, &j)
                guard j < n, b[j] == 0x22, let left = JSONDocument.scanString(b, &j), appendString(b, left, to: &pool) else { return false }
                splits.append(Int32(pool.count))
                JSONDocument.skipSpace(b, &j)
                guard j < n, b[j] == 0x2C else { return false }
                j += 1
                JSONDocument.skipSpace(b, &j)
                guard j < n, b[j] == 0x22, let right = JSONDocument.scanString(b, &j), appendString(b, right, to: &pool) else { return false }
                JSONDocument.skipSpace(b, &j)
                guard j < n, b[j] == 0x5D else { return false }
                j += 1
            } else {
                return false
            }
            starts.append(Int32(pool.count))
            JSONDocument.skipSpace(b, &j)
            guard j < n else { return false }
            if b[j] == 0x2C { j += 1; JSONDocument.skipSpace(b, &j); continue }
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
}

/// Hands the first bulk vocabulary from the parsing thread to the validating thread, if it is
/// read before validation ends (neither thread ever waits for the other).
final class VocabularyHandoff: @unchecked Sendable {
    private let lock = NSLock()
    private var vocabulary: (Int, TokenizerJSONBulkReader.BulkVocabulary)?
    private var closed = false

    /// Parsing thread: offers a vocabulary (kept only if none was, and before `take`).
    func offer(_ node: Int, _ v: TokenizerJSONBulkReader.BulkVocabulary) {
        lock.withLock { if !closed && vocabulary == nil { vocabulary = (node, v) } }
    }

    /// Validating thread: takes the vocabulary offered so far, and refuses later ones.
    func take() -> (Int, TokenizerJSONBulkReader.BulkVocabulary)? {
        lock.withLock {
            closed = true
            defer { vocabulary = nil }
            return vocabulary
        }
    }
}
