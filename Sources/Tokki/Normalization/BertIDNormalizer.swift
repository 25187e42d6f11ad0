/// ``BertNormalizer`` for the ids-only path: the same bytes as its
/// ``BertNormalizer/normalize(utf8:)`` in one pass over the UTF-8, without alignment.
///
/// Each character goes through `tokenizers`' steps in order — clean text, padding of CJK
/// ideographs, NFD with Mn removed, lowercase — on its own: ASCII through a byte table,
/// Hangul syllables decomposed arithmetically, other characters through ICU's per-character
/// decomposition. This is exact because NFD never composes: it only decomposes each character
/// and then reorders runs of non-starters, and once every Mn is removed no reordered
/// character is left. Text with a non-starter that stays (a spacing combining mark with a
/// non-zero combining class, rare) takes the general normalizer instead.
struct BertIDNormalizer: Sendable {
    /// The normalizer (its options, and the general path).
    let normalizer: BertNormalizer
    let clean: Bool
    let chinese: Bool
    let strip: Bool
    let lower: Bool
    /// For each ASCII byte, the byte it becomes, or 0xFF when it is removed.
    let ascii: [UInt8]
    /// The output is first sized to `initialFactor` bytes per input byte (plus the headroom);
    /// 3 fits Hangul syllables, the largest common growth (tests lower it to reach the
    /// resizing).
    let initialFactor: Int

    /// Headroom checked before each non-ASCII character: more than any one character can
    /// write (two pad spaces and at most `maxDecomposition` code points of up to 3 lowercase
    /// code points of 4 bytes each).
    static let headroom = 512
    /// The longest decomposition taken from ICU (NFD's longest is 4 code points).
    static let maxDecomposition = 32

    init(_ n: BertNormalizer, initialFactor: Int = 3) {
        normalizer = n
        self.initialFactor = initialFactor
        clean = n.cleanText
        chinese = n.handleChineseCharacters
        strip = n.stripAccents ?? n.lowercase
        lower = n.lowercase
        var table = [UInt8](repeating: 0, count: 128)
        for b in 0..<128 {
            var out = UInt8(b)
            if n.cleanText {
                if b == 0x09 || b == 0x0A || b == 0x0D { out = 0x20 }
                else if b < 0x20 || b == 0x7F { out = 0xFF }   // U+0000 and the other Cc
            }
            if n.lowercase && b >= 0x41 && b <= 0x5A { out = UInt8(b + 0x20) }
            table[b] = out
        }
        ascii = table
    }

    /// Writes the normalized bytes of well-formed UTF-8 `text` to `out` (replacing its
    /// contents).
    func normalize(_ text: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) throws(TokkiError) {
        out.removeAll(keepingCapacity: true)
        guard let src = text.baseAddress, text.count > 0 else { return }
        let n = text.count
        var i = 0, w = 0
        var general = false
        // Room for every remaining byte as ASCII plus the headroom of one character, checked
        // before each non-ASCII character; Hangul (3 bytes to 9) fits in the first sizing.
        var size = initialFactor * n + Self.headroom
        while i < n && !general {
            if out.count < size { out.append(contentsOf: repeatElement(0, count: size - out.count)) }
            ascii.withUnsafeBufferPointer { table in
                out.withUnsafeMutableBufferPointer { o in
                    general = !run(src, n, &i, o.baseAddress!, o.count, &w, table.baseAddress!)
                }
            }
            size = 2 * out.count
        }
        if general {
            out.removeAll(keepingCapacity: true)
            out.append(contentsOf: try normalizer.normalize(utf8: text).normalized)
            return
        }
        out.removeLast(out.count - w)
    }

    /// Normalizes `src[i..<n]` into `dst[w...]` until the end or until `dst` is short of
    /// room (then `i` is a character start to resume from). False when the text needs the
    /// general normalizer.
    @inline(__always)
    private func run(_ src: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int, _ dst: UnsafeMutablePointer<UInt8>, _ cap: Int,
                     _ w: inout Int, _ table: UnsafePointer<UInt8>) -> Bool {
        while i < n {
            let b = src[i]
            if b < 0x80 {
                let m = table[Int(b)]
                if m != 0xFF {
                    assert(w < cap)
                    dst[w] = m
                    w += 1
                }
                i += 1
                continue
            }
            // Every remaining byte as one ASCII byte, plus this character's worst case.
            if cap - w < (n - i) + Self.headroom { return true }
            let (v, len) = decodeScalar(src, i, n)
            i += len
            if v >= 0xAC00 && v <= 0xD7A3 {
                // A Hangul syllable: a letter (Lo), never padded or lowercased; NFD makes it
                // conjoining jamo (Lo, kept).
                if strip {
                    let s = v - 0xAC00
                    Self.put(0x1100 + s / 588, dst, &w, cap)
                    Self.put(0x1161 + (s % 588) / 28, dst, &w, cap)
                    if s % 28 != 0 { Self.put(0x11A7 + s % 28, dst, &w, cap) }
                } else {
                    assert(w + len <= cap)
                    for k in 0..<len { dst[w + k] = src[i - len + k] }
                    w += len
                }
                continue
            }
            if clean {
                if v == 0xFFFD { continue }
                if BertNormalizer.cleanTextRemoves(v) { continue }
                if ICU.isWhiteSpace(v) {
                    assert(w < cap)
                    dst[w] = 0x20
                    w += 1
                    continue
                }
            }
            let pad = chinese && BertNormalizer.isChinese(v)
            if pad { assert(w < cap); dst[w] = 0x20; w += 1 }
            if strip {
                let ok = withUnsafeTemporaryAllocation(of: UInt32.self, capacity: Self.maxDecomposition) { buffer -> Bool in
                    let d = buffer.baseAddress!
                    let count = normalizer.nfd.handle.decomposition(v, into: d, capacity: buffer.count)
                    if count < 0 { return false }
                    if count == 0 { return emitStripped(v, dst, &w, cap) }
                    assert(count <= buffer.count)
                    for k in 0..<count where !emitStripped(d[k], dst, &w, cap) { return false }
                    return true
                }
                if !ok { return false }
            } else {
                emitLowercased(v, dst, &w, cap)
            }
            if pad { assert(w < cap); dst[w] = 0x20; w += 1 }
        }
        return true
    }

    /// One code point of an NFD decomposition: removed when Mn, else lowercased. False for
    /// a non-starter that stays (its place would depend on canonical reordering).
    @inline(__always)
    private func emitStripped(_ v: UInt32, _ dst: UnsafeMutablePointer<UInt8>, _ w: inout Int, _ cap: Int) -> Bool {
        if v < 0x80 {
            assert(w < cap)
            dst[w] = lower && v >= 0x41 && v <= 0x5A ? UInt8(v + 0x20) : UInt8(v)
            w += 1
            return true
        }
        if v >= 0x300 && ICU.category(v) == 6 { return true }   // Mn
        if ICU.combiningClass(v) != 0 { return false }
        emitLowercased(v, dst, &w, cap)
        return true
    }

    /// Writes `v`, lowercased when asked (Unicode full lowercase mapping).
    @inline(__always)
    private func emitLowercased(_ v: UInt32, _ dst: UnsafeMutablePointer<UInt8>, _ w: inout Int, _ cap: Int) {
        guard lower else { Self.put(v, dst, &w, cap); return }
        if v < 0x80 {
            assert(w < cap)
            dst[w] = v >= 0x41 && v <= 0x5A ? UInt8(v + 0x20) : UInt8(v)
            w += 1
            return
        }
        if v < 0x10000 {
            if Lowercase.bmpChanges[Int(v >> 6)] & (1 << UInt64(v & 63)) == 0 { Self.put(v, dst, &w, cap); return }
            let simple = Lowercase.bmpSimpleLowercase[Int(v)]
            if simple != 0 { Self.put(UInt32(simple), dst, &w, cap); return }
        }
        guard let scalar = Unicode.Scalar(v), scalar.properties.changesWhenLowercased else {
            Self.put(v, dst, &w, cap)
            return
        }
        for s in scalar.properties.lowercaseMapping.unicodeScalars { Self.put(s.value, dst, &w, cap) }
    }

    /// Writes the UTF-8 of `v` at `dst[w...]`.
    @inline(__always)
    static func put(_ v: UInt32, _ dst: UnsafeMutablePointer<UInt8>, _ w: inout Int, _ cap: Int) {
        if v < 0x80 {
            assert(w + 1 <= cap)
            dst[w] = UInt8(v)
            w += 1
        } else if v < 0x800 {
            assert(w + 2 <= cap)
            dst[w] = UInt8(0xC0 | (v >> 6))
            dst[w + 1] = UInt8(0x80 | (v & 0x3F))
            w += 2
        } else if v < 0x10000 {
            assert(w + 3 <= cap)
            dst[w] = UInt8(0xE0 | (v >> 12))
            dst[w + 1] = UInt8(0x80 | ((v >> 6) & 0x3F))
            dst[w + 2] = UInt8(0x80 | (v & 0x3F))
            w += 3
        } else {
            assert(w + 4 <= cap)
            dst[w] = UInt8(0xF0 | (v >> 18))
            dst[w + 1] = UInt8(0x80 | ((v >> 12) & 0x3F))
            dst[w + 2] = UInt8(0x80 | ((v >> 6) & 0x3F))
            dst[w + 3] = UInt8(0x80 | (v & 0x3F))
            w += 4
        }
    }
}
