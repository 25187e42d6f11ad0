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
    public private(set) var specialTokens: [String: Int]
    let split: RegexSplit
    let model: BPEModel
    /// The pre-token table shared by every thread encoding with this tokenizer (and its copies).
    var pieceTables = SharedWordTables()

    /// Loads a rank file. `pattern` is a regular expression or a name accepted by
    /// ``PretokenizationPattern/named(_:)``; when nil it is chosen from the file name
    /// (`r50k`, `p50k`, `cl100k`, `o200k`, `llama3`) or, for a file that is one of tiktoken's
    /// named encodings (``TiktokenEncoding``), from its number of ranks.
    ///
    /// `specialTokens` nil: the special tokens tiktoken defines for a recognised encoding
    /// (`<|endoftext|>` and the others), none for other files; pass a table to choose them.
    public init(contentsOf url: URL, pattern: String? = nil, specialTokens: [String: Int]? = nil) throws(TokkiError) {
        try self.init(ranks: try TiktokenRanks(contentsOf: url), fileName: url.lastPathComponent, pattern: pattern,
                      specialTokens: specialTokens)
    }

    /// ``init(contentsOf:pattern:specialTokens:)`` of ranks already read from a file named
    /// `fileName` (which may tell the pattern and the special tokens).
    init(ranks: TiktokenRanks, fileName: String, pattern: String?, specialTokens: [String: Int]? = nil) throws(TokkiError) {
        let encoding = TiktokenEncoding.recognize(fileName: fileName, rankCount: ranks.count)
        let chosen: String
        if let pattern {
            chosen = PretokenizationPattern.named(pattern) ?? pattern
        } else {
            guard let p = (PretokenizationPattern.name(forFileName: fileName) ?? encoding?.patternName)
                .flatMap(PretokenizationPattern.named) else {
                throw .invalidConfiguration("cannot tell the pre-tokenization pattern from the file name '\(fileName)'; pass a pattern name or regex")
            }
            chosen = p
        }
        try self.init(ranks: ranks, pattern: chosen, specialTokens: specialTokens ?? encoding?.specialTokens(freeIn: ranks) ?? [:])
    }

    /// An encoding from parsed ranks and a regular expression (tiktoken semantics).
    public init(ranks: TiktokenRanks, pattern: String, specialTokens: [String: Int] = [:]) throws(TokkiError) {
        self.ranks = ranks
        self.specialTokens = specialTokens
        split = try RegexSplit(pattern: pattern, behavior: .removed, invert: true)
        model = BPEModel(tiktoken: ranks.tokenTable, path: ranks.path)
    }

    /// The same encoding with `table` as its special tokens.
    ///
    /// - Throws: ``TokkiError/invalidConfiguration(_:)`` when an id is a rank or two tokens
    ///   share an id.
    public func withSpecialTokens(_ table: [String: Int]) throws(TokkiError) -> TiktokenTokenizer {
        var seen: [Int: String] = [:]
        for (text, id) in table.sorted(by: { $0.key < $1.key }) {
            if id < 0 || ranks.tokenTable.contains(id) {
                throw .invalidConfiguration("special token '\(text)': id \(id) is \(id < 0 ? "negative" : "a rank of the encoding")")
            }
            if let other = seen[id] { throw .invalidConfiguration("special tokens '\(other)' and '\(text)' share id \(id)") }
            seen[id] = text
        }
        var copy = self
        copy.specialTokens = table
        return copy
    }

    /// The number of ids (ranks and special tokens).
    public var vocabularySize: Int { max(ranks.count, (specialTokens.values.max() ?? -1) + 1) }

    /// Encodes `text` ignoring special tokens (their text is encoded as ordinary text),
    /// exactly as tiktoken's `encode_ordinary`.
    public func encodeOrdinary(_ text: String) throws(TokkiError) -> [Int] {
        var ids: [Int32] = []
        var scratch = HuggingFaceTokenizer.Scratch()
        var s = text
        let r: Result<Void, TokkiError> = s.withUTF8 { b in
            do throws(TokkiError) { try encodeOrdinary(b, into: &ids, scratch: &scratch); return .success(()) } catch { return .failure(error) }
        }
        try r.get()
        return ids.map(Int.init)
    }

    /// Appends the ids of well-formed UTF-8 `input` to `ids`, reusing `scratch` (the
    /// allocation-free path for bulk encoding).
    public func encodeOrdinary(_ input: UnsafeBufferPointer<UInt8>, into ids: inout [Int32],
                               scratch: inout HuggingFaceTokenizer.Scratch) throws(TokkiError) {
        guard let p = input.baseAddress else { return }
        scratch.model.bind(pieceTables)
        if split.scansPieces {
            model.appendPieceIDs(split, input, into: &ids, scratch: &scratch.model)
            return
        }
        for piece in try split.split(input) {
            model.tokenizeIDs(p + piece.lowerBound, piece.count, into: &ids, scratch: &scratch.model)
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
            if ranks.tokenTable.contains(id) {
                bytes.append(contentsOf: ranks.tokenTable.bytes(of: id))
            } else if let s = special[id] {
                bytes.append(contentsOf: s.utf8)
            } else {
                throw .invalidID(id, vocabularySize: vocabularySize)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
