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
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .io(path: url.path, reason: "cannot read the rank file (\(error.localizedDescription))")
        }
        try self.init(bytes: [UInt8](data), path: url.path)
    }

    /// Parses the bytes of a `.tiktoken` file; `path` is used in error messages.
    ///
    /// - Throws: ``TokkiError/invalidModel(path:problem:)`` naming the line of a malformed
    ///   entry, of a rank of 16,777,216 or more, or of a rank of 1,048,576 or more that is
    ///   also at least twice the number of tokens (a large table mostly made of gaps).
    public init(bytes: [UInt8], path: String? = nil) throws(TokkiError) {
        func bad(_ line: Int, _ problem: String) -> TokkiError {
            .invalidModel(path: path, problem: "line \(line): \(problem)")
        }
        var entries: [(token: [UInt8], rank: Int)] = []
        var line = 0
        var start = 0
        var highest = (rank: -1, line: 0)
        let n = bytes.count
        while start < n {
            var end = start
            while end < n && bytes[end] != 0x0A { end += 1 }
            line += 1
            var lineEnd = end
            if lineEnd > start && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            if lineEnd > start {
                guard let space = bytes[start..<lineEnd].firstIndex(of: 0x20) else { throw bad(line, "expected 'base64 rank'") }
                guard let token = Base64.decode(bytes[start..<space]) else { throw bad(line, "invalid base64 token") }
                var rank = 0
                var digits = 0
                for b in bytes[(space + 1)..<lineEnd] {
                    guard b >= 0x30 && b <= 0x39, rank < (1 << 24) / 10 else { throw bad(line, "invalid rank (ranks must be below 16,777,216)") }
                    rank = rank * 10 + Int(b - 0x30); digits += 1
                }
                guard digits > 0 else { throw bad(line, "missing rank") }
                entries.append((token, rank))
                if rank > highest.rank { highest = (rank, line) }
            }
            start = end + 1
        }
        // Tables are indexed by rank: a few lines with huge ranks would cost tables (and
        // loops) of 16 million entries. Published files have no gaps, or a few (p50k); a
        // sparse file (which tiktoken would load) is refused only when its table would be large.
        guard highest.rank < max(2 * entries.count, 1 << 20) else {
            throw bad(highest.line, "rank \(highest.rank) leaves most ranks unused (\(entries.count) tokens; ranks of 1048576 or more must be below twice the number of tokens)")
        }
        try self.init(entries: entries, path: path)
    }

    /// Ranks from (token bytes, rank) pairs; `path` is used in error messages.
    init(entries: [(token: [UInt8], rank: Int)], path: String?) throws(TokkiError) {
        guard !entries.isEmpty else { throw .invalidModel(path: path, problem: "the rank file is empty") }
        do {
            tokenTable = try TokenTable(tokens: entries.map { (ArraySlice($0.token), $0.rank) })
        } catch {
            if case .duplicateID(let rank) = error { throw .invalidModel(path: path, problem: "rank \(rank) is defined twice") }
            throw .invalidModel(path: path, problem: error.message)
        }
        for b in 0..<256 where tokenTable.id([UInt8(b)]) == nil {
            throw .invalidModel(path: path, problem: "byte 0x\(String(b, radix: 16)) has no rank; byte-level BPE needs all 256 single bytes")
        }
        self.path = path
    }
}
