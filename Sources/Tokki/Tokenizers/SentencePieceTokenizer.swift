import Foundation

/// A SentencePiece model ready to encode and decode, byte-exact with the reference
/// `sentencepiece` library.
///
/// ```swift
/// let sp = try SentencePieceTokenizer(contentsOf: URL(fileURLWithPath: "ko.model"))
/// let encoding = sp.encode("「민법」 제3조제1항")
/// encoding.ids        // same ids as sentencepiece's encode()
/// try sp.decode(encoding.ids)
/// ```
///
/// The tokenizer is immutable and `Sendable`: share one instance across threads.
public struct SentencePieceTokenizer: Sendable {
    /// The model file's contents.
    public let model: SentencePieceModel
    /// The vocabulary.
    public let vocabulary: SentencePieceVocabulary
    /// The model's normalizer.
    public let normalizer: SentencePieceNormalizer
    let denormalizer: SentencePieceNormalizer?
    let unigram: SentencePieceUnigramModel?
    let bpe: SentencePieceBPEModel?
    let char: SentencePieceCharModel?
    let word: SentencePieceWordModel?
    /// Whether the ids-only path may cut the raw input at ASCII spaces and normalize and
    /// segment each piece on its own (see ``encodeIDsByRawWords(_:into:scratch:)``).
    let splitsRawWords: Bool
    /// Whether the ids-only path may cut the raw input into pieces of spaces and the text
    /// after them, for a BPE model whose normalizer only escapes spaces and keeps every one
    /// (see ``encodeIDsBySpacedWords(_:into:scratch:)``).
    let splitsSpacedWords: Bool
    /// Word tables shared by every thread encoding with this tokenizer (and its copies).
    var wordTables = SharedWordTables()

    /// Loads a `.model` file.
    public init(contentsOf url: URL) throws(TokkiError) {
        try self.init(model: SentencePieceModel(contentsOf: url))
    }

    /// Loads a model from the bytes of a `.model` file.
    public init(serialized data: Data) throws(TokkiError) {
        try self.init(model: SentencePieceModel(serialized: data))
    }

    /// Prepares `model` for encoding.
    public init(model: SentencePieceModel) throws(TokkiError) {
        try self.init(model: model, tables: nil)
    }

    /// Loads the `.model` file at `url` through a model cache: the vocabulary's tables are
    /// read from the file's image when there is a sound one (`image`, found by the loader), and
    /// an image is written when there is none (see ``ModelCache``). Without a cache, or for a
    /// file below the cache's size, a plain load.
    init(contentsOf url: URL, cache: ModelCache?, key: ModelCache.Key?, image: ImageReader?) throws(TokkiError) {
        let model = try SentencePieceModel(contentsOf: url)
        guard let cache, let key else {
            try self.init(model: model, tables: nil)
            return
        }
        if var image, let tables = try? SentencePieceVocabulary.Tables(image: &image, model: model) {
            try self.init(model: model, tables: tables)
            return
        }
        try self.init(model: model, tables: nil)
        var w = ImageWriter()
        SentencePieceVocabulary.Tables.write(vocabulary, to: &w)
        cache.store(w, for: key, kind: .sentencePiece)
    }

    /// Prepares `model` for encoding, with its vocabulary's tables already built when `tables`
    /// is given (read from a cache image of the same file).
    init(model: SentencePieceModel, tables: SentencePieceVocabulary.Tables?) throws(TokkiError) {
        self.model = model
        // The vocabulary's tables and the normalizer's (its user-defined symbols, charsmap)
        // need nothing from each other: built side by side.
        let builtVocabulary = TaskResult<Result<SentencePieceVocabulary, TokkiError>>()
        let builtNormalizer = TaskResult<Result<SentencePieceNormalizer, TokkiError>>()
        Parallelism.run(tasks: 2) { task in
            if task == 0 {
                builtVocabulary.value = Result { () throws(TokkiError) in
                    try SentencePieceVocabulary(model: model, prefixSearch: model.modelType == .unigram, prebuilt: tables)
                }
            } else {
                builtNormalizer.value = Result { () throws(TokkiError) in try SentencePieceNormalizer(model: model) }
            }
        }
        guard let builtVocabulary = builtVocabulary.value, let builtNormalizer = builtNormalizer.value else {
            throw .invalidModel(path: model.path, problem: "internal: not built")
        }
        vocabulary = try builtVocabulary.get()
        normalizer = try builtNormalizer.get()
        denormalizer = try model.denormalizer.map { (s) throws(TokkiError) in try SentencePieceNormalizer(settings: s, path: model.path) }
        let userDefined = model.userDefinedPieces
        let ws = model.treatWhitespaceAsSuffix
        unigram = model.modelType == .unigram ? SentencePieceUnigramModel(vocabulary: vocabulary, treatWhitespaceAsSuffix: ws) : nil
        bpe = model.modelType == .bpe
            ? SentencePieceBPEModel(vocabulary: vocabulary, userDefinedTrie: normalizer.userDefined, treatWhitespaceAsSuffix: ws) : nil
        char = model.modelType == .char ? SentencePieceCharModel(vocabulary: vocabulary, userDefinedSymbols: userDefined) : nil
        word = model.modelType == .word ? SentencePieceWordModel(vocabulary: vocabulary) : nil
        splitsRawWords = normalizer.normalizesWordsIndependently
            && ((unigram.map { $0.wordsAreIndependent && $0.joiners.isEmpty } ?? false)
                || (bpe.map { $0.wordsAreIndependent && $0.joiners.isEmpty } ?? false))
        // Llama 2, Mistral, Gemma: no charsmap (well-formed text is copied as it is), every
        // space kept and escaped, the dummy `▁` (if any) in front, no user-defined symbol
        // holding a space (it would be kept verbatim, unescaped).
        let settings = normalizer.settings
        splitsSpacedWords = !splitsRawWords && (bpe?.wordsAreIndependent ?? false)
            && normalizer.charsmap == nil && settings.escapeWhitespaces && !settings.removeExtraWhitespaces && !ws
            && !userDefined.contains { $0.utf8.contains(0x20) }
    }

    // MARK: Vocabulary

    /// The number of pieces.
    public var vocabularySize: Int { vocabulary.count }
    /// The id of `piece`, or nil when it is not in the vocabulary.
    public func id(for piece: String) -> Int? {
        let id = vocabulary.id(for: piece)
        return id == vocabulary.unknownID && !Array(piece.utf8).elementsEqual(vocabulary.bytes(of: id)) ? nil : id
    }
    /// The piece of `id`, or nil when out of range.
    public func piece(for id: Int) -> String? {
        id >= 0 && id < vocabulary.count ? vocabulary.piece(id) : nil
    }
    /// The unknown piece's id.
    public var unknownID: Int { model.unknownID }
    /// The beginning-of-sentence id, if the model has one.
    public var bosID: Int? { model.bosID }
    /// The end-of-sentence id, if the model has one.
    public var eosID: Int? { model.eosID }
    /// The padding id, if the model has one.
    public var padID: Int? { model.padID }

    // MARK: Encoding

    /// Reusable buffers for the allocation-free encoding path.
    public struct Scratch: Sendable {
        var normalized = SentencePieceNormalizer.Output()
        var spans: [TokenSpan] = []
        var unigram = SentencePieceUnigramModel.Buffers()
        var bpe = SentencePieceBPEModel.Buffers()
        var wordCache = WordCache()
        var rawWordCache = WordCache()
        /// A line's first piece behind one space (its dummy `▁`), as a cache key.
        var spacedKey: [UInt8] = []
        /// A word's ids as record spans (the spaced-word path caches ids under byte fallback).
        var idSpans: [TokenSpan] = []
        /// The tables of the tokenizer the caches work for (kept alive by this reference).
        var tables: SharedWordTables? = nil
        /// Whether to cache words across calls (worth it when the scratch is reused; a
        /// one-shot encode skips the caches' tables).
        var cachesWords = true
        /// Empty buffers.
        public init() {}
    }

    /// Points `scratch`'s word caches at this tokenizer's shared tables — a scratch used with
    /// another tokenizer before must not replay that tokenizer's words.
    @inline(__always)
    func bindCaches(_ scratch: inout Scratch) {
        if scratch.tables === wordTables { return }
        scratch.tables = wordTables
        scratch.wordCache = WordCache(shared: wordTables.normalized.view)
        scratch.rawWordCache = WordCache(shared: wordTables.raw.view)
    }

    /// Normalizes and segments `input` into `scratch` (any bytes; malformed ones become U+FFFD).
    func run(_ input: UnsafeBufferPointer<UInt8>, _ scratch: inout Scratch) {
        normalizer.normalize(input, into: &scratch.normalized)
        scratch.spans.removeAll(keepingCapacity: true)
        scratch.normalized.bytes.withUnsafeBufferPointer { norm in
            if !scratch.cachesWords {
                if let unigram {
                    unigram.segment(norm, into: &scratch.spans, buffers: &scratch.unigram)
                    return
                } else if let bpe {
                    bpe.segment(norm, into: &scratch.spans, buffers: &scratch.bpe, dropout: nil)
                    return
                }
            }
            bindCaches(&scratch)
            if let unigram {
                var running: Float = 0
                unigram.segmentCached(norm, into: &scratch.spans, buffers: &scratch.unigram, cache: &scratch.wordCache, running: &running)
            } else if let bpe {
                bpe.segmentCached(norm, into: &scratch.spans, buffers: &scratch.bpe, cache: &scratch.wordCache)
            } else if let char {
                char.segment(norm, into: &scratch.spans)
            } else if let word {
                word.segment(norm, into: &scratch.spans)
            }
        }
    }

    /// Appends the ids of `input` to `ids`, reusing `scratch` — the fast path (no pieces, no
    /// offsets, no allocation once the buffers have grown). `input` may be any bytes:
    /// malformed UTF-8 becomes U+FFFD, as in the reference.
    public func encodeIDs(_ input: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], scratch: inout Scratch,
                          addBOS: Bool = false, addEOS: Bool = false) {
        scratch.normalized.tracksOffsets = false  // ids only: no byte alignment needed
        if addBOS, let bos = model.bosID { ids.append(Int32(bos)) }
        if splitsRawWords && scratch.cachesWords {
            encodeIDsByRawWords(input, into: &ids, scratch: &scratch)
        } else if splitsSpacedWords && scratch.cachesWords && Self.hasNoSpaceSymbol(input) && UTF8Validation.isWellFormed(input) {
            encodeIDsBySpacedWords(input, into: &ids, scratch: &scratch)
        } else {
            run(input, &scratch)
            var prevUnk = false
            appendIDs(scratch.spans, normalized: scratch.normalized.bytes, into: &ids, prevUnk: &prevUnk)
        }
        if addEOS, let eos = model.eosID { ids.append(Int32(eos)) }
    }

    /// The ids of `input`, cut at ASCII spaces into raw words that are normalized and
    /// segmented one by one; a raw word seen before takes its ids from a cache without
    /// being normalized again.
    ///
    /// This equals normalizing and segmenting the whole line when ``splitsRawWords`` holds:
    /// the normalizer treats raw words independently (see
    /// ``SentencePieceNormalizer/normalizesWordsIndependently``) and no piece spans a word
    /// start, so words split where the whole line's words split — except around a literal
    /// `▁`: from a word holding one, the rest of the line is done in one piece. A raw word
    /// is cached only when its normalized form is `▁` followed by the word itself; the
    /// unigram path replays the cached path scores under the same float-rounding guard as
    /// ``SentencePieceUnigramModel/segmentCached(_:into:buffers:cache:running:)``.
    func encodeIDsByRawWords(_ input: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], scratch: inout Scratch) {
        guard let p = input.baseAddress else { return }
        let n = input.count
        // Own the caches while working, so that no copy-on-write check sees a second owner.
        bindCaches(&scratch)
        var cache = WordCache(), rawCache = WordCache()
        swap(&cache, &scratch.wordCache)
        swap(&rawCache, &scratch.rawWordCache)
        defer {
            swap(&cache, &scratch.wordCache)
            swap(&rawCache, &scratch.rawWordCache)
        }
        let replaysScores = unigram != nil
        let unk = Int32(vocabulary.unknownID)
        let byteIDs = vocabulary.byteIDs
        // BPE with byte fallback: a word's ids do not depend on the words around it, and its
        // raw record holds them (a hit copies them); otherwise records hold spans.
        let cachesIDs = bpe != nil && byteIDs != nil
        var running: Float = 0
        var prevUnk = false
        var i = 0
        while i < n {
            while i < n && p[i] == 0x20 { i += 1 }
            if i == n { break }
            var j = i + 1
            while j < n && p[j] != 0x20 { j += 1 }
            let len = j - i
            // Where a missed raw word goes in the cache (nil: not cached; -1: the shared table).
            var freeSlot: Int? = nil
            var h: UInt32 = 0
            if replaysScores { running = SentencePieceUnigramModel.renormalized(running) }  // a reset due at the word start
            if len + 3 <= WordCache.maxWordLength {
                h = WordCache.hash(p + i, len)
                let (slot, record) = rawCache.find(p + i, len, h)
                if let record, cachesIDs {
                    rawCache.appendIDs(record, to: &ids)
                    i = j
                    continue
                }
                if let record {
                    let (gap, deviation) = rawCache.gapAndDeviation(record)
                    if !replaysScores || SentencePieceUnigramModel.replayIsExact(gap: gap, deviation: deviation, running: running, length: len + 3) {
                        // As appendIDs, over the normalized word `▁` + word.
                        let word = p + i
                        rawCache.forEachSpan(record) { start, end, id, score in
                            running = score + running
                            guard id == unk else { ids.append(id); prevUnk = false; return }
                            if let byteIDs {
                                for k in Int(start)..<Int(end) { ids.append(byteIDs[Int(k >= 3 ? word[k - 3] : (k == 0 ? 0xE2 : (k == 1 ? 0x96 : 0x81)))]) }
                            } else if !prevUnk {
                                ids.append(id)
                            }
                            prevUnk = true
                        }
                        i = j
                        continue
                    }
                } else {
                    freeSlot = slot
                }
            }
            // A literal `▁` (no rule produces one) would, at the word's end, join the next
            // word in the line but be stripped as trailing whitespace from the word alone:
            // from such a word on, the line is done in one piece.
            var hasSpaceSymbol = false
            var k = i
            while k + 2 < j {
                if p[k] == 0xE2 && p[k + 1] == 0x96 && p[k + 2] == 0x81 { hasSpaceSymbol = true; break }
                k += 1
            }
            let end = hasSpaceSymbol ? n : j
            normalizer.normalize(UnsafeBufferPointer(start: p + i, count: end - i), into: &scratch.normalized)
            scratch.spans.removeAll(keepingCapacity: true)
            var idsCached = false
            scratch.normalized.bytes.withUnsafeBufferPointer { norm in
                guard let q = norm.baseAddress else { return }
                // The common case: the word normalizes to `▁` + itself; segment it and cache it
                // under its raw bytes.
                if let freeSlot, !hasSpaceSymbol && norm.count == len + 3 && q[0] == 0xE2 && q[1] == 0x96 && q[2] == 0x81 && memcmp(q + 3, p + i, len) == 0 {
                    if let unigram {
                        if let (gap, deviation) = unigram.segmentTracked(norm, running: &running, into: &scratch.spans, buffers: &scratch.unigram) {
                            rawCache.insert(p + i, len, h, slot: freeSlot, spans: scratch.spans[...], offset: 0, gap: gap, deviation: deviation,
                                            score: { unigram.pathScore($0) })
                        }
                    } else if let bpe {
                        bpe.segment(norm, into: &scratch.spans, buffers: &scratch.bpe, dropout: nil)
                        guard cachesIDs else {
                            rawCache.insert(p + i, len, h, slot: freeSlot, spans: scratch.spans[...], offset: 0)
                            return
                        }
                        let first = ids.count
                        appendIDs(scratch.spans, normalized: scratch.normalized.bytes, into: &ids, prevUnk: &prevUnk)
                        rawCache.insertIDs(p + i, len, h, slot: freeSlot, ids: ids[first...], spans: &scratch.idSpans)
                        idsCached = true
                    }
                } else if let unigram {
                    unigram.segmentCached(norm, into: &scratch.spans, buffers: &scratch.unigram, cache: &cache, running: &running)
                } else if let bpe {
                    bpe.segmentCached(norm, into: &scratch.spans, buffers: &scratch.bpe, cache: &cache)
                }
            }
            if !idsCached { appendIDs(scratch.spans, normalized: scratch.normalized.bytes, into: &ids, prevUnk: &prevUnk) }
            i = end
        }
    }

    /// Whether `input` holds no literal `▁` (U+2581), which the normalized text could not
    /// tell from an escaped space.
    @inline(__always)
    static func hasNoSpaceSymbol(_ input: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let p = input.baseAddress else { return true }
        let n = input.count
        var k = 0
        while k + 2 < n, let hit = memchr(p + k, 0xE2, n - 2 - k) {
            let at = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - p
            if p[at + 1] == 0x96 && p[at + 2] == 0x81 { return false }
            k = at + 1
        }
        return true
    }

    /// The ids of well-formed `input` without a literal `▁`, for a BPE model whose normalizer
    /// only escapes spaces (``splitsSpacedWords``): cut into words of spaces and the text
    /// after them, each segmented on its own and cached under its raw bytes.
    ///
    /// The normalized line is the dummy `▁` (if the model adds one) and the line with every
    /// space escaped. Its words (``WordCache/Words``) end before a `▁` that follows other text,
    /// unless that text ends with one of the model's joiners; in the raw line that is before a
    /// run of spaces, under the same condition. A word's normalized form is its raw bytes with
    /// every space escaped — for the line's first word, behind one space more (the dummy
    /// prefix), which is also the key it is cached under. Segmenting the words one by one is
    /// segmenting the line (``SentencePieceBPEModel/segmentCached(_:into:buffers:cache:)``).
    func encodeIDsBySpacedWords(_ input: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], scratch: inout Scratch) {
        guard let p = input.baseAddress, let bpe else { return }
        let n = input.count
        bindCaches(&scratch)
        // Owned while working (swapped, not copied: no reference counting per line).
        var cache = WordCache()
        swap(&cache, &scratch.rawWordCache)
        defer { swap(&cache, &scratch.rawWordCache) }
        let unk = Int32(vocabulary.unknownID)
        let byteIDs = vocabulary.byteIDs
        let dummy = normalizer.settings.addDummyPrefix
        let joiners = bpe.joiners
        var prevUnk = false
        var i = 0
        while i < n {
            var j = i
            var spaces = i == 0 && dummy ? 1 : 0
            while true {
                while j < n && p[j] == 0x20 { j += 1; spaces += 1 }
                let textStart = j
                while j < n && p[j] != 0x20 { j += 1 }
                // The word goes on over the next spaces when its text ends with a joiner.
                guard j < n && j > textStart && WordCache.Words.endsWithJoiner(p, from: textStart, to: j, joiners: joiners) else { break }
            }
            // The key: the word's bytes, behind one space for the dummy prefix.
            if i == 0 && dummy {
                scratch.spacedKey.removeAll(keepingCapacity: true)
                scratch.spacedKey.append(0x20)
                scratch.spacedKey.append(contentsOf: UnsafeBufferPointer(start: p, count: j))
            }
            let normalizedLength = (j - i) + (i == 0 && dummy ? 1 : 0) + 2 * spaces
            scratch.spacedKey.withUnsafeBufferPointer { spacedKey in
                let key = i == 0 && dummy ? UnsafeBufferPointer(rebasing: spacedKey[...]) : UnsafeBufferPointer(start: p + i, count: j - i)
                guard let keyBase = key.baseAddress else { return }
                var found: (slot: Int, record: Int?) = (-1, nil)
                var h: UInt32 = 0
                let cacheable = normalizedLength <= WordCache.maxWordLength
                if cacheable {
                    h = WordCache.hash(keyBase, key.count)
                    found = cache.find(keyBase, key.count, h)
                }
                if let record = found.record {
                    // With byte fallback a record holds the word's ids; without, its spans, and
                    // an unknown piece right after another adds no id.
                    if byteIDs != nil {
                        cache.appendIDs(record, to: &ids)
                        return
                    }
                    cache.forEachSpan(record) { _, _, id, _ in
                        let isUnk = id == unk
                        if !(isUnk && prevUnk) { ids.append(id) }
                        prevUnk = isUnk
                    }
                    return
                }
                Self.escapeSpaces(key, into: &scratch.normalized.bytes)
                assert(scratch.normalized.bytes.count == normalizedLength)
                scratch.spans.removeAll(keepingCapacity: true)
                scratch.normalized.bytes.withUnsafeBufferPointer { norm in
                    bpe.segment(norm, into: &scratch.spans, buffers: &scratch.bpe, dropout: nil)
                }
                guard byteIDs != nil else {
                    if cacheable { cache.insert(keyBase, key.count, h, slot: found.slot, spans: scratch.spans[...], offset: 0) }
                    appendIDs(scratch.spans, normalized: scratch.normalized.bytes, into: &ids, prevUnk: &prevUnk)
                    return
                }
                // Byte fallback: the word's ids do not depend on the words around it, and are
                // what the cache keeps (a hit then copies them, with no bytes to look up).
                let first = ids.count
                appendIDs(scratch.spans, normalized: scratch.normalized.bytes, into: &ids, prevUnk: &prevUnk)
                if cacheable { cache.insertIDs(keyBase, key.count, h, slot: found.slot, ids: ids[first...], spans: &scratch.idSpans) }
            }
            i = j
        }
    }

    /// The UTF-8 of `▁` (U+2581), an escaped space.
    static let escapedSpace: [UInt8] = [0xE2, 0x96, 0x81]

    /// Writes `bytes` into `out` with every space escaped (`▁`).
    static func escapeSpaces(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        var spaces = 0
        for b in bytes where b == 0x20 { spaces += 1 }
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: repeatElement(0, count: bytes.count + 2 * spaces))
        out.withUnsafeMutableBufferPointer { o in
            var w = 0
            for b in bytes {
                // Each input byte takes 1 output byte, a space 3: `w` stays below the count.
                if b == 0x20 {
                    assert(w + 3 <= o.count)
                    o[w] = 0xE2; o[w + 1] = 0x96; o[w + 2] = 0x81
                    w += 3
                } else {
                    assert(w < o.count)
                    o[w] = b
                    w += 1
                }
            }
        }
    }

    /// Turns model segments into ids as the reference does: consecutive unknown segments
    /// merge into one unknown id, or with byte fallback each becomes its `<0xXX>` ids.
    /// `prevUnk` carries whether the segment before `spans` was unknown.
    @inline(__always)
    func appendIDs(_ spans: [TokenSpan], normalized: [UInt8], into ids: inout [Int32], prevUnk: inout Bool) {
        let unk = Int32(vocabulary.unknownID)
        normalized.withUnsafeBufferPointer { norm in
            for s in spans {
                let isUnk = s.id == unk
                if isUnk, let byteIDs = vocabulary.byteIDs {
                    for k in Int(s.start)..<Int(s.end) { ids.append(byteIDs[Int(norm[k])]) }
                } else if !(isUnk && prevUnk) {
                    ids.append(s.id)
                }
                prevUnk = isUnk
            }
        }
    }

    /// The ids of `text`.
    public func encodeIDs(_ text: String, addBOS: Bool = false, addEOS: Bool = false) -> [Int] {
        var ids: [Int32] = []
        var scratch = Scratch()
        scratch.cachesWords = false
        var s = text
        s.withUTF8 { encodeIDs($0, into: &ids, scratch: &scratch, addBOS: addBOS, addEOS: addEOS) }
        return ids.map(Int.init)
    }

    /// Encodes `text`: ids, pieces and offsets into `text`.
    public func encode(_ text: String, addBOS: Bool = false, addEOS: Bool = false) -> Encoding {
        var s = text
        return s.withUTF8 { encode(bytes: $0, addBOS: addBOS, addEOS: addEOS) }
    }

    /// Encodes raw bytes (malformed UTF-8 becomes U+FFFD, as in the reference); offsets are
    /// into `bytes`.
    public func encode(bytes input: UnsafeBufferPointer<UInt8>, addBOS: Bool = false, addEOS: Bool = false) -> Encoding {
        var scratch = Scratch()
        scratch.cachesWords = false
        run(input, &scratch)
        var ids: [Int] = [], pieces: [String] = [], offsets: [Range<Int>] = []
        let map = scratch.normalized.normToOrig
        let norm = scratch.normalized.bytes
        let unk = Int32(vocabulary.unknownID)
        if addBOS, let bos = model.bosID { ids.append(bos); pieces.append(vocabulary.piece(bos)); offsets.append(0..<0) }
        var prevUnk = false
        for s in scratch.spans {
            let isUnk = s.id == unk
            let begin = Int(map[Int(s.start)]), end = max(begin, Int(map[Int(s.end)]))
            if isUnk, let byteIDs = vocabulary.byteIDs {
                let last = Int(s.end) - 1
                for k in Int(s.start)...last {
                    let id = Int(byteIDs[Int(norm[k])])
                    ids.append(id); pieces.append(vocabulary.piece(id))
                    offsets.append(k == last ? begin..<end : begin..<begin)
                }
            } else if isUnk && prevUnk {
                let i = pieces.count - 1
                pieces[i] += String(decoding: norm[Int(s.start)..<Int(s.end)], as: UTF8.self)
                offsets[i] = offsets[i].lowerBound..<end
            } else {
                ids.append(Int(s.id))
                pieces.append(isUnk ? String(decoding: norm[Int(s.start)..<Int(s.end)], as: UTF8.self) : vocabulary.piece(Int(s.id)))
                offsets.append(begin..<end)
            }
            prevUnk = isUnk
        }
        if addEOS, let eos = model.eosID { ids.append(eos); pieces.append(vocabulary.piece(eos)); offsets.append(input.count..<input.count) }
        return Encoding(ids: ids, pieces: pieces, offsets: offsets,
                        characterOffsets: Self.scalarOffsets(offsets, in: input))
    }

    /// Converts byte ranges to Unicode-scalar ranges (malformed bytes count one each).
    static func scalarOffsets(_ offsets: [Range<Int>], in input: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var prefix = [Int](repeating: 0, count: input.count + 1)
        var count = 0
        var i = 0
        let n = input.count
        while i < n {
            prefix[i] = count
            let len: Int
            if let base = input.baseAddress, let l = SentencePieceNormalizer.validCharLength(base, i, n) { len = l } else { len = 1 }
            for k in (i + 1)..<min(n, i + len) { prefix[k] = count + 1 }
            count += 1
            i += len
        }
        prefix[n] = count
        return offsets.map { prefix[$0.lowerBound]..<prefix[$0.upperBound] }
    }
}
