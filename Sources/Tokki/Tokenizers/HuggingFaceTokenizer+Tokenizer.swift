extension HuggingFaceTokenizer: Tokenizer {
    /// Fresh working memory.
    public func makeScratch() -> Scratch { Scratch() }

    /// The special added tokens.
    public var specialTokenIDs: [Int] { addedTokens.filter(\.special).map(\.id) }

    /// The padding id of the stored padding and the unknown token (`<unk>`, `[UNK]` or
    /// `<|unk|>`); the post-processor decides BOS and EOS, so they are nil.
    public var specialTokenRoles: SpecialTokenRoles {
        SpecialTokenRoles(pad: padding?.padID, unknown: ["<unk>", "[UNK]", "<|unk|>"].lazy.compactMap { id(for: $0) }.first)
    }

    /// Any token's id (added tokens first).
    public func specialTokenID(for token: String) -> Int? { id(for: token) }

    /// The WordPiece continuing-subword prefix (``wordPiecePrefix``).
    public var continuingSubwordPrefix: String? { wordPiecePrefix }

    /// A copy with ``truncation`` and ``padding`` removed.
    public func withoutStoredTruncationAndPadding() -> HuggingFaceTokenizer {
        var copy = self
        copy.truncation = nil
        copy.padding = nil
        return copy
    }

    /// Decodes ids leaving out special tokens (`tokenizers`' default).
    public func decode(_ ids: [Int]) throws(TokkiError) -> String { try decode(ids, skipSpecialTokens: true) }

    /// ``SpecialTokenPolicy/postProcessor``.
    public var specialTokenPolicy: SpecialTokenPolicy { .postProcessor }

    /// False: the input must be well-formed UTF-8.
    public var acceptsMalformedUTF8: Bool { false }

    /// ``encode(_:addSpecialTokens:)``.
    public func encode(_ text: String, options: EncodeOptions) throws(TokkiError) -> Encoding {
        try options.check(.postProcessor)
        return try encode(text, addSpecialTokens: options.addSpecialTokens)
    }

    /// ``encode(_:addSpecialTokens:)`` of well-formed UTF-8 `input` with `scratch`'s word
    /// caches (the shared table of this tokenizer, then the thread's own).
    public func encode(bytes input: UnsafeBufferPointer<UInt8>, options: EncodeOptions, scratch: inout Scratch) throws(TokkiError) -> Encoding {
        try options.check(.postProcessor)
        guard UTF8Validation.firstInvalidOffset(in: input) == nil else {
            return try encode(String(decoding: input, as: UTF8.self), options: options)
        }
        scratch.model.bind(pieceTables)
        let bytes = Array(input)
        var first = try encodeSequence(bytes, typeID: 0, scratch: &scratch.model)
        first.characterOffsets = Self.characterOffsets(first.offsets, in: bytes)
        return try postProcess(first, nil, addSpecialTokens: options.addSpecialTokens)
    }

    /// Ids and character offsets; for a byte-level model whose text needs no rewriting (no
    /// normalizer, or text it leaves unchanged) and a split-only pre-tokenizer, straight from
    /// the word caches — no token texts — with `tokenizers`' offsets: widened to whole
    /// characters, and trimmed of spaces by a ByteLevel post-processor with `trim_offsets`.
    public func encodeIDs(_ input: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], characterOffsets: inout [Range<Int>],
                          scratch: inout Scratch, options: EncodeOptions) throws(TokkiError) {
        try options.check(.postProcessor)
        let firstID = ids.count, firstOffset = characterOffsets.count
        if !options.addSpecialTokens,
           try encodeFast(input, into: &ids, characterOffsets: &characterOffsets, scratch: &scratch,
                          wellFormed: options.inputIsWellFormedUTF8, inBytes: options.offsetsInBytes) {
            return
        }
        ids.removeSubrange(firstID...)
        characterOffsets.removeSubrange(firstOffset...)
        let e = try encode(bytes: input, options: options, scratch: &scratch)
        ids.append(contentsOf: e.ids.map { Int32(truncatingIfNeeded: $0) })
        characterOffsets.append(contentsOf: e.characterOffsets)
        if options.offsetsInBytes { OffsetUnits.charactersToBytes(&characterOffsets, from: firstOffset, in: input) }
    }

    /// The fast path of ``encodeIDs(_:into:characterOffsets:scratch:options:)``; false (with
    /// nothing appended) when the tokenizer or text needs the general path.
    /// `wellFormed`: the caller guarantees well-formed UTF-8 (not checked again). `inBytes`:
    /// the offsets in UTF-8 bytes (``EncodeOptions/offsetsInBytes``).
    private func encodeFast(_ input: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], characterOffsets: inout [Range<Int>],
                            scratch: inout Scratch, wellFormed: Bool, inBytes: Bool) throws(TokkiError) -> Bool {
        // The model is passed on in place (`bpe!`), not bound with `if let`, which copies it
        // (a large struct) for every text.
        guard byteLevel, bpe?.byteLevel == true, !bertSplit,
              preTokenizer == nil || splitChain != nil, truncation == nil, padding == nil else { return false }
        var trim = false, addPrefixSpace = false
        switch postProcessor {
        case nil: break
        case let p as ByteLevelPostProcessor: trim = p.trimOffsets; addPrefixSpace = p.addPrefixSpace
        default: return false
        }
        assert(!wellFormed || UTF8Validation.firstInvalidOffset(in: input) == nil)
        guard let base = input.baseAddress, !input.isEmpty else { return true }
        guard wellFormed || UTF8Validation.firstInvalidOffset(in: input) == nil else { return false }
        // Every token covers at least one byte of the input (added tokens too), so `input.count`
        // slots hold them all. They are written through pointers into the scratch's slots (no
        // uniqueness and capacity check per token), then copied out. The slots stay with the
        // scratch, so they are capped (20 bytes each): a text with more tokens than
        // `scratch.fastSlotLimit` takes the general path, whose memory follows its token count.
        let room = min(input.count, scratch.fastSlotLimit)
        var slotIDs: [Int32] = [], slotOffsets: [Range<Int>] = []
        swap(&slotIDs, &scratch.slotIDs)
        swap(&slotOffsets, &scratch.slotOffsets)
        defer {
            swap(&slotIDs, &scratch.slotIDs)
            swap(&slotOffsets, &scratch.slotOffsets)
        }
        if slotIDs.count < room { slotIDs.append(contentsOf: repeatElement(0, count: room - slotIDs.count)) }
        if slotOffsets.count < room { slotOffsets.append(contentsOf: repeatElement(0..<0, count: room - slotOffsets.count)) }
        var written: Int? = nil
        var failure: TokkiError? = nil
        slotIDs.withUnsafeMutableBufferPointer { idBuffer in
            slotOffsets.withUnsafeMutableBufferPointer { offsetBuffer in
                guard let idBase = idBuffer.baseAddress, let offsetBase = offsetBuffer.baseAddress,
                      idBuffer.count >= room, offsetBuffer.count >= room else { return }
                var out = TokenSlots(ids: idBase, offsets: offsetBase, room: room)
                var emitter = CharacterOffsetEmitter(input: input, base: base, trim: trim, addPrefixSpace: addPrefixSpace, inBytes: inBytes)
                do throws(TokkiError) {
                    written = try writeTokens(input, base: base, model: bpe!, into: &out, emitter: &emitter, scratch: &scratch)
                } catch { failure = error }
            }
        }
        if let failure { throw failure }
        guard let written else { return false }
        slotIDs.withUnsafeBufferPointer { ids.append(contentsOf: $0[..<written]) }
        slotOffsets.withUnsafeBufferPointer { characterOffsets.append(contentsOf: $0[..<written]) }
        return true
    }

    /// The tokens of ``encodeFast(_:into:characterOffsets:scratch:wellFormed:inBytes:)``
    /// written into `out`: their count, or nil when the text needs the general path.
    private func writeTokens(_ input: UnsafeBufferPointer<UInt8>, base: UnsafePointer<UInt8>, model: borrowing BPEModel,
                             into out: inout TokenSlots, emitter: inout CharacterOffsetEmitter,
                             scratch: inout Scratch) throws(TokkiError) -> Int? {
        scratch.model.bind(pieceTables)
        let chain = splitChain ?? []
        let plainBytes = emitter.inBytes && !emitter.trim, n = input.count
        // The parts lists are the scratch's (no allocation per text), owned while in use.
        var rawParts: [(token: Int?, range: Range<Int>)] = [], normalizedParts: [(token: Int?, range: Range<Int>)] = []
        swap(&rawParts, &scratch.rawParts)
        swap(&normalizedParts, &scratch.normalizedParts)
        defer {
            swap(&rawParts, &scratch.rawParts)
            swap(&normalizedParts, &scratch.normalizedParts)
        }
        rawMatcher.split(input, into: &rawParts)
        for part in rawParts {
            if let t = part.token {
                guard out.put(Int32(rawMatcher.tokens[t].id), emitter.range(part.range, added: true, emitted: out.count)) else { return nil }
                continue
            }
            let segment = UnsafeBufferPointer(rebasing: input[part.range])
            if normalizer != nil && !leavesNormalized(segment) { return nil }
            normalizedMatcher.split(segment, into: &normalizedParts)
            for sub in normalizedParts {
                let start = part.range.lowerBound + sub.range.lowerBound
                if let t = sub.token {
                    guard out.put(Int32(normalizedMatcher.tokens[t].id), emitter.range(start..<(start + sub.range.count), added: true, emitted: out.count)) else { return nil }
                    continue
                }
                let piece = UnsafeBufferPointer(rebasing: segment[sub.range])
                if var cursor = pieceSplit?.pieceCursor(piece) {
                    // Each piece tokenized as the scanner finds it, and its tokens read straight
                    // from the shared word record on a hit. No closure: one capturing the model
                    // would copy the whole struct on every piece.
                    // The shared word table is larger than the cache, and a look-up waited for
                    // memory twice (the slot, then the record). Pieces are found two ahead: the
                    // slot of the second is prefetched, and the record of the first (its slot
                    // prefetched a piece ago), while this one is looked up.
                    var current = cursor.next(), ahead = cursor.next()
                    var currentHash: UInt32 = 0, aheadHash: UInt32 = 0
                    if let (s, e) = current { currentHash = PieceCache.hash(base + start + s, e - s) }
                    if let (s, e) = ahead {
                        aheadHash = PieceCache.hash(base + start + s, e - s)
                        scratch.model.cache.prefetch(aheadHash)
                    }
                    while let (pieceStart, pieceEnd) = current {
                        let h = currentHash
                        let further = cursor.next()
                        var furtherHash: UInt32 = 0
                        if let (s, e) = further {
                            furtherHash = PieceCache.hash(base + start + s, e - s)
                            scratch.model.cache.prefetch(furtherHash)
                        }
                        if ahead != nil { scratch.model.cache.prefetchRecord(aheadHash) }
                        current = ahead; currentHash = aheadHash
                        ahead = further; aheadHash = furtherHash
                        let at = start + pieceStart
                        if let r = model.tokenRecord(base + at, pieceEnd - pieceStart, hash: h, scratch: &scratch.model) {
                            let count = WordRecord.spanCount(r)
                            guard out.hasRoom(count) else { return nil }
                            if plainBytes {
                                // Byte offsets, untrimmed: each token's bytes widened to whole
                                // characters (a byte-level token can end inside one). Its start is
                                // inside the text and before its end, so the bounds are in it.
                                for k in 0..<count {
                                    let t = WordRecord.span(r, k, count: count)
                                    var s = at + Int(t.start), e = at + Int(t.end)
                                    assert(s >= 0 && s < e && e <= n)
                                    while s > 0 && base[s] & 0xC0 == 0x80 { s -= 1 }
                                    while e < n && base[e] & 0xC0 == 0x80 { e += 1 }
                                    out.putUnchecked(t.id, s..<e)
                                }
                                continue
                            }
                            for k in 0..<count {
                                let t = WordRecord.span(r, k, count: count)
                                out.putUnchecked(t.id, emitter.range((at + Int(t.start))..<(at + Int(t.end)), added: false, emitted: out.count))
                            }
                        } else {
                            guard out.hasRoom(scratch.model.missTokens.count) else { return nil }
                            for t in scratch.model.missTokens {
                                out.putUnchecked(t.id, emitter.range((at + Int(t.start))..<(at + Int(t.end)), added: false, emitted: out.count))
                            }
                        }
                    }
                    continue
                }
                var ranges: [Range<Int>] = []
                swap(&ranges, &scratch.ranges)
                defer { swap(&ranges, &scratch.ranges) }
                ranges.removeAll(keepingCapacity: true)
                ranges.append(0..<piece.count)
                var next: [Range<Int>] = []
                swap(&next, &scratch.splitRanges)
                defer { swap(&next, &scratch.splitRanges) }
                for splitter in chain {
                    next.removeAll(keepingCapacity: true)
                    for r in ranges { try splitter.split(UnsafeBufferPointer(rebasing: piece[r]), offset: r.lowerBound, appendingTo: &next) }
                    swap(&ranges, &next)
                }
                for r in ranges where !r.isEmpty {
                    scratch.tokens.removeAll(keepingCapacity: true)
                    model.tokenize(base + start + r.lowerBound, r.count, into: &scratch.tokens, scratch: &scratch.model)
                    let at = start + r.lowerBound
                    guard out.hasRoom(scratch.tokens.count) else { return nil }
                    for t in scratch.tokens {
                        out.putUnchecked(t.id, emitter.range((at + Int(t.start))..<(at + Int(t.end)), added: false, emitted: out.count))
                    }
                }
            }
        }
        return out.count
    }

    /// ``encodeIDs(_:into:scratch:addSpecialTokens:)``.
    public func encodeIDs(_ input: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], scratch: inout Scratch,
                          options: EncodeOptions) throws(TokkiError) {
        try options.check(.postProcessor)
        try encodeIDs(input, into: &ids, scratch: &scratch, addSpecialTokens: options.addSpecialTokens)
    }

    /// ``encodeBatch(_:pairs:addSpecialTokens:threads:)``: the batch is padded together.
    public func encodeBatch(_ texts: [String], options: EncodeOptions, threads: Int?) throws(TokkiError) -> [Encoding] {
        try options.check(.postProcessor)
        return try encodeBatch(texts, pairs: nil, addSpecialTokens: options.addSpecialTokens, threads: threads)
    }
}

/// Turns each token's byte range (into the input) into its character range as `encode`
/// gives it, right away: widened to whole characters, counted in characters, and trimmed of
/// spaces with a ByteLevel post-processor's `trim_offsets`. After widening, both ends are
/// character starts (or n), and a character start's index is the number of lead bytes before
/// it; one cursor walks the text (tokens come in order, so it moves forward but for the
/// widening). A struct with mutating methods rather than closures over local variables, so
/// that its state needs no run-time exclusivity checks.
struct CharacterOffsetEmitter {
    let input: UnsafeBufferPointer<UInt8>
    let base: UnsafePointer<UInt8>
    let n: Int
    let trim: Bool
    let addPrefixSpace: Bool
    /// Offsets in UTF-8 bytes of the input rather than in characters (see
    /// ``EncodeOptions/offsetsInBytes``): the same ranges, widened and trimmed alike.
    let inBytes: Bool
    var cursor = 0, leads = 0

    init(input: UnsafeBufferPointer<UInt8>, base: UnsafePointer<UInt8>, trim: Bool, addPrefixSpace: Bool, inBytes: Bool = false) {
        self.input = input
        self.base = base
        n = input.count
        self.trim = trim
        self.addPrefixSpace = addPrefixSpace
        self.inBytes = inBytes
    }

    /// The offset reported for byte `p` (a character start, or n): `p` itself in bytes, else
    /// its character index.
    @inline(__always)
    mutating func position(_ p: Int) -> Int { inBytes ? p : leadsBefore(p) }

    /// The number of characters before byte `p` (a character start, or n).
    @inline(__always)
    mutating func leadsBefore(_ p: Int) -> Int {
        if cursor < p {
            if p - cursor <= 16 {
                // A token's few bytes: counted here, without a call. A byte starts a
                // character unless it is 10xxxxxx.
                repeat {
                    leads &+= Int(truncatingIfNeeded: ((~base[cursor]) >> 7 | base[cursor] >> 6) & 1)
                    cursor += 1
                } while cursor < p
            } else {
                leads += UTF8Validation.scalarCount(base + cursor, p - cursor)
                cursor = p
            }
        }
        while cursor > p { cursor -= 1; if base[cursor] & 0xC0 != 0x80 { leads -= 1 } }
        return leads
    }

    /// The character range (or byte range, ``inBytes``) of the token covering bytes `o` (an
    /// added token's text is the input's); `emitted`: the tokens of this text before it.
    @inline(__always)
    mutating func range(_ o: Range<Int>, added: Bool, emitted: Int) -> Range<Int> {
        guard !trim else { return trimmedRange(o, added: added, emitted: emitted) }
        // Without trimming: the widened range, counted in characters.
        var s = o.lowerBound, e = o.upperBound
        while s > 0 && s < n && base[s] & 0xC0 == 0x80 { s -= 1 }
        while e < n && e > 0 && base[e] & 0xC0 == 0x80 { e += 1 }
        if s >= n { return s..<max(s, e) }
        let cs = position(s)
        let ce = position(min(e, n))
        return cs..<max(cs, ce)
    }

    /// ``range(_:added:emitted:)`` with a ByteLevel post-processor's `trim_offsets`.
    @inline(never)
    mutating func trimmedRange(_ o: Range<Int>, added: Bool, emitted: Int) -> Range<Int> {
        var s = o.lowerBound, e = o.upperBound
        while s > 0 && s < n && base[s] & 0xC0 == 0x80 { s -= 1 }
        while e < n && e > 0 && base[e] & 0xC0 == 0x80 { e += 1 }
        var range: Range<Int>
        if s >= n {
            range = s..<max(s, e)
        } else {
            let cs = position(s)
            let ce = position(min(e, n))
            range = cs..<max(cs, ce)
        }
        if trim {
            // `process_offsets` counts the space-like symbols (Ġ or white space) at the ends
            // of each token's text: for a byte-level token the only one is Ġ (byte 0x20);
            // an added token's text is the input's. `leading` and `trailing` count them; the
            // offsets move by as many characters, or (in bytes) by their UTF-8 lengths.
            var leading = 0, trailing = 0, leadingBytes = 0, trailingBytes = 0
            if added {
                let scalars = Array(String(decoding: UnsafeBufferPointer(rebasing: input[o]), as: UTF8.self).unicodeScalars)
                while leading < scalars.count && ByteLevelPostProcessor.isSpaceLike(scalars[leading]) {
                    leadingBytes += UTF8.width(scalars[leading]); leading += 1
                }
                while trailing < scalars.count && ByteLevelPostProcessor.isSpaceLike(scalars[scalars.count - 1 - trailing]) {
                    trailingBytes += UTF8.width(scalars[scalars.count - 1 - trailing]); trailing += 1
                }
            } else {
                var i = o.lowerBound
                while i < o.upperBound && base[i] == 0x20 { leading += 1; i += 1 }
                var j = o.upperBound
                while j > o.lowerBound && base[j - 1] == 0x20 { trailing += 1; j -= 1 }
                leadingBytes = leading; trailingBytes = trailing
            }
            if leading > 0 || trailing > 0 {
                if leading > 0, emitted == 0 || s == 0, addPrefixSpace, leading == 1 { leading = 0 }
                let lead = inBytes ? (leading > 0 ? leadingBytes : 0) : leading
                let trail = inBytes ? trailingBytes : trailing
                var (a, b) = (range.lowerBound, range.upperBound)
                if lead > 0 { a = min(a + lead, b) }
                if trail > 0 && b >= trail { b = max(b - trail, a) }
                range = a..<b
            }
        }
        return range
    }
}

/// Slots for the tokens of one text: ids and offsets written through pointers, for the
/// fast path of ``HuggingFaceTokenizer/encodeIDs(_:into:characterOffsets:scratch:options:)``.
/// Invariant: `ids` and `offsets` each point at `room` writable elements, and `count <= room`.
struct TokenSlots {
    let ids: UnsafeMutablePointer<Int32>
    let offsets: UnsafeMutablePointer<Range<Int>>
    let room: Int
    private(set) var count = 0

    init(ids: UnsafeMutablePointer<Int32>, offsets: UnsafeMutablePointer<Range<Int>>, room: Int) {
        self.ids = ids
        self.offsets = offsets
        self.room = room
    }

    /// Whether `k` more tokens fit.
    @inline(__always)
    func hasRoom(_ k: Int) -> Bool { k <= room - count }

    /// Writes one token if it fits; false when the slots are full.
    @inline(__always)
    mutating func put(_ id: Int32, _ range: Range<Int>) -> Bool {
        guard count < room else { return false }
        putUnchecked(id, range)
        return true
    }

    /// Writes one token; the caller checked ``hasRoom(_:)``.
    @inline(__always)
    mutating func putUnchecked(_ id: Int32, _ range: Range<Int>) {
        assert(count >= 0 && count < room, "token slot \(count) out of \(room)")
        ids[count] = id
        offsets[count] = range
        count += 1
    }
}
