/// Token strings by id with an allocation-free byte-string lookup, built without one Swift
/// `String` per token (a 200k vocabulary loads in a few milliseconds).
struct TokenTable: Sendable {
    /// Token bytes back to back; token `id` is `pool[starts[id] ..< starts[id] + lengths[id]]`.
    let pool: [UInt8]
    let starts: [Int32]
    /// -1 marks an id no token has.
    let lengths: [Int32]
    let table: ByteStringTable

    /// The number of ids (highest id + 1).
    var count: Int { lengths.count }

    /// A table from (token bytes, id) pairs. Throws a message naming a duplicate token or id.
    init(tokens: [(bytes: ArraySlice<UInt8>, id: Int)]) throws(TokenTableError) {
        var pool: [UInt8] = []
        pool.reserveCapacity(tokens.reduce(0) { $0 + $1.bytes.count })
        var starts: [Int32] = [], lengths: [Int32] = [], ids: [Int32] = []
        for t in tokens {
            guard t.id >= 0 && t.id < Int(Int32.max) else { throw .badID(t.id) }
            starts.append(Int32(pool.count)); lengths.append(Int32(t.bytes.count)); ids.append(Int32(t.id))
            pool.append(contentsOf: t.bytes)
        }
        try self.init(pool: pool, keyStarts: starts, keyLengths: lengths, ids: ids)
    }

    /// A table from keys stored back to back in `pool` (key k is
    /// `pool[keyStarts[k] ..< keyStarts[k] + keyLengths[k]]`, with id `ids[k]`).
    init(pool: [UInt8], keyStarts: [Int32], keyLengths: [Int32], ids: [Int32]) throws(TokenTableError) {
        let size = Int(ids.max() ?? -1) + 1
        var starts = [Int32](repeating: 0, count: size)
        var lengths = [Int32](repeating: -1, count: size)
        for k in ids.indices {
            let id = Int(ids[k])
            guard id >= 0 else { throw .badID(id) }
            guard lengths[id] < 0 else { throw .duplicateID(id) }
            starts[id] = keyStarts[k]
            lengths[id] = keyLengths[k]
        }
        switch ByteStringTable.build(pool: pool, starts: keyStarts, lengths: keyLengths, values: ids) {
        case .success(let table): self.table = table
        case .failure(let dup):
            let s = Int(keyStarts[dup.index])
            throw .duplicateToken(String(decoding: pool[s..<(s + Int(keyLengths[dup.index]))], as: UTF8.self))
        }
        self.pool = pool
        self.starts = starts
        self.lengths = lengths
    }

    enum TokenTableError: Error {
        case duplicateToken(String)
        case duplicateID(Int)
        case badID(Int)

        var message: String {
            switch self {
            case .duplicateToken(let t): "token '\(t)' appears twice"
            case .duplicateID(let id): "id \(id) is given to two tokens"
            case .badID(let id): "invalid id \(id)"
            }
        }
    }

    /// The id of exactly `p[0..<n]`.
    @inline(__always)
    func id(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32? { table.value(p, n) }

    /// Runs `body` with a reference-counting-free lookup of ids by bytes (see
    /// ``ByteStringTable/withUnsafeLookup(_:)``).
    func withUnsafeLookup<R>(_ body: (UnsafeByteStringLookup) -> R) -> R { table.withUnsafeLookup(body) }

    /// The id of `bytes`.
    func id(_ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBufferPointer { b in
            guard let p = b.baseAddress else {
                var z: UInt8 = 0
                return table.value(&z, 0)
            }
            return table.value(p, b.count)
        }
    }

    /// Runs `body` with raw pointers to the tokens' bytes by id (no reference counting per
    /// comparison, for loops that several threads run at once); valid only inside `body`.
    func withUnsafeTokenBytes<R>(_ body: (UnsafeTokenBytes) -> R) -> R {
        pool.withUnsafeBufferPointer { p in
            starts.withUnsafeBufferPointer { s in
                lengths.withUnsafeBufferPointer { l in body(UnsafeTokenBytes(pool: p, starts: s, lengths: l)) }
            }
        }
    }

    /// Whether `id` names a token.
    @inline(__always)
    func contains(_ id: Int) -> Bool { id >= 0 && id < lengths.count && lengths[id] >= 0 }

    /// The bytes of token `id` (which must exist).
    func bytes(of id: Int) -> ArraySlice<UInt8> {
        let s = Int(starts[id])
        return pool[s..<(s + Int(lengths[id]))]
    }

    /// The token `id` as a string, or nil.
    func string(of id: Int) -> String? {
        guard contains(id) else { return nil }
        return String(decoding: bytes(of: id), as: UTF8.self)
    }

    /// The ids of the 256 byte-fallback tokens `<0x00>`…`<0xFF>` (-1 where missing).
    func byteFallbackIDs() -> [Int32] {
        (0..<256).map { b in id(Array("<0x\(b < 16 ? "0" : "")\(String(b, radix: 16, uppercase: true))>".utf8)) ?? -1 }
    }
}

/// Raw pointers to a ``TokenTable``'s bytes by id, from ``TokenTable/withUnsafeTokenBytes(_:)``.
/// Read-only, so threads may share it while the table lives.
struct UnsafeTokenBytes: @unchecked Sendable {
    let pool: UnsafeBufferPointer<UInt8>
    let starts: UnsafeBufferPointer<Int32>
    let lengths: UnsafeBufferPointer<Int32>

    /// Whether token `id` is exactly the `n` bytes at `p` (false for an id no token has).
    @inline(__always)
    func token(_ id: Int, is p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        guard id >= 0 && id < lengths.count, Int(lengths[id]) == n else { return false }
        let t = Int(starts[id])
        guard t >= 0 && t + n <= pool.count else { return false }
        return n == 0 || bytesEqual(pool.baseAddress! + t, p, n)
    }
}

// MARK: - Compiled images (ModelCache)

extension TokenTable {
    /// Writes the table (tokens and lookup) to a cache image: three sections (the tokens, the
    /// lookup's two halves).
    func write(to w: inout ImageWriter) {
        w.section { w in
            w.array(pool)
            w.array(starts)
            w.array(lengths)
        }
        table.write(to: &w)
    }

    /// A table read back from ``write(to:)``. Every token's range is checked to lie in the
    /// pool, and every lookup entry to name a token whose bytes it is, so that a damaged image
    /// throws instead of reading outside an array or giving an id no token has. (Its three
    /// sections read on two threads were measured no faster: the time is the kernel's, mapping
    /// in fresh pages.)
    init(image r: inout ImageReader) throws(ImageReader.Malformed) {
        let at = r.offset
        var part = try r.section()
        let (pool, starts, lengths) = (try part.array(UInt8.self), try part.array(Int32.self), try part.array(Int32.self))
        try part.expectEnd()
        var halves: [ByteStringTableHalf] = []
        for var section in try ByteStringTable.sections(&r) {
            halves.append(try ByteStringTableHalf(image: &section))
            try section.expectEnd()
        }
        let (low, high) = (halves[0], halves[1])
        self.pool = pool
        self.starts = starts
        self.lengths = lengths
        table = try ByteStringTable(low: low, high: high, pool: pool, at: at)
        let bad = ImageReader.Malformed(offset: at, problem: "inconsistent token table")
        guard starts.count == lengths.count else { throw bad }
        let ok: Bool = starts.withUnsafeBufferPointer { s in
            lengths.withUnsafeBufferPointer { l in
                var tokens = 0
                for id in 0..<s.count where l[id] != -1 {
                    guard l[id] >= 0, s[id] >= 0, Int(s[id]) + Int(l[id]) <= pool.count else { return false }
                    tokens += 1
                }
                var entries = 0
                let named = table.allEntries { start, length, value in
                    entries += 1
                    let id = Int(value)
                    return id >= 0 && id < s.count && s[id] == start && l[id] == length
                }
                return named && entries == tokens
            }
        }
        guard ok else { throw bad }
    }
}
