/// Normalization exactly as SentencePiece performs it for a model.
///
/// Per step it takes the longest user-defined symbol at the cursor (kept verbatim), else
/// the longest charsmap rule over the raw bytes, else one UTF-8 character (a malformed
/// byte becomes U+FFFD). Around that it applies `remove_extra_whitespaces`,
/// `add_dummy_prefix` (or the suffix form) and `escape_whitespaces` (`▁`), and keeps for
/// every output byte the input offset it came from.
public struct SentencePieceNormalizer: Normalizer {
    /// The model's normalizer settings.
    public let settings: SentencePieceModel.NormalizerSettings
    /// Put the dummy `▁` at the end instead of the start.
    public let treatWhitespaceAsSuffix: Bool
    let charsmap: PrecompiledCharsmap?
    let userDefined: DoubleArrayTrie?
    /// `startsUserDefined[b]`: whether some user-defined symbol starts with byte `b` (the
    /// trie is walked only then).
    let startsUserDefined: [Bool]
    /// Whether a line without a literal `▁` normalizes to the concatenation of its
    /// space-separated raw words normalized one by one (each then starts with `▁`).
    ///
    /// True when extra whitespace is removed, a dummy `▁` prefix is added and spaces are
    /// escaped, and no charsmap rule or user-defined symbol contains a space (so every match
    /// stays inside one raw word) and no rule produces `▁`: the spaces between words then
    /// become the one `▁` that starts the next word's normalized form, which is what the word
    /// alone normalizes to (trailing spaces dropped). A literal `▁` breaks it: at a word's
    /// end it would be stripped as trailing whitespace from the word alone.
    public let normalizesWordsIndependently: Bool

    /// Creates the normalizer of a model's `NormalizerSpec`.
    ///
    /// - Parameters:
    ///   - settings: the model's normalizer settings (charsmap, dummy prefix, whitespace
    ///     handling).
    ///   - treatWhitespaceAsSuffix: put the dummy `▁` at the end instead of the start.
    ///   - userDefinedSymbols: symbols matched before any rule and kept verbatim.
    ///   - path: the model file, named in errors.
    public init(settings: SentencePieceModel.NormalizerSettings, treatWhitespaceAsSuffix: Bool = false,
                userDefinedSymbols: [String] = [], path: String? = nil) throws(TokkiError) {
        self.settings = settings
        self.treatWhitespaceAsSuffix = treatWhitespaceAsSuffix
        charsmap = settings.precompiledCharsmap.isEmpty ? nil : try PrecompiledCharsmap(settings.precompiledCharsmap, path: path)
        let symbols = Array(Set(userDefinedSymbols.map { Array($0.utf8) }.filter { !$0.isEmpty && !$0.contains(0) }))
        normalizesWordsIndependently = settings.removeExtraWhitespaces && settings.addDummyPrefix && settings.escapeWhitespaces
            && !treatWhitespaceAsSuffix && !symbols.contains { $0.contains(0x20) }
            && !(charsmap?.trie.mayContain(0x20) ?? false) && !(charsmap?.replacementsContain([0xE2, 0x96, 0x81]) ?? false)
        if symbols.isEmpty {
            userDefined = nil
            startsUserDefined = [Bool](repeating: false, count: 256)
        } else {
            do {
                let trie = try DoubleArrayTrie(keys: symbols, values: symbols.map(\.count))
                userDefined = trie
                startsUserDefined = trie.startBytes
            } catch {
                throw .invalidModel(path: path, problem: "cannot index the user-defined symbols: \(error)")
            }
        }
    }

    /// The normalizer of `model`.
    public init(model: SentencePieceModel) throws(TokkiError) {
        try self.init(settings: model.normalizer, treatWhitespaceAsSuffix: model.treatWhitespaceAsSuffix,
                      userDefinedSymbols: model.userDefinedPieces, path: model.path)
    }

    /// Output of one normalization: bytes and, per output byte plus one, the input offset.
    public struct Output: Sendable {
        /// The normalized UTF-8 bytes.
        public var bytes: [UInt8] = []
        /// `normToOrig[i]` is the input offset of output byte `i`; the extra last entry is
        /// the input offset where the normalized text ends (as SentencePiece's `norm_to_orig`).
        public var normToOrig: [Int32] = []
        /// Whether `normToOrig` is filled (the ids-only path turns it off).
        public var tracksOffsets = true
        /// Working buffers, grown (and zero-filled) only when a longer input arrives.
        var workBytes: [UInt8] = []
        var workMap: [Int32] = []
        /// Creates an empty output buffer.
        public init() {}
    }

    /// Byte length of the well-formed character at `i`, or nil if malformed (SentencePiece's
    /// `IsValidDecodeUTF8`).
    @inline(__always)
    static func validCharLength(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int? {
        let b0 = p[i]
        if b0 < 0x80 { return 1 }
        let rest = n - i
        if b0 & 0xE0 == 0xC0 {
            guard rest >= 2, p[i + 1] & 0xC0 == 0x80, b0 >= 0xC2 else { return nil }
            return 2
        }
        if b0 & 0xF0 == 0xE0 {
            guard rest >= 3, p[i + 1] & 0xC0 == 0x80, p[i + 2] & 0xC0 == 0x80 else { return nil }
            let cp = (UInt32(b0 & 0x0F) << 12) | (UInt32(p[i + 1] & 0x3F) << 6) | UInt32(p[i + 2] & 0x3F)
            guard cp >= 0x800, cp < 0xD800 || cp >= 0xE000 else { return nil }
            return 3
        }
        if b0 & 0xF8 == 0xF0 {
            guard rest >= 4, p[i + 1] & 0xC0 == 0x80, p[i + 2] & 0xC0 == 0x80, p[i + 3] & 0xC0 == 0x80 else { return nil }
            let cp = (UInt32(b0 & 0x07) << 18) | (UInt32(p[i + 1] & 0x3F) << 12) | (UInt32(p[i + 2] & 0x3F) << 6) | UInt32(p[i + 3] & 0x3F)
            guard cp >= 0x10000, cp <= 0x10FFFF else { return nil }
            return 4
        }
        return nil
    }

    private enum Chunk {
        case input(Int)            // copy `length` input bytes
        case rule(Range<Int>)      // a replacement string in the charsmap blob
        case replacementCharacter  // U+FFFD for one malformed byte
    }

    /// One `NormalizePrefix` step at `i`: what to write and how many input bytes it consumes.
    @inline(__always)
    private func prefix(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> (Chunk, Int) {
        if let userDefined, startsUserDefined[Int(p[i])], let m = userDefined.longestPrefix(of: p, from: i, to: n) {
            return (.input(m.length), m.length)
        }
        if let charsmap, charsmap.startsRule[Int(p[i])],
           let m = charsmap.trie.longestPrefix(of: p, from: i, to: n) {
            return (.rule(charsmap.replacement(m.value)), m.length)
        }
        guard let len = Self.validCharLength(p, i, n) else { return (.replacementCharacter, 1) }
        return (.input(len), len)
    }

    private static let space: [UInt8] = [0xE2, 0x96, 0x81]
    private static let fffd: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// Normalizes `input` into `output` (its buffers are reused).
    public func normalize(_ input: UnsafeBufferPointer<UInt8>, into output: inout Output) {
        var capacity = input.count + input.count / 2 + 16
        while !normalize(input, into: &output, capacity: capacity) { capacity *= 2 }
    }

    /// One attempt with output buffers of `capacity` bytes; false when they were too small.
    private func normalize(_ input: UnsafeBufferPointer<UInt8>, into output: inout Output, capacity: Int) -> Bool {
        output.bytes.removeAll(keepingCapacity: true)
        output.normToOrig.removeAll(keepingCapacity: true)
        guard let p = input.baseAddress, input.count > 0 else { return true }
        let n = input.count
        let removeExtra = settings.removeExtraWhitespaces
        let escape = settings.escapeWhitespaces
        let blobArray = charsmap?.replacements ?? []
        var i = 0
        var consumed = 0

        if removeExtra {
            while i < n {
                let (c, len) = prefix(p, i, n)
                let single: Bool
                switch c {
                case .input(let l): single = l == 1 && p[i] == 0x20
                case .rule(let r): single = r.count == 1 && blobArray[r.lowerBound] == 0x20
                case .replacementCharacter: single = false
                }
                guard single else { break }
                i += len; consumed += len
            }
        }
        if i >= n { return true }

        // Every byte up to `length` is written before it is read, so the working buffers need
        // no clearing; they only grow.
        if output.workBytes.count < capacity { output.workBytes.append(contentsOf: repeatElement(0, count: capacity - output.workBytes.count)) }
        if output.workMap.count < capacity + 1 { output.workMap.append(contentsOf: repeatElement(0, count: capacity + 1 - output.workMap.count)) }
        var length = 0
        var fits = true
        let userDefined = self.userDefined
        let charsmap = self.charsmap
        let suffix = treatWhitespaceAsSuffix
        let addDummy = settings.addDummyPrefix
        output.workBytes.withUnsafeMutableBufferPointer { ob in
        output.workMap.withUnsafeMutableBufferPointer { mb in
        blobArray.withUnsafeBufferPointer { blob in
        startsUserDefined.withUnsafeBufferPointer { startsUser in
            var w = Writer(out: ob.baseAddress!, map: mb.baseAddress!, capacity: capacity, escape: escape, isPrevSpace: removeExtra)
            if !suffix && addDummy { w.addSpace(Int32(consumed)) }
            let fffd: [UInt8] = [0xEF, 0xBF, 0xBD]
            let tracks = output.tracksOffsets
            // Without offsets or whitespace removal, a run of characters that start no
            // user-defined symbol and no charsmap rule, and are no space, is copied as it is
            // (well-formed UTF-8 only) in one tight loop.
            let plainRuns = !tracks && !removeExtra
            while i < n {
                if plainRuns {
                    // Copied one for one: the run stops where the buffer's 3-byte reserve begins.
                    let limit = min(n, i + (capacity - 3 - w.length))
                    var o = w.length, k = i
                    while k < limit {
                        let b = p[k]
                        if b == 0x20 || startsUser[Int(b)] { break }
                        if let charsmap, charsmap.mayStartRule(p, k, n) { break }
                        if b < 0x80 {
                            assert(o < capacity - 3)
                            w.out[o] = b; o += 1; k += 1
                            continue
                        }
                        guard let l = Self.validCharLength(p, k, n), k + l <= limit else { break }
                        assert(o + l <= capacity - 3)
                        for j in 0..<l { w.out[o + j] = p[k + j] }
                        o += l; k += l
                    }
                    if k > i {
                        w.length = o
                        w.isPrevSpace = false
                        consumed += k - i
                        i = k
                        continue
                    }
                }
                let at = Int32(consumed)
                var len = 0
                var ok = true
                let b0 = p[i]
                if let userDefined, startsUser[Int(b0)], let m = userDefined.longestPrefix(of: p, from: i, to: n) {
                    len = m.length
                    ok = w.emit(p + i, len, at)
                } else if let charsmap, charsmap.mayStartRule(p, i, n),
                          let m = charsmap.trie.longestPrefix(of: p, from: i, to: n) {
                    len = m.length
                    let r = charsmap.replacement(m.value)
                    if !r.isEmpty { ok = w.emit(blob.baseAddress! + r.lowerBound, r.count, at) }
                } else if b0 < 0x80 {
                    len = 1
                    if b0 == 0x20 || w.isPrevSpace || w.length + 3 > capacity - 3 {
                        ok = w.emit(p + i, 1, at)
                    } else {
                        w.out[w.length] = b0; w.map[w.length] = at; w.length += 1
                    }
                } else if let l = Self.validCharLength(p, i, n) {
                    len = l
                    if w.length + l > capacity - 3 { ok = false } else {
                        for k in 0..<l { w.out[w.length + k] = p[i + k] }
                        if tracks { for k in 0..<l { w.map[w.length + k] = at } }
                        w.length += l
                        w.isPrevSpace = false
                    }
                } else {
                    len = 1
                    ok = fffd.withUnsafeBufferPointer { w.emit($0.baseAddress!, 3, at) }
                }
                if !ok { fits = false; return }
                consumed += len
                i += len
                if !removeExtra { w.isPrevSpace = false }
            }
            if removeExtra {
                let spaceLength = escape ? 3 : 1
                while w.length >= spaceLength {
                    let endsWithSpace = escape
                        ? (w.out[w.length - 3] == 0xE2 && w.out[w.length - 2] == 0x96 && w.out[w.length - 1] == 0x81)
                        : w.out[w.length - 1] == 0x20
                    guard endsWithSpace else { break }
                    w.length -= spaceLength
                    consumed = Int(w.map[w.length])
                }
            }
            if suffix && addDummy { w.addSpace(Int32(consumed)) }
            w.map[w.length] = Int32(consumed)
            length = w.length
        }}}}
        guard fits else { return false }
        output.workBytes.withUnsafeBufferPointer { output.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<length])) }
        if output.tracksOffsets {
            output.workMap.withUnsafeBufferPointer { output.normToOrig.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0...length])) }
        }
        return true
    }

    /// Writes normalized bytes and their input offsets into preallocated buffers.
    private struct Writer {
        let out: UnsafeMutablePointer<UInt8>
        let map: UnsafeMutablePointer<Int32>
        let capacity: Int
        let escape: Bool
        var isPrevSpace: Bool
        var length = 0

        init(out: UnsafeMutablePointer<UInt8>, map: UnsafeMutablePointer<Int32>, capacity: Int, escape: Bool, isPrevSpace: Bool) {
            self.out = out; self.map = map; self.capacity = capacity; self.escape = escape; self.isPrevSpace = isPrevSpace
        }

        @inline(__always)
        mutating func addSpace(_ at: Int32) {
            if escape {
                out[length] = 0xE2; out[length + 1] = 0x96; out[length + 2] = 0x81
                map[length] = at; map[length + 1] = at; map[length + 2] = at
                length += 3
            } else {
                out[length] = 0x20; map[length] = at; length += 1
            }
        }

        /// Writes `count` bytes from `src`, dropping leading spaces after a space; false
        /// when the buffers are too small.
        @inline(__always)
        mutating func emit(_ src: UnsafePointer<UInt8>, _ count: Int, _ at: Int32) -> Bool {
            var s = 0
            if isPrevSpace { while s < count && src[s] == 0x20 { s += 1 } }
            if s >= count { return true }
            if length + 3 * (count - s) > capacity - 3 { return false }
            for k in s..<count {
                let b = src[k]
                if escape && b == 0x20 {
                    out[length] = 0xE2; out[length + 1] = 0x96; out[length + 2] = 0x81
                    map[length] = at; map[length + 1] = at; map[length + 2] = at
                    length += 3
                } else {
                    out[length] = b; map[length] = at; length += 1
                }
            }
            isPrevSpace = src[count - 1] == 0x20
            return true
        }
    }

    /// Normalizes well-formed UTF-8; the alignment maps each output byte to the input span
    /// SentencePiece attributes it to.
    public func normalize(utf8 input: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> NormalizedText {
        var out = Output()
        normalize(input, into: &out)
        return Self.normalizedText(input: Array(input), output: out)
    }

    /// Converts a `norm_to_orig` map into a ``NormalizedText``: runs of output bytes that
    /// share an input offset form one edit covering the input up to the next offset.
    static func normalizedText(input: [UInt8], output: Output) -> NormalizedText {
        let bytes = output.bytes
        let map = output.normToOrig
        var edits: [NormalizedText.Edit] = []
        var o = 0  // output position
        var inPos = 0
        while o < bytes.count {
            let key = Int(map[o])
            var e = o + 1
            while e < bytes.count && Int(map[e]) == key { e += 1 }
            let start = max(key, inPos)
            let nextIn = max(start, e < bytes.count ? Int(map[e]) : input.count)
            // Input skipped before this chunk (removed spaces) is a deletion.
            if start > inPos {
                edits.append(.init(originalStart: inPos, originalLength: start - inPos, normalizedStart: o, normalizedLength: 0))
                inPos = start
            }
            let inLen = max(0, nextIn - start)
            let same = inLen == e - o && Array(input[start..<(start + inLen)]) == Array(bytes[o..<e])
            if !same {
                edits.append(.init(originalStart: start, originalLength: inLen, normalizedStart: o, normalizedLength: e - o))
            }
            inPos = start + inLen
            o = e
        }
        if inPos < input.count {
            edits.append(.init(originalStart: inPos, originalLength: input.count - inPos, normalizedStart: bytes.count, normalizedLength: 0))
        }
        return NormalizedText(original: input, normalized: bytes, edits: edits)
    }
}
