/// Hugging Face's `Unigram` model: Viterbi over the pre-token with `f64` scores, the unknown
/// score being the lowest score of the whole vocabulary minus 10, consecutive unknown
/// characters fused, and optional byte fallback (`<0xXX>` tokens for unknown text).
///
/// It differs from SentencePiece's unigram in small ways that change ids (the minimum is
/// over all pieces, control pieces are matchable), so it is its own type.
public struct UnigramModel: Sendable {
    /// The id of the unknown token.
    public let unknownID: Int?
    /// Whether unknown text becomes byte tokens.
    public let byteFallback: Bool
    let tokens: TokenTable
    let scores: [Double]
    let unknownScore: Double
    let maxTokenLength: Int
    let byteFallbackIDs: [Int32]?

    init(tokens: TokenTable, scores: [Double], unknownID: Int?, byteFallback: Bool, path: String?) throws(TokkiError) {
        self.tokens = tokens
        self.scores = scores
        self.unknownID = unknownID
        self.byteFallback = byteFallback
        if let u = unknownID, !tokens.contains(u) {
            throw .invalidModel(path: path, problem: "model.unk_id \(u) is outside the vocabulary")
        }
        unknownScore = (scores.min() ?? 0) - 10
        maxTokenLength = (0..<tokens.count).reduce(0) { max($0, tokens.contains($1) ? Int(tokens.lengths[$1]) : 0) }
        byteFallbackIDs = byteFallback ? tokens.byteFallbackIDs() : nil
    }

    /// A model from `(token, score)` pairs in id order, as `tokenizers`' `Unigram(vocab,
    /// unk_id, byte_fallback)`.
    ///
    /// - Throws: ``TokkiError/invalidModel(path:problem:)`` for a token given twice or an
    ///   unknown id outside the vocabulary.
    public init(vocabulary: [(token: String, score: Double)], unknownID: Int?, byteFallback: Bool = false) throws(TokkiError) {
        let table: TokenTable
        do { table = try TokenTable(tokens: vocabulary.enumerated().map { (ArraySlice(Array($0.element.token.utf8)), $0.offset) }) } catch {
            throw .invalidModel(path: nil, problem: "vocabulary: \(error.message)")
        }
        try self.init(tokens: table, scores: vocabulary.map(\.score), unknownID: unknownID, byteFallback: byteFallback, path: nil)
    }
}

extension UnigramModel: PieceModel {
    /// One more than the highest id.
    public var vocabularySize: Int { tokens.count }
    func id(for token: [UInt8]) -> Int? { tokens.id(token).map(Int.init) }
    /// The id of a token's text, or nil.
    public func id(for token: String) -> Int? { tokens.id(Array(token.utf8)).map(Int.init) }
    /// The text of token `id`, or nil.
    public func token(for id: Int) -> String? { tokens.string(of: id) }

    func tokenString(_ id: Int32, covering text: UnsafeBufferPointer<UInt8>) -> String {
        if let unk = unknownID, Int(id) == unk { return String(decoding: text, as: UTF8.self) }
        return tokens.string(of: Int(id)) ?? ""
    }

    func tokenize(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [ModelToken], scratch: inout ModelScratch) {
        guard n > 0 else { return }
        let h = PieceCache.hash(p, n)
        if !PieceCache.cachedTokens(p, n, h, into: &out, scratch: &scratch) { tokensOnMiss(p, n, h, into: &out, scratch: &scratch) }
    }

    /// The miss path of ``tokenize(_:_:into:scratch:)`` (not inlined: see ``PieceCache/cachedTokens(_:_:_:into:scratch:)``).
    @inline(never)
    private func tokensOnMiss(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32, into out: inout [ModelToken], scratch: inout ModelScratch) {
        PieceCache.tokensOnMiss(p, n, h, into: &out, scratch: &scratch) { p, n, out, scratch in viterbi(p, n, into: &out, scratch: &scratch) }
    }

    private func viterbi(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [ModelToken], scratch s: inout ModelScratch) {
        // Best path ending at each byte position: score, start (-1 = none), id.
        s.floats.removeAll(keepingCapacity: true)
        s.floats.append(contentsOf: repeatElement(0, count: n + 1))
        s.starts.removeAll(keepingCapacity: true)
        s.starts.append(contentsOf: repeatElement(-1, count: n + 1))
        s.ids.removeAll(keepingCapacity: true)
        s.ids.append(contentsOf: repeatElement(-1, count: n + 1))
        let unk = Int32(unknownID ?? -1)
        var start = 0
        while start < n {
            let here = s.floats[start]
            let mblen = min(n - start, BPEModel.utf8Length(p[start]))
            var hasSingle = false
            var end = start + 1
            let limit = min(n, start + maxTokenLength)
            while end <= limit {
                if end == n || p[end] & 0xC0 != 0x80, let id = tokens.id(p + start, end - start) {
                    let candidate = scores[Int(id)] + here
                    if s.starts[end] < 0 || candidate > s.floats[end] {
                        s.floats[end] = candidate; s.starts[end] = Int32(start); s.ids[end] = id
                    }
                    if end - start == mblen { hasSingle = true }
                }
                end += 1
            }
            if !hasSingle {
                let e = start + mblen
                let candidate = unknownScore + here
                if s.starts[e] < 0 || candidate > s.floats[e] {
                    s.floats[e] = candidate; s.starts[e] = Int32(start); s.ids[e] = unk
                }
            }
            start += mblen
        }
        // Backtrack, fusing consecutive unknowns.
        let mark = out.count
        var e = n
        var unkEnd = -1
        while e > 0 {
            let b = Int(s.starts[e])
            let id = s.ids[e]
            if id == unk && unk >= 0 {
                if unkEnd < 0 { unkEnd = e }
            } else {
                if unkEnd >= 0 { emitUnknown(e, unkEnd, p, &out); unkEnd = -1 }
                // Without an unknown token, unknown text is dropped (tokenizers reports an error).
                if id >= 0 { out.append(ModelToken(id: id, start: Int32(b), end: Int32(e))) }
            }
            e = b
        }
        if unkEnd >= 0 { emitUnknown(0, unkEnd, p, &out) }
        out[mark...].reverse()
    }

    /// Appends (in reverse order, as the backtrack does) the tokens of unknown text `start..<end`.
    private func emitUnknown(_ start: Int, _ end: Int, _ p: UnsafePointer<UInt8>, _ out: inout [ModelToken]) {
        if let ids = byteFallbackIDs, (start..<end).allSatisfy({ ids[Int(p[$0])] >= 0 }) {
            for k in (start..<end).reversed() { out.append(ModelToken(id: ids[Int(p[k])], start: Int32(start), end: Int32(end))) }
            return
        }
        out.append(ModelToken(id: Int32(unknownID ?? 0), start: Int32(start), end: Int32(end)))
    }
}
