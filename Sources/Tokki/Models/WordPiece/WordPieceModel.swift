/// Hugging Face's `WordPiece` model (BERT): greedy longest-match-first from the start of
/// each pre-token; pieces after the first carry the continuing-subword prefix (`##`). A word
/// with a part that matches nothing, or longer than `maxInputCharactersPerWord`, becomes
/// the unknown token.
public struct WordPieceModel: Sendable {
    /// The unknown token.
    public let unknownToken: String
    /// The prefix of non-initial pieces.
    public let continuingSubwordPrefix: String
    /// Longer words become the unknown token.
    public let maxInputCharactersPerWord: Int
    let tokens: TokenTable
    let unknownID: Int32
    let prefix: [UInt8]
    /// By first byte, the longest token in bytes: no longer first piece needs a lookup.
    let longestInitial: [Int32]
    /// By first byte after the prefix, the longest text of a token with the prefix: no
    /// longer later piece needs a lookup.
    let longestContinuation: [Int32]

    init(tokens: TokenTable, unknownToken: String, continuingSubwordPrefix: String, maxInputCharactersPerWord: Int, path: String?) throws(TokkiError) {
        guard let unk = tokens.id(Array(unknownToken.utf8)) else {
            throw .invalidModel(path: path, problem: "model.unk_token '\(unknownToken)' is not in the vocabulary")
        }
        self.tokens = tokens
        self.unknownToken = unknownToken
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharactersPerWord = maxInputCharactersPerWord
        unknownID = unk
        prefix = Array(continuingSubwordPrefix.utf8)
        var initial = [Int32](repeating: 0, count: 256), continuation = [Int32](repeating: 0, count: 256)
        let pl = prefix.count
        for id in 0..<tokens.count where tokens.contains(id) {
            let bytes = tokens.bytes(of: id)
            guard let first = bytes.first else { continue }
            initial[Int(first)] = max(initial[Int(first)], Int32(bytes.count))
            if bytes.count > pl && bytes.starts(with: prefix) {
                let b = Int(bytes[bytes.startIndex + pl])
                continuation[b] = max(continuation[b], Int32(bytes.count - pl))
            }
        }
        longestInitial = initial
        longestContinuation = continuation
    }

    /// A model from a vocabulary.
    public init(vocabulary: [String: Int], unknownToken: String = "[UNK]", continuingSubwordPrefix: String = "##",
                maxInputCharactersPerWord: Int = 100) throws(TokkiError) {
        let table: TokenTable
        do { table = try TokenTable(tokens: vocabulary.map { (ArraySlice(Array($0.key.utf8)), $0.value) }) } catch {
            throw .invalidModel(path: nil, problem: "vocabulary: \(error.message)")
        }
        try self.init(tokens: table, unknownToken: unknownToken, continuingSubwordPrefix: continuingSubwordPrefix,
                      maxInputCharactersPerWord: maxInputCharactersPerWord, path: nil)
    }
}

extension WordPieceModel: PieceModel {
    /// One more than the highest id.
    public var vocabularySize: Int { tokens.count }
    func id(for token: [UInt8]) -> Int? { tokens.id(token).map(Int.init) }
    /// The id of a token's text, or nil.
    public func id(for token: String) -> Int? { tokens.id(Array(token.utf8)).map(Int.init) }
    /// The text of token `id`, or nil.
    public func token(for id: Int) -> String? { tokens.string(of: id) }

    func tokenize(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [ModelToken], scratch: inout ModelScratch) {
        guard n > 0 else { return }
        let h = PieceCache.hash(p, n)
        if !PieceCache.cachedTokens(p, n, h, into: &out, scratch: &scratch) { tokensOnMiss(p, n, h, into: &out, scratch: &scratch) }
    }

    /// The miss path of ``tokenize(_:_:into:scratch:)`` (not inlined: see ``PieceCache/cachedTokens(_:_:_:into:scratch:)``).
    @inline(never)
    private func tokensOnMiss(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32, into out: inout [ModelToken], scratch: inout ModelScratch) {
        PieceCache.tokensOnMiss(p, n, h, into: &out, scratch: &scratch) { p, n, out, scratch in tokenizeUncached(p, n, into: &out, scratch: &scratch) }
    }

    /// ``tokenize(_:_:into:scratch:)`` without the cache.
    func tokenizeUncached(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [ModelToken], scratch: inout ModelScratch) {
        var chars = 0
        var k = 0
        while k < n { if p[k] & 0xC0 != 0x80 { chars += 1 }; k += 1 }
        if chars > maxInputCharactersPerWord {
            out.append(ModelToken(id: unknownID, start: 0, end: Int32(n)))
            return
        }
        let first = out.count
        var start = 0
        // Candidates with the prefix are looked up in place: the word sits after the prefix in
        // a scratch buffer, and the prefix is copied just before each new start (the bytes it
        // overwrites are behind the start and never needed again).
        let pl = prefix.count
        var buffer: [UInt8] = []
        swap(&buffer, &scratch.bytes)   // take the scratch storage (unique: no copy)
        defer { swap(&buffer, &scratch.bytes) }
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: prefix)
        buffer.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        var found: Int32? = nil
        while start < n {
            // The longest candidate that could be a token.
            var end = min(n, start + Int(start == 0 ? longestInitial[Int(p[0])] : longestContinuation[Int(p[start])]))
            while end > start && end < n && p[end] & 0xC0 == 0x80 { end -= 1 }
            found = nil
            buffer.withUnsafeMutableBufferPointer { b in
                let base = b.baseAddress!
                if start > 0 { for k in 0..<pl { base[start + k] = prefix[k] } }
                while start < end {
                    found = start == 0 ? tokens.id(p, end) : tokens.id(UnsafePointer(base + start), pl + end - start)
                    if found != nil { break }
                    end -= 1
                    while end > start && p[end] & 0xC0 == 0x80 { end -= 1 }
                }
            }
            guard let id = found else {
                out.removeSubrange(first...)
                out.append(ModelToken(id: unknownID, start: 0, end: Int32(n)))
                return
            }
            out.append(ModelToken(id: id, start: Int32(start), end: Int32(end)))
            start = end
        }
    }
}

/// Hugging Face's `WordLevel` model: each pre-token is one token, or the unknown token.
public struct WordLevelModel: Sendable {
    /// The unknown token.
    public let unknownToken: String?
    let tokens: TokenTable
    let unknownID: Int32?

    init(tokens: TokenTable, unknownToken: String?, path: String?) throws(TokkiError) {
        self.tokens = tokens
        self.unknownToken = unknownToken
        unknownID = unknownToken.flatMap { tokens.id(Array($0.utf8)) }
        if let unknownToken, unknownID == nil {
            throw .invalidModel(path: path, problem: "model.unk_token '\(unknownToken)' is not in the vocabulary")
        }
    }

    /// A model from a vocabulary, as `tokenizers`' `WordLevel(vocab, unk_token)`.
    ///
    /// - Throws: ``TokkiError/invalidModel(path:problem:)`` for an id given twice or an
    ///   unknown token outside the vocabulary.
    public init(vocabulary: [String: Int], unknownToken: String? = nil) throws(TokkiError) {
        let table: TokenTable
        do { table = try TokenTable(tokens: vocabulary.map { (ArraySlice(Array($0.key.utf8)), $0.value) }) } catch {
            throw .invalidModel(path: nil, problem: "vocabulary: \(error.message)")
        }
        try self.init(tokens: table, unknownToken: unknownToken, path: nil)
    }
}

extension WordLevelModel: PieceModel {
    /// One more than the highest id.
    public var vocabularySize: Int { tokens.count }
    func id(for token: [UInt8]) -> Int? { tokens.id(token).map(Int.init) }
    /// The id of a token's text, or nil.
    public func id(for token: String) -> Int? { tokens.id(Array(token.utf8)).map(Int.init) }
    /// The text of token `id`, or nil.
    public func token(for id: Int) -> String? { tokens.string(of: id) }

    func tokenize(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [ModelToken], scratch: inout ModelScratch) {
        if let id = tokens.id(p, n) ?? unknownID { out.append(ModelToken(id: id, start: 0, end: Int32(n))) }
    }
}
