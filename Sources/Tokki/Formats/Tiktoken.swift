import Foundation

/// A tiktoken rank file (`.tiktoken`): one `base64(token bytes) rank` pair per line, the
/// format of OpenAI's encodings and of Llama 3's `tokenizer.model`.
public struct TiktokenRanks: Sendable {
    /// The tokens by rank, with a byte-string lookup.
    let tokenTable: TokenTable
    /// The file this was read from, if any.
    public let path: String?

    /// The number of ranks (highest rank + 1).
    public var count: Int { tokenTable.count }

    /// Reads a `.tiktoken` file.
    public init(contentsOf url: URL) throws(TokkiError) {
        // Parsed from a mapping of the file (not copied into fresh memory first).
        try self.init(source: try mapFileBytes(url.path), path: url.path)
    }

    /// Parses the bytes of a `.tiktoken` file; `path` is used in error messages.
    ///
    /// - Throws: ``TokkiError/invalidModel(path:problem:)`` naming the line of a malformed
    ///   entry, of a rank of 16,777,216 or more, or of a rank of 1,048,576 or more that is
    ///   also at least twice the number of tokens (a large table mostly made of gaps).
    public init(bytes: [UInt8], path: String? = nil) throws(TokkiError) {
        try self.init(source: ReadOnlyBytes(bytes), path: path)
    }

    /// ``init(bytes:path:)`` of read-only bytes (a mapped file).
    init(source bytes: ReadOnlyBytes, path: String?) throws(TokkiError) {
        func bad(_ line: Int, _ problem: String) -> TokkiError {
            .invalidModel(path: path, problem: "line \(line): \(problem)")
        }
        // Tokens are decoded straight into one pool through a pointer (no array per token, no
        // append per byte): a text of L base64 characters decodes to at most L * 3 / 4 bytes,
        // so the file's size bounds the pool.
        var starts: [Int32] = [], lengths: [Int32] = [], ranks: [Int32] = []
        let expected = bytes.count / 12
        starts.reserveCapacity(expected); lengths.reserveCapacity(expected); ranks.reserveCapacity(expected)
        var line = 0
        var highest = (rank: -1, line: 0)
        let n = bytes.count
        var failure: TokkiError? = nil
        let pool = [UInt8](unsafeUninitializedCapacity: Base64.maxDecodedCount(n) + 4) { poolBuffer, used in
            used = 0
            guard let out = poolBuffer.baseAddress else { return }
            let room = poolBuffer.count
            bytes.withUnsafeBufferPointer { b in
                guard let base = b.baseAddress else { return }
                var start = 0
                while start < n {
                    let end = memchr(base + start, 0x0A, n - start).map { UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - base } ?? n
                    line += 1
                    var lineEnd = end
                    if lineEnd > start && base[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                    if lineEnd > start {
                        guard let spacePointer = memchr(base + start, 0x20, lineEnd - start) else {
                            failure = bad(line, "expected 'base64 rank'"); return
                        }
                        let space = UnsafePointer<UInt8>(spacePointer.assumingMemoryBound(to: UInt8.self)) - base
                        // The texts before this one took at most 3/4 of the bytes before `start`.
                        guard let decoded = Base64.decode(base + start, space - start, into: out + used, capacity: room - used) else {
                            failure = bad(line, "invalid base64 token"); return
                        }
                        var rank = 0
                        var digits = 0
                        for k in (space + 1)..<lineEnd {
                            let d = base[k]
                            guard d >= 0x30 && d <= 0x39, rank < (1 << 24) / 10 else {
                                failure = bad(line, "invalid rank (ranks must be below 16,777,216)"); return
                            }
                            rank = rank * 10 + Int(d - 0x30); digits += 1
                        }
                        guard digits > 0 else { failure = bad(line, "missing rank"); return }
                        starts.append(Int32(used)); lengths.append(Int32(decoded)); ranks.append(Int32(rank))
                        used += decoded
                        if rank > highest.rank { highest = (rank, line) }
                    }
                    start = end + 1
                }
            }
        }
        if let failure { throw failure }
        // Tables are indexed by rank: a few lines with huge ranks would cost tables (and
        // loops) of 16 million entries. Published files have no gaps, or a few (p50k); a
        // sparse file (which tiktoken would load) is refused only when its table would be large.
        guard highest.rank < max(2 * ranks.count, 1 << 20) else {
            throw bad(highest.line, "rank \(highest.rank) leaves most ranks unused (\(ranks.count) tokens; ranks of 1048576 or more must be below twice the number of tokens)")
        }
        guard !ranks.isEmpty else { throw .invalidModel(path: path, problem: "the rank file is empty") }
        let table: TokenTable
        do {
            table = try TokenTable(pool: pool, keyStarts: starts, keyLengths: lengths, ids: ranks)
        } catch {
            throw Self.tableError(error, path: path)
        }
        try self.init(table: table, path: path)
    }

    static func tableError(_ error: TokenTable.TokenTableError, path: String?) -> TokkiError {
        if case .duplicateID(let rank) = error { return .invalidModel(path: path, problem: "rank \(rank) is defined twice") }
        return .invalidModel(path: path, problem: error.message)
    }

    /// ``init(source:path:)`` through a model cache: the token table is read from the file's
    /// image when there is one, and an image is written when there is not (see ``ModelCache``).
    /// `key`: the image's key when the caller has one (the file's); else the bytes' hash.
    init(source bytes: ReadOnlyBytes, path: String?, cache: ModelCache?, key fileKey: ModelCache.Key? = nil) throws(TokkiError) {
        guard let cache, bytes.count >= cache.minimumSize else {
            try self.init(source: bytes, path: path)
            return
        }
        let key = fileKey ?? cache.key(for: bytes, kind: .tiktoken)
        if var image = cache.image(for: key), let ranks = Self(image: &image, path: path) {
            self = ranks
            return
        }
        try self.init(source: bytes, path: path)
        var w = ImageWriter()
        tokenTable.write(to: &w)
        cache.store(w, for: key, kind: .tiktoken)
    }

    /// Ranks from a cache image's payload, or nil when it is malformed.
    init?(image: inout ImageReader, path: String?) {
        guard let table = try? TokenTable(image: &image), image.atEnd, let ranks = try? TiktokenRanks(table: table, path: path) else {
            return nil
        }
        self = ranks
    }

    /// Ranks from a token table; checks that all 256 single bytes have a rank.
    init(table: TokenTable, path: String?) throws(TokkiError) {
        tokenTable = table
        for b in 0..<256 where tokenTable.id([UInt8(b)]) == nil {
            throw .invalidModel(path: path, problem: "byte 0x\(String(b, radix: 16)) has no rank; byte-level BPE needs all 256 single bytes")
        }
        self.path = path
    }

}
