import Foundation

/// A Hugging Face `tokenizer.json` pipeline — added tokens, normalizer, pre-tokenizer,
/// model, post-processor, decoder — byte-exact with the `tokenizers` package: same ids,
/// tokens and offsets.
///
/// ```swift
/// let tok = try HuggingFaceTokenizer(contentsOf: URL(fileURLWithPath: "tokenizer.json"))
/// let e = try tok.encode("대한민국은 민주공화국이다.")
/// e.ids; e.pieces; e.characterOffsets    // as tokenizers' Encoding.ids / tokens / offsets
/// try tok.decode(e.ids, skipSpecialTokens: true)
/// ```
///
/// The tokenizer is immutable and `Sendable`: share one instance across threads.
public struct HuggingFaceTokenizer: Sendable {
    /// The normalizer, if any.
    public let normalizer: (any Normalizer)?
    /// The pre-tokenizer, if any.
    public let preTokenizer: (any PreTokenizationStage)?
    /// The post-processor, if any.
    public let postProcessor: (any PostProcessor)?
    /// The decoder, if any.
    public let decoder: (any TokenDecoder)?
    /// The added tokens, in file order.
    public let addedTokens: [AddedToken]
    let model: any PieceModel
    /// The normalizer for the ids-only path, when it knows every stage.
    let idNormalizer: IDNormalizer?
    /// Whether the model reads raw bytes (a ByteLevel stage is present).
    let byteLevel: Bool
    let rawMatcher: AddedTokenMatcher
    let normalizedMatcher: AddedTokenMatcher
    let addedByID: [Int: AddedToken]
    /// When the pre-tokenizer only splits (no rewriting stage), its splitters in order.
    let splitChain: [any PreTokenizer]?
    /// A split Tokki adds when the file has no pre-tokenizer but words are independent.
    let implicitSplit: SplittingStage?
    /// Whether `splitChain` is BERT's (white space removed, punctuation isolated): the ids
    /// path then scans words in one pass (``BertWordSplit``).
    let bertSplit: Bool
    /// The model when it is WordPiece (called without dynamic dispatch on the ids path).
    let wordPiece: WordPieceModel?
    /// The model when it is BPE, called directly on the ids path: a call through `model`
    /// goes through a witness thunk that copies the whole model struct (hundreds of bytes)
    /// on every pre-token.
    let bpe: BPEModel?
    /// `splitChain`'s only splitter when it is a regex split with a hand-written scanner:
    /// the ids path then tokenizes each piece as the scanner finds it.
    let pieceSplit: RegexSplit?
    /// The normalizer, when it is a Unicode normalization form (see ``unicodeForm(of:)``).
    let unicodeForm: ICUNormalizer?
    /// How the ids-only path cuts raw text into words cached under their raw bytes, when the
    /// pipeline allows it (see ``RawWords``).
    let rawWords: RawWords?
    /// The file this was read from, if any.
    public let path: String?
    /// The pre-token table shared by every thread encoding with this tokenizer (and its copies).
    var pieceTables = SharedWordTables()
    /// Truncation applied by ``encode(_:pair:addSpecialTokens:)`` (from the file's
    /// `truncation`, or set by you); nil: none.
    public var truncation: Truncation?
    /// Padding applied to each encoding and across a batch (from the file's `padding`, or
    /// set by you); nil: none.
    public var padding: Padding?

    /// Assembles a pipeline from stages, as `tokenizers`' `Tokenizer(model)` with its
    /// `normalizer`, `pre_tokenizer`, `post_processor` and `decoder` set.
    ///
    /// ```swift
    /// let model = try WordPieceModel(vocabulary: ["[UNK]": 0, "대한": 1, "##민국": 2])
    /// let tokenizer = try HuggingFaceTokenizer(preTokenizer: PreTokenizationSequence([]), model: model)
    /// ```
    ///
    /// - Throws: ``TokkiError/invalidConfiguration(_:)`` for a model type Tokki does not
    ///   implement (see ``HuggingFaceModel``) or added tokens that clash.
    public init(normalizer: (any Normalizer)? = nil, preTokenizer: (any PreTokenizationStage)? = nil, model: any HuggingFaceModel,
                postProcessor: (any PostProcessor)? = nil, decoder: (any TokenDecoder)? = nil, addedTokens: [AddedToken] = [],
                truncation: Truncation? = nil, padding: Padding? = nil) throws(TokkiError) {
        guard let model = model as? any PieceModel else {
            throw .invalidConfiguration("\(type(of: model)) is not one of Tokki's models (BPEModel, UnigramModel, WordPieceModel, WordLevelModel)")
        }
        try self.init(normalizer: normalizer, preTokenizer: preTokenizer, model: model, byteLevel: model.isByteLevel,
                      postProcessor: postProcessor, decoder: decoder, addedTokens: addedTokens, path: nil,
                      truncation: truncation, padding: padding)
    }

    /// Assembles a pipeline from typed stages.
    init(normalizer: (any Normalizer)?, preTokenizer: (any PreTokenizationStage)?, model: any PieceModel, byteLevel: Bool,
         postProcessor: (any PostProcessor)?, decoder: (any TokenDecoder)?, addedTokens: [AddedToken], path: String?,
         truncation: Truncation? = nil, padding: Padding? = nil) throws(TokkiError) {
        self.truncation = truncation
        self.padding = padding
        self.normalizer = normalizer
        idNormalizer = normalizer.flatMap(IDNormalizer.init)
        unicodeForm = normalizer.flatMap(Self.unicodeForm(of:))
        self.preTokenizer = preTokenizer
        self.model = model
        self.byteLevel = byteLevel
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.addedTokens = addedTokens
        self.path = path
        var raw: [(pattern: [UInt8], token: AddedToken)] = []
        var normalized: [(pattern: [UInt8], token: AddedToken)] = []
        for t in addedTokens {
            if t.normalized, let normalizer {
                normalized.append((Array(try normalizer.normalize(t.content).utf8), t))
            } else if t.normalized {
                normalized.append((Array(t.content.utf8), t))
            } else {
                raw.append((Array(t.content.utf8), t))
            }
        }
        rawMatcher = AddedTokenMatcher(raw)
        normalizedMatcher = AddedTokenMatcher(normalized)
        addedByID = Dictionary(addedTokens.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        // Without a pre-tokenizer the model sees whole texts; when no token can span a word
        // boundary (Llama-style `▁` vocabularies), cutting at the boundaries gives the same
        // tokens and lets the cache work.
        if preTokenizer == nil, let bpe = model as? BPEModel, MetaspaceWordSplit.wordsAreIndependent(bpe) {
            splitChain = [MetaspaceWordSplit()]
            implicitSplit = SplittingStage(MetaspaceWordSplit())
        } else {
            splitChain = preTokenizer.flatMap(Self.splitters)
            implicitSplit = nil
        }
        bertSplit = splitChain.map(BertWordSplit.matches) ?? false
        wordPiece = model as? WordPieceModel
        bpe = model as? BPEModel
        pieceSplit = splitChain.flatMap { $0.count == 1 ? $0[0] as? RegexSplit : nil }.flatMap { $0.scansPieces ? $0 : nil }
        rawWords = normalized.isEmpty ? RawWords(idNormalizer, bertSplit: bertSplit, metaspaceSplit: implicitSplit != nil) : nil
    }

    /// The splitters of a pre-tokenizer made only of splitting stages (ByteLevel without a
    /// prefix space is a split, or nothing, since the model reads raw bytes); nil otherwise.
    static func splitters(_ stage: any PreTokenizationStage) -> [any PreTokenizer]? {
        switch stage {
        case let s as SplittingStage: return [s.splitter]
        case let b as ByteLevel: return b.addPrefixSpace ? nil : (b.split.map { [$0] } ?? [])
        case let q as PreTokenizationSequence:
            var out: [any PreTokenizer] = []
            for s in q.stages {
                guard let more = splitters(s) else { return nil }
                out += more
            }
            return out
        default: return nil
        }
    }

    // MARK: Vocabulary

    /// The model stage (``BPEModel``, ``UnigramModel``, ``WordPieceModel`` or ``WordLevelModel``).
    public var modelStage: any HuggingFaceModel { model }

    /// The number of ids (model vocabulary and added tokens).
    public var vocabularySize: Int { max(model.vocabularySize, (addedTokens.map(\.id).max() ?? -1) + 1) }

    /// The id of a token string (added tokens first, then the model's vocabulary).
    public func id(for token: String) -> Int? {
        if let t = addedTokens.first(where: { $0.content.utf8.elementsEqual(token.utf8) }) { return t.id }
        return model.id(for: Array(token.utf8))
    }

    /// The token string of `id`.
    public func token(for id: Int) -> String? {
        addedByID[id]?.content ?? model.token(for: id)
    }

    // MARK: Encoding

    /// Encodes one text (`addSpecialTokens`: apply the post-processor's special tokens).
    /// Offsets are UTF-8 byte offsets and Unicode-scalar offsets (Python `str` indices) into
    /// `text`, as `tokenizers`' offsets.
    public func encode(_ text: String, addSpecialTokens: Bool = true) throws(TokkiError) -> Encoding {
        var scratch = ModelScratch()
        return try encode(text, pair: nil, addSpecialTokens: addSpecialTokens, scratch: &scratch)
    }

    /// Encodes a pair of texts (e.g. question and context).
    public func encode(_ text: String, pair: String?, addSpecialTokens: Bool = true) throws(TokkiError) -> Encoding {
        var scratch = ModelScratch()
        return try encode(text, pair: pair, addSpecialTokens: addSpecialTokens, scratch: &scratch)
    }

    func encode(_ text: String, pair: String?, addSpecialTokens: Bool, scratch: inout ModelScratch) throws(TokkiError) -> Encoding {
        let bytes = Array(text.utf8)
        var first = try encodeSequence(bytes, typeID: 0, scratch: &scratch)
        first.characterOffsets = Self.characterOffsets(first.offsets, in: bytes)
        var second: Encoding? = nil
        if let pair {
            let pairBytes = Array(pair.utf8)
            var s = try encodeSequence(pairBytes, typeID: 1, scratch: &scratch)
            s.characterOffsets = Self.characterOffsets(s.offsets, in: pairBytes)
            second = s
        }
        return try postProcess(first, second, addSpecialTokens: addSpecialTokens)
    }

    /// `tokenizers`' `post_process`: truncation (leaving room for the special tokens), the
    /// post-processor, then padding.
    func postProcess(_ first: Encoding, _ second: Encoding?, addSpecialTokens: Bool) throws(TokkiError) -> Encoding {
        var a = first, b = second
        if let truncation {
            var t = truncation
            let added = addSpecialTokens ? (postProcessor?.addedTokenCount(pair: b != nil) ?? 0) : 0
            guard t.maxLength >= added else {
                throw .invalidConfiguration("truncation max_length \(t.maxLength) is smaller than the \(added) special tokens the post-processor adds")
            }
            t.maxLength -= added
            try t.truncate(&a, &b)
        }
        var result: Encoding
        if let postProcessor {
            var list = [a.withTypeID(0)]
            list[0].overflowing = a.overflowing
            if let b { var x = b.withTypeID(1); x.overflowing = b.overflowing; list.append(x) }
            result = Encoding.merged(postProcessor.processEncodings(list, addSpecialTokens: addSpecialTokens))
        } else {
            result = b == nil ? a : Encoding.merged([a] + (b.map { [$0] } ?? []))
        }
        if let padding { padding.pad(&result, toLength: padding.length(for: [result.ids.count])) }
        return result
    }

    /// For each byte, the index of the character containing it.
    static func charIndexMap(_ bytes: [UInt8]) -> [Int32] {
        var map = [Int32](repeating: 0, count: bytes.count)
        var c: Int32 = -1
        for (i, b) in bytes.enumerated() {
            if b & 0xC0 != 0x80 { c += 1 }
            map[i] = max(c, 0)
        }
        return map
    }

    /// `tokenizers`' byte-to-character offset conversion.
    static func convert(_ r: Range<Int>, _ map: [Int32], _ n: Int) -> Range<Int> {
        guard r.lowerBound < n else { return r }
        let start = Int(map[r.lowerBound])
        let end: Int
        if r.upperBound < n { end = Int(map[r.upperBound]) } else { end = Int(map[n - 1]) + 1 }
        return start..<max(start, end)
    }

    static func characterOffsets(_ offsets: [Range<Int>], in bytes: [UInt8]) -> [Range<Int>] {
        let map = charIndexMap(bytes)
        return offsets.map { convert($0, map, bytes.count) }
    }

    /// Encodes one sequence: ids, tokens and original byte offsets (no post-processing).
    func encodeSequence(_ bytes: [UInt8], typeID: Int, scratch: inout ModelScratch) throws(TokkiError) -> Encoding {
        var out = Encoding.empty
        var modelTokens: [ModelToken] = []
        try bytes.withUnsafeBufferPointer { (b) throws(TokkiError) in
            for part in rawMatcher.split(b) {
                if let t = part.token {
                    let token = rawMatcher.tokens[t]
                    out.append(.added(token, String(decoding: b[part.range], as: UTF8.self), part.range, typeID: typeID))
                    continue
                }
                let segment = UnsafeBufferPointer(rebasing: b[part.range])
                let normalized = try normalizer.map { (n) throws(TokkiError) in try n.normalize(utf8: segment) } ?? NormalizedText(unchanged: Array(segment))
                let base = part.range.lowerBound
                try normalized.normalized.withUnsafeBufferPointer { (nb) throws(TokkiError) in
                    for sub in normalizedMatcher.split(nb) {
                        if let t = sub.token {
                            let token = normalizedMatcher.tokens[t]
                            let o = normalized.originalRange(forNormalized: sub.range)
                            out.append(.added(token, String(decoding: nb[sub.range], as: UTF8.self),
                                              (o.lowerBound + base)..<(o.upperBound + base), typeID: typeID))
                            continue
                        }
                        let originalStart = base + normalized.originalPosition(ofNormalizedBoundary: sub.range.lowerBound)
                        var pre = PreTokenizedText(bytes: Array(nb[sub.range]), originalBase: originalStart)
                        if let stage = preTokenizer ?? implicitSplit { try stage.apply(&pre) }
                        try pre.bytes.withUnsafeBufferPointer { (pb) throws(TokkiError) in
                            guard let pp = pb.baseAddress else { return }
                            for piece in pre.pieces {
                                modelTokens.removeAll(keepingCapacity: true)
                                model.tokenize(pp + piece.lowerBound, piece.count, into: &modelTokens, scratch: &scratch)
                                for t in modelTokens {
                                    let working = (piece.lowerBound + Int(t.start))..<(piece.lowerBound + Int(t.end))
                                    var r = pre.normalizedRange(working)
                                    r = (r.lowerBound + sub.range.lowerBound)..<(r.upperBound + sub.range.lowerBound)
                                    r = Self.expandToCharacters(r, nb)
                                    let o = normalized.originalRange(forNormalized: r)
                                    out.ids.append(Int(t.id))
                                    out.pieces.append(model.tokenString(t.id, covering: UnsafeBufferPointer(rebasing: pb[working])))
                                    out.offsets.append((o.lowerBound + base)..<(o.upperBound + base))
                                    out.typeIDs.append(typeID); out.specialTokensMask.append(0); out.attentionMask.append(1)
                                }
                            }
                        }
                    }
                }
            }
        }
        out.characterOffsets = out.offsets
        return out
    }

    /// Widens a byte range of `text` to whole UTF-8 characters.
    static func expandToCharacters(_ r: Range<Int>, _ text: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        var s = r.lowerBound, e = r.upperBound
        while s > 0 && s < text.count && text[s] & 0xC0 == 0x80 { s -= 1 }
        while e < text.count && e > 0 && text[e] & 0xC0 == 0x80 { e += 1 }
        return s..<e
    }

    // MARK: Decoding

    /// Decodes ids: tokens (special ones skipped when asked) through the decoder, or joined
    /// with spaces when there is none, as `tokenizers`' `decode`.
    ///
    /// - Throws: ``TokkiError/invalidID(_:vocabularySize:)`` for an unknown id.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) throws(TokkiError) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            if let added = addedByID[id] {
                if skipSpecialTokens && added.special { continue }
                tokens.append(added.content)
            } else if let t = model.token(for: id) {
                tokens.append(t)
            } else {
                throw .invalidID(id, vocabularySize: vocabularySize)
            }
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decodeChain(tokens).joined()
    }
}

extension Encoding {
    /// An added token matched in the text.
    static func added(_ t: AddedToken, _ text: String, _ range: Range<Int>, typeID: Int) -> Encoding {
        Encoding(ids: [t.id], pieces: [text], offsets: [range], characterOffsets: [range], typeIDs: [typeID],
                 specialTokensMask: [0], attentionMask: [1])
    }
}

extension HuggingFaceTokenizer {
    /// The continuing-subword prefix (`##`) when the model is WordPiece, else nil.
    public var wordPiecePrefix: String? { (model as? WordPieceModel)?.continuingSubwordPrefix }

    /// A one-line description of the model (type and main options).
    public var modelDescription: String {
        switch model {
        case let m as BPEModel:
            var parts = ["BPE", "\(m.mergeCount) merges"]
            if m.byteLevel { parts.append("byte-level") }
            if m.options.byteFallback { parts.append("byte fallback") }
            if let u = m.options.unknownToken { parts.append("unk \(u)") }
            if m.options.ignoreMerges { parts.append("ignore_merges") }
            if let p = m.options.continuingSubwordPrefix, !p.isEmpty { parts.append("prefix \(p)") }
            if let x = m.options.endOfWordSuffix, !x.isEmpty { parts.append("suffix \(x)") }
            return parts.joined(separator: ", ")
        case let m as UnigramModel:
            return "Unigram" + (m.byteFallback ? ", byte fallback" : "") + (m.unknownID.map { ", unk id \($0)" } ?? "")
        case let m as WordPieceModel:
            return "WordPiece, unk \(m.unknownToken), prefix \(m.continuingSubwordPrefix)"
        case let m as WordLevelModel:
            return "WordLevel" + (m.unknownToken.map { ", unk \($0)" } ?? "")
        default:
            return String(describing: type(of: model))
        }
    }
}

extension HuggingFaceTokenizer {
    /// Calls `body` with every piece of well-formed UTF-8 `input` that reaches the model —
    /// normalized, pre-tokenized, added tokens left out — as the model receives it (raw
    /// bytes for byte-level models). Vocabulary extension counts its words with it.
    package func forEachModelInput(_ input: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) throws(TokkiError) {
        for part in rawMatcher.split(input) where part.token == nil {
            let segment = UnsafeBufferPointer(rebasing: input[part.range])
            let normalized = try normalizer.map { (n) throws(TokkiError) in try n.normalize(utf8: segment).normalized } ?? Array(segment)
            try normalized.withUnsafeBufferPointer { (text) throws(TokkiError) in
                for sub in normalizedMatcher.split(text) where sub.token == nil {
                    var pre = PreTokenizedText(bytes: Array(text[sub.range]))
                    if let preTokenizer { try preTokenizer.apply(&pre) }
                    pre.bytes.withUnsafeBufferPointer { pb in
                        for r in pre.pieces where !r.isEmpty { body(UnsafeBufferPointer(rebasing: pb[r])) }
                    }
                }
            }
        }
    }

    /// The model, when it is BPE.
    package var bpeModel: BPEModel? { bpe }

    /// Reusable per-thread working memory for ``encodeIDs(_:into:scratch:addSpecialTokens:)``.
    public struct Scratch: Sendable {
        var model = ModelScratch()
        var tokens: [ModelToken] = []
        var ranges: [Range<Int>] = []
        var next: [Range<Int>] = []
        var normalized: [UInt8] = []
        var spare: [UInt8] = []
        /// The offsets path's second list of split ranges.
        var splitRanges: [Range<Int>] = []
        /// The offsets path's parts of a text around its added tokens (raw, then normalized).
        var rawParts: [(token: Int?, range: Range<Int>)] = []
        var normalizedParts: [(token: Int?, range: Range<Int>)] = []
        /// The offsets path's token slots, written through pointers and then copied out; they
        /// only grow (to the longest text's byte count).
        var slotIDs: [Int32] = []
        var slotOffsets: [Range<Int>] = []
        /// The most tokens the offsets path writes into the slots (20 MB of them); a text with
        /// more takes the general path.
        var fastSlotLimit = 1 << 20
        /// The raw-word cache (``RawWords``) and the tables it works with (kept alive here).
        var rawWordCache = WordCache()
        var rawTables: SharedWordTables? = nil
        /// The raw-word path's working memory: a key, its normalized bytes, a miss's ids.
        var rawWordBuffers = RawWordBuffers()
        /// Empty working memory.
        public init() {}
    }

    /// Appends the ids of well-formed UTF-8 `input` to `ids` without building token strings
    /// or offsets (the fast path for bulk encoding; same ids as ``encode(_:addSpecialTokens:)``).
    public func encodeIDs(_ input: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], scratch: inout Scratch,
                          addSpecialTokens: Bool = false) throws(TokkiError) {
        if addSpecialTokens && postProcessor != nil || truncation != nil || padding != nil {
            // Special tokens, truncation and padding need the full encoding: take the general path.
            let e = try encode(String(decoding: input, as: UTF8.self), pair: nil, addSpecialTokens: addSpecialTokens, scratch: &scratch.model)
            ids.append(contentsOf: e.ids.map { Int32($0) })
            return
        }
        scratch.model.bind(pieceTables)
        try rawMatcher.forEachPart(input) { (token, range) throws(TokkiError) in
            if let t = token { ids.append(Int32(rawMatcher.tokens[t].id)); return }
            let segment = UnsafeBufferPointer(rebasing: input[range])
            if let rawWords, try encodeRawWords(segment, rawWords, into: &ids, scratch: &scratch) { return }
            if let idNormalizer {
                // Owned while encoding, so that `scratch` stays free to pass on.
                var normalized: [UInt8] = [], spare: [UInt8] = []
                swap(&normalized, &scratch.normalized); swap(&spare, &scratch.spare)
                defer { swap(&normalized, &scratch.normalized); swap(&spare, &scratch.spare) }
                try idNormalizer.normalize(segment, into: &normalized, spare: &spare)
                try normalized.withUnsafeBufferPointer { (nb) throws(TokkiError) in
                    try encodeNormalizedIDs(nb, base: range.lowerBound, into: &ids, scratch: &scratch)
                }
            } else if normalizer != nil && !leavesNormalized(segment), let normalized = try normalizer?.normalize(utf8: segment) {
                try normalized.normalized.withUnsafeBufferPointer { (nb) throws(TokkiError) in
                    try encodeNormalizedIDs(nb, base: range.lowerBound, into: &ids, scratch: &scratch)
                }
            } else {
                try encodeNormalizedIDs(segment, base: range.lowerBound, into: &ids, scratch: &scratch)
            }
        }
    }

    /// Appends the ids of `segment` (text between added tokens) word by word, each word
    /// looked up in the raw-word cache under its raw bytes and, when missing, normalized and
    /// encoded as ``encodeNormalizedIDs(_:base:into:scratch:)`` would encode it within the
    /// whole segment. False (nothing appended) when the segment has a literal `▁`, which would
    /// move a ``RawWords/spaced`` cut.
    private func encodeRawWords(_ segment: UnsafeBufferPointer<UInt8>, _ kind: RawWords, into ids: inout [Int32],
                                scratch: inout Scratch) throws(TokkiError) -> Bool {
        guard let p = segment.baseAddress, !segment.isEmpty else { return true }   // empty: no tokens either way
        let n = segment.count
        if kind == .spaced && !SentencePieceTokenizer.hasNoSpaceSymbol(segment) { return false }
        if scratch.rawTables !== pieceTables {
            // A scratch used with another tokenizer before must not replay its words.
            scratch.rawTables = pieceTables
            scratch.rawWordCache = WordCache(shared: pieceTables.raw.view)
        }
        // Owned while encoding (unique, no copy on write), so that `scratch` stays free to pass on.
        var cache = WordCache(), buffers = RawWordBuffers()
        swap(&cache, &scratch.rawWordCache)
        swap(&buffers, &scratch.rawWordBuffers)
        defer {
            swap(&cache, &scratch.rawWordCache)
            swap(&buffers, &scratch.rawWordBuffers)
        }
        var (i, j) = kind.word(p, from: 0, n)
        var nextHash: UInt32 = 0
        var first = true
        while i < n {
            // The next word, found now so that its slot of the table is on its way in while
            // this one is looked up (and, on a miss, encoded).
            let (ni, nj) = kind.word(p, from: j, n)
            let hash = nextHash
            if ni < n && nj - ni <= WordCache.maxWordLength {
                nextHash = WordCache.hash(p + ni, nj - ni)
                cache.prefetch(nextHash)
            }
            defer { (i, j, first) = (ni, nj, false) }
            // The first `.spaced` word is keyed behind one space: the prepended `▁`.
            let prefixed = kind == .spaced && i == 0
            if prefixed {
                buffers.key.removeAll(keepingCapacity: true)
                buffers.key.append(0x20)
                buffers.key.append(contentsOf: UnsafeBufferPointer(start: p, count: j))
            }
            try buffers.key.withUnsafeBufferPointer { (prefixedKey) throws(TokkiError) in
                let key = prefixed ? prefixedKey : UnsafeBufferPointer(start: p + i, count: j - i)
                guard let kp = key.baseAddress else { return }
                var h: UInt32 = 0
                var slot = -1
                let cacheable = key.count <= WordCache.maxWordLength
                if cacheable {
                    // Every word but the first (which may be the prefixed one) was hashed a word earlier.
                    h = first ? WordCache.hash(kp, key.count) : hash
                    let found = cache.find(kp, key.count, h)
                    if let record = found.record {
                        cache.appendIDs(record, to: &ids)
                        return
                    }
                    slot = found.slot
                }
                // A miss: the word's normalized bytes, encoded as within the whole segment.
                if kind == .spaced {
                    SentencePieceTokenizer.escapeSpaces(key, into: &buffers.normalized)
                } else if let idNormalizer {
                    try idNormalizer.normalize(key, into: &buffers.normalized, spare: &buffers.spare)
                }
                buffers.ids.removeAll(keepingCapacity: true)
                try buffers.normalized.withUnsafeBufferPointer { (nb) throws(TokkiError) in
                    try encodeNormalizedIDs(nb, base: 0, into: &buffers.ids, scratch: &scratch)
                }
                if cacheable { cache.insertIDs(kp, key.count, h, slot: slot, ids: buffers.ids[...], spans: &buffers.spans) }
                ids.append(contentsOf: buffers.ids)
            }
        }
        return true
    }

    /// Whether a Unicode normalization form would leave `text` unchanged (ids need no copy).
    static func isAlreadyNormalized(_ text: UnsafeBufferPointer<UInt8>, _ normalizer: any Normalizer) -> Bool {
        unicodeForm(of: normalizer)?.isNormalized(utf8: text) ?? false
    }

    /// The ICU normalizer of a Unicode normalization form, when `normalizer` is one.
    static func unicodeForm(of normalizer: any Normalizer) -> ICUNormalizer? {
        switch normalizer {
        case let n as CharacterAlignedNormalizer: return n.base
        case let n as ICUNormalizer: return n
        default: return nil
        }
    }

    /// ``isAlreadyNormalized(_:_:)`` for this tokenizer's normalizer (no cast per text).
    func leavesNormalized(_ text: UnsafeBufferPointer<UInt8>) -> Bool { unicodeForm?.isNormalized(utf8: text) ?? false }

    private func encodeNormalizedIDs(_ text: UnsafeBufferPointer<UInt8>, base: Int, into ids: inout [Int32], scratch: inout Scratch) throws(TokkiError) {
        try normalizedMatcher.forEachPart(text) { (token, range) throws(TokkiError) in
            if let t = token { ids.append(Int32(normalizedMatcher.tokens[t].id)); return }
            let piece = UnsafeBufferPointer(rebasing: text[range])
            if bertSplit {
                scratch.tokens.removeAll(keepingCapacity: true)
                if let wordPiece {
                    Self.tokenizeBertWords(piece, wordPiece, into: &scratch.tokens, scratch: &scratch.model)
                } else {
                    Self.tokenizeBertWords(piece, model, into: &scratch.tokens, scratch: &scratch.model)
                }
                for t in scratch.tokens { ids.append(t.id) }
                return
            }
            if let pieceSplit {
                if bpe != nil {
                    // Called through the optional in place: `if let` would copy the model (a
                    // large struct) for every part of every text.
                    bpe?.appendPieceIDs(pieceSplit, piece, into: &ids, scratch: &scratch.model)
                } else {
                    Self.tokenizePieceIDs(model, pieceSplit, piece, into: &ids, scratch: &scratch.model)
                }
                return
            }
            if preTokenizer == nil || splitChain != nil {
                // Split-only pre-tokenizers need no rewritten copy of the text.
                guard let base = piece.baseAddress else { return }
                let chain = splitChain ?? []
                // Each splitter cuts every piece of the one before; two reused buffers.
                var ranges: [Range<Int>] = [], next: [Range<Int>] = []
                swap(&ranges, &scratch.ranges)   // owned, so no copy on write
                swap(&next, &scratch.next)
                ranges.removeAll(keepingCapacity: true)
                ranges.append(0..<piece.count)
                for splitter in chain {
                    next.removeAll(keepingCapacity: true)
                    for r in ranges {
                        try splitter.split(UnsafeBufferPointer(rebasing: piece[r]), offset: r.lowerBound, appendingTo: &next)
                    }
                    swap(&ranges, &next)
                }
                if bpe != nil {
                    Self.tokenizeRangeIDs(bpe!, base, ranges, into: &ids, scratch: &scratch.model)   // in place, no copy
                } else {
                    Self.tokenizeRangeIDs(model, base, ranges, into: &ids, scratch: &scratch.model)
                }
                scratch.ranges = ranges
                scratch.next = next
                return
            }
            var pre = PreTokenizedText(bytes: Array(piece), originalBase: base + range.lowerBound)
            if let preTokenizer { try preTokenizer.apply(&pre) }
            try pre.bytes.withUnsafeBufferPointer { (pb) throws(TokkiError) in
                guard let pp = pb.baseAddress else { return }
                for r in pre.pieces {
                    scratch.tokens.removeAll(keepingCapacity: true)
                    model.tokenize(pp + r.lowerBound, r.count, into: &scratch.tokens, scratch: &scratch.model)
                    for t in scratch.tokens { ids.append(t.id) }
                }
            }
        }
    }

    /// The ids of the pieces `split` finds in `piece`, each tokenized as the scanner finds it.
    /// Generic, so that the BPE model is called directly, borrowed once for the whole text.
    @inline(__always)
    private static func tokenizePieceIDs<M: PieceModel>(_ model: M, _ split: RegexSplit, _ piece: UnsafeBufferPointer<UInt8>,
                                                        into ids: inout [Int32], scratch: inout ModelScratch) {
        guard let base = piece.baseAddress else { return }
        split.forEachPiece(piece) { start, end in model.tokenizeIDs(base + start, end - start, into: &ids, scratch: &scratch) }
    }

    /// The ids of the non-empty `ranges` of the text at `base` (see ``tokenizePieceIDs(_:_:_:into:scratch:)``).
    @inline(__always)
    private static func tokenizeRangeIDs<M: PieceModel>(_ model: M, _ base: UnsafePointer<UInt8>, _ ranges: [Range<Int>],
                                                        into ids: inout [Int32], scratch: inout ModelScratch) {
        for r in ranges where !r.isEmpty { model.tokenizeIDs(base + r.lowerBound, r.count, into: &ids, scratch: &scratch) }
    }

    /// Tokenizes the words of BERT's pre-tokenization of `text` (see ``BertWordSplit``).
    @inline(__always)
    private static func tokenizeBertWords<M: PieceModel>(_ text: UnsafeBufferPointer<UInt8>, _ model: M,
                                                         into out: inout [ModelToken], scratch: inout ModelScratch) {
        guard let base = text.baseAddress else { return }
        BertWordSplit.forEachWord(text) { start, end in
            model.tokenize(base + start, end - start, into: &out, scratch: &scratch)
        }
    }
}

/// How the ids-only path of a ``HuggingFaceTokenizer`` can cut raw text (between added
/// tokens) into words whose ids, concatenated, are the text's: each word is then cached under
/// its raw bytes, and a hit needs neither normalization nor pre-tokenization.
enum RawWords: Sendable, Equatable {
    /// `BertNormalizer` and BERT's pre-tokenizer (any model): runs between ASCII spaces. The
    /// normalizer works character by character (a space is a space, and NFD never moves a
    /// mark across one), and the pre-tokenizer splits at every space.
    case spaceSeparated
    /// `Prepend("▁")` then `Replace(" ", "▁")`, with words cut before every `▁` that follows
    /// another character (``MetaspaceWordSplit``; Llama 2's tokenizer.json): a run of spaces
    /// and the text after it, the first behind one space (the prepended `▁`). A text with a
    /// literal `▁` takes the general path.
    case spaced

    /// The split a pipeline allows, or nil: `normalizer` must be exactly one of the two above.
    init?(_ normalizer: IDNormalizer?, bertSplit: Bool, metaspaceSplit: Bool) {
        guard let steps = normalizer?.steps, steps.count == 1 else { return nil }
        switch steps[0] {
        case .bert where bertSplit:
            self = .spaceSeparated
        case .prependThenReplaceByte(let prefix, 0x20, let content)
            where metaspaceSplit && prefix == SentencePieceTokenizer.escapedSpace && content == SentencePieceTokenizer.escapedSpace:
            self = .spaced
        default:
            return nil
        }
    }
}

extension RawWords {
    /// The word that starts at or after `i` in `p[0..<n]`: its start (`n` when there is none)
    /// and end.
    @inline(__always)
    func word(_ p: UnsafePointer<UInt8>, from i: Int, _ n: Int) -> (Int, Int) {
        switch self {
        case .spaceSeparated:
            // Runs between spaces; the spaces themselves give no token.
            var start = i
            while start < n && p[start] == 0x20 { start += 1 }
            var end = start
            while end < n && p[end] != 0x20 { end += 1 }
            return (start, end)
        case .spaced:
            // Spaces and the text after them (`▁`s stay with the text that follows).
            var end = i
            while end < n && p[end] == 0x20 { end += 1 }
            while end < n && p[end] != 0x20 { end += 1 }
            return (i, end)
        }
    }
}

/// The working memory of ``HuggingFaceTokenizer``'s raw-word path.
struct RawWordBuffers: Sendable {
    var key: [UInt8] = []
    var normalized: [UInt8] = []
    var spare: [UInt8] = []
    var ids: [Int32] = []
    var spans: [TokenSpan] = []
}
