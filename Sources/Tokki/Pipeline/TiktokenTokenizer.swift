import Foundation

/// A tiktoken encoding (rank file + pre-tokenization pattern + special tokens), byte-exact
/// with the `tiktoken` package's `encode_ordinary` and `decode`.
///
/// ```swift
/// let enc = try TiktokenTokenizer(contentsOf: URL(fileURLWithPath: "llama3.tiktoken"), pattern: PretokenizationPattern.llama3)
/// let ids = try enc.encodeOrdinary("「민법」 제3조")
/// try enc.decode(ids)
/// ```
public struct TiktokenTokenizer: Sendable {
    /// The ranks (token ids) of the encoding.
    public let ranks: TiktokenRanks
    /// Special tokens and their ids (not produced by `encodeOrdinary`).
    public let specialTokens: [String: Int]
    let split: RegexSplit

    /// Loads a rank file. `pattern` is a regular expression or a name accepted by
    /// ``PretokenizationPattern/named(_:)``; when nil it is chosen from the file name
    /// (`r50k`, `p50k`, `cl100k`, `o200k`, `llama3`).
    public init(contentsOf url: URL, pattern: String? = nil, specialTokens: [String: Int] = [:]) throws(TokkiError) {
        let chosen: String
        if let pattern {
            chosen = PretokenizationPattern.named(pattern) ?? pattern
        } else {
            guard let p = PretokenizationPattern.name(forFileName: url.lastPathComponent).flatMap(PretokenizationPattern.named) else {
                throw .invalidConfiguration("cannot tell the pre-tokenization pattern from the file name '\(url.lastPathComponent)'; pass a pattern name or regex")
            }
            chosen = p
        }
        try self.init(ranks: TiktokenRanks(contentsOf: url), pattern: chosen, specialTokens: specialTokens)
    }

    /// An encoding from parsed ranks and a regular expression (tiktoken semantics).
    public init(ranks: TiktokenRanks, pattern: String, specialTokens: [String: Int] = [:]) throws(TokkiError) {
        self.ranks = ranks
        self.specialTokens = specialTokens
        split = try RegexSplit(pattern: pattern, behavior: .removed, invert: true)
    }

    /// The number of ids (ranks and special tokens).
    public var vocabularySize: Int { max(ranks.count, (specialTokens.values.max() ?? -1) + 1) }

    /// Encodes `text` ignoring special tokens (their text is encoded as ordinary text),
    /// exactly as tiktoken's `encode_ordinary`.
    public func encodeOrdinary(_ text: String) throws(TokkiError) -> [Int] {
        let bytes = Array(text.utf8)
        var ids: [Int] = []
        try bytes.withUnsafeBufferPointer { (b) throws(TokkiError) in
            guard let p = b.baseAddress else { return }
            for piece in try split.split(b) {
                if let r = ranks.rank(p + piece.lowerBound, piece.count) {
                    ids.append(Int(r))
                } else {
                    Self.bytePairMerge(p + piece.lowerBound, piece.count, ranks, into: &ids)
                }
            }
        }
        return ids
    }

    /// tiktoken's byte-pair merge of one piece: repeatedly merge the adjacent pair whose
    /// concatenation has the lowest rank (leftmost on ties), then emit each part's rank.
    static func bytePairMerge(_ p: UnsafePointer<UInt8>, _ n: Int, _ ranks: TiktokenRanks, into ids: inout [Int]) {
        // boundaries[k] is the start of part k; the last entry is n.
        var boundaries = Array(0...n)
        @inline(__always) func pairRank(_ k: Int) -> Int32 {
            guard k + 2 < boundaries.count else { return .max }
            let s = boundaries[k], e = boundaries[k + 2]
            return ranks.rank(p + s, e - s) ?? .max
        }
        var pairRanks = (0..<max(0, boundaries.count - 1)).map { pairRank($0) }
        while true {
            var best = Int32.max, at = -1
            for (k, r) in pairRanks.enumerated() where r < best { best = r; at = k }
            if at < 0 { break }
            boundaries.remove(at: at + 1)
            pairRanks.remove(at: at + 1)
            pairRanks[at] = pairRank(at)
            if at > 0 { pairRanks[at - 1] = pairRank(at - 1) }
        }
        for k in 0..<(boundaries.count - 1) {
            let s = boundaries[k], e = boundaries[k + 1]
            ids.append(Int(ranks.rank(p + s, e - s) ?? 0))
        }
    }

    /// Decodes ids to text (malformed UTF-8 across token boundaries becomes U+FFFD, as
    /// tiktoken's `decode` with `errors="replace"`).
    ///
    /// - Throws: ``TokkiError/invalidID(_:vocabularySize:)`` for an unknown id.
    public func decode(_ ids: [Int]) throws(TokkiError) -> String {
        let special = Dictionary(specialTokens.map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a })
        var bytes: [UInt8] = []
        for id in ids {
            if id >= 0 && id < ranks.count && ranks.defined[id] {
                bytes.append(contentsOf: ranks.tokens[id])
            } else if let s = special[id] {
                bytes.append(contentsOf: s.utf8)
            } else {
                throw .invalidID(id, vocabularySize: vocabularySize)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
