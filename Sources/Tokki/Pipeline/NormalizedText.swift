/// Normalized UTF-8 together with an exact alignment back to the original input.
///
/// Every byte of ``normalized`` maps to the byte range of ``original`` it came from.
/// Bytes that a normalizer copied map one-to-one; bytes it produced by a replacement
/// (a composition, an expansion such as `㈜` → `(주)`, a fold) map to the whole range of
/// input bytes that was replaced. Deleted input bytes produce no output byte but are still
/// recorded, so ranges that span them map back over them.
///
/// ```swift
/// let text = try KoreanNormalizer().normalizedText("Ａ①")
/// text.string                              // "A①"
/// text.originalRange(ofNormalizedByte: 0)  // 0..<3  (the fullwidth Ａ)
/// ```
///
/// Internally the alignment is a sorted list of ``Edit``s (like ICU's `Edits`), so text
/// that a normalizer leaves unchanged costs no alignment memory at all.
public struct NormalizedText: Sendable, Equatable {
    /// One replaced span: `originalLength` input bytes starting at `originalStart` became
    /// `normalizedLength` output bytes starting at `normalizedStart`.
    public struct Edit: Sendable, Equatable, Hashable {
        /// First replaced byte in the original input.
        public var originalStart: Int
        /// Number of replaced input bytes (0 for a pure insertion).
        public var originalLength: Int
        /// First produced byte in the normalized output.
        public var normalizedStart: Int
        /// Number of produced bytes (0 for a deletion).
        public var normalizedLength: Int

        /// Creates an edit.
        public init(originalStart: Int, originalLength: Int, normalizedStart: Int, normalizedLength: Int) {
            self.originalStart = originalStart
            self.originalLength = originalLength
            self.normalizedStart = normalizedStart
            self.normalizedLength = normalizedLength
        }

        /// The replaced range of the original input.
        public var originalRange: Range<Int> { originalStart..<(originalStart + originalLength) }
        /// The produced range of the normalized output.
        public var normalizedRange: Range<Int> { normalizedStart..<(normalizedStart + normalizedLength) }
    }

    /// The input, as UTF-8 bytes.
    public let original: [UInt8]
    /// The normalized output, as UTF-8 bytes.
    public let normalized: [UInt8]
    /// The replaced spans, sorted by position; bytes outside them were copied unchanged.
    public let edits: [Edit]

    /// Creates a text from its parts. `edits` must be sorted, non-overlapping and consistent
    /// with the two byte arrays (unchanged stretches between edits have equal lengths).
    public init(original: [UInt8], normalized: [UInt8], edits: [Edit]) {
        self.original = original
        self.normalized = normalized
        self.edits = edits
    }

    /// An unchanged text: the normalized bytes equal the input.
    public init(unchanged bytes: [UInt8]) {
        self.init(original: bytes, normalized: bytes, edits: [])
    }

    /// An unchanged text made from a string.
    public init(_ string: String) {
        self.init(unchanged: Array(string.utf8))
    }

    /// The normalized output as a string.
    public var string: String { String(decoding: normalized, as: UTF8.self) }

    /// The original input as a string.
    public var originalString: String { String(decoding: original, as: UTF8.self) }

    /// Whether normalization changed anything.
    public var isChanged: Bool { !edits.isEmpty }

    /// Index of the last edit whose `normalizedStart <= position`, or -1.
    @inline(__always)
    private func lastEdit(startingAtOrBefore position: Int) -> Int {
        var lo = 0, hi = edits.count  // first index with normalizedStart > position
        while lo < hi {
            let mid = (lo + hi) >> 1
            if edits[mid].normalizedStart <= position { lo = mid + 1 } else { hi = mid }
        }
        return lo - 1
    }

    /// The byte range of the original input that normalized byte `index` came from.
    ///
    /// - Precondition: `0 <= index < normalized.count`.
    public func originalRange(ofNormalizedByte index: Int) -> Range<Int> {
        precondition(index >= 0 && index < normalized.count, "normalized byte index out of range")
        let k = lastEdit(startingAtOrBefore: index)
        if k < 0 { return index..<(index + 1) }
        let e = edits[k]
        let normEnd = e.normalizedStart + e.normalizedLength
        if index < normEnd { return e.originalRange }
        let o = index - normEnd + e.originalStart + e.originalLength
        return o..<(o + 1)
    }

    /// The original position that corresponds to the boundary *before* normalized byte
    /// `position` (`0...normalized.count`).
    public func originalPosition(ofNormalizedBoundary position: Int) -> Int {
        precondition(position >= 0 && position <= normalized.count, "position out of range")
        if position == normalized.count { return original.count }
        return originalRange(ofNormalizedByte: position).lowerBound
    }

    /// The smallest range of the original input that covers everything normalized `range`
    /// came from. An empty `range` maps to an empty range at the matching position.
    public func originalRange(forNormalized range: Range<Int>) -> Range<Int> {
        if range.isEmpty {
            let p = originalPosition(ofNormalizedBoundary: range.lowerBound)
            return p..<p
        }
        let lo = originalRange(ofNormalizedByte: range.lowerBound).lowerBound
        let hi = originalRange(ofNormalizedByte: range.upperBound - 1).upperBound
        return lo..<hi
    }

    /// The per-byte alignment: element `i` is the original range of normalized byte `i`.
    /// Allocates one range per byte; meant for tests and diagnostics, not hot paths.
    public var alignment: [Range<Int>] {
        (0..<normalized.count).map { originalRange(ofNormalizedByte: $0) }
    }

    /// Chains a further normalization: `next` normalized this text's ``normalized`` bytes.
    /// The result maps straight from this text's ``original`` to `next`'s output.
    public func followed(by next: NormalizedText) -> NormalizedText {
        precondition(next.original.count == normalized.count, "next stage must start from this output")
        if next.edits.isEmpty {
            return NormalizedText(original: original, normalized: next.normalized, edits: edits)
        }
        if edits.isEmpty {
            return NormalizedText(original: original, normalized: next.normalized, edits: next.edits)
        }
        return NormalizedText(original: original, normalized: next.normalized,
                              edits: Self.compose(edits, next.edits))
    }

    /// Composes edits A (original→middle) with edits B (middle→output).
    static func compose(_ a: [Edit], _ b: [Edit]) -> [Edit] {
        // Both lists are in "middle" coordinates: A by normalized range, B by original range.
        // Overlapping edits are merged into one group; the rest carry over with shifted indices.
        @inline(__always) func overlaps(_ s: Int, _ e: Int, _ lo: Int, _ hi: Int) -> Bool {
            if s == e && lo == hi { return s == lo }  // a deletion meets an insertion: a replacement
            if s == e { return lo < s && s < hi }
            if lo == hi { return s < lo && lo < e }
            return s < hi && e > lo
        }
        var result: [Edit] = []
        result.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        var dA = 0  // middle - original, for middle positions after the processed A edits
        var dB = 0  // output - middle, after the processed B edits
        while i < a.count || j < b.count {
            let aStart = i < a.count ? a[i].normalizedStart : Int.max
            let bStart = j < b.count ? b[j].originalStart : Int.max
            var lo: Int, hi: Int
            var firstA: Edit? = nil, lastA: Edit? = nil, firstB: Edit? = nil, lastB: Edit? = nil
            let dABefore = dA, dBBefore = dB
            // Seed the group with the edit that starts first. On a tie A goes first, unless
            // B is a pure insertion, whose output precedes whatever A produced there.
            let bIsInsertion = j < b.count && b[j].originalLength == 0
            if aStart < bStart || (aStart == bStart && !bIsInsertion) {
                let e = a[i]; i += 1
                lo = e.normalizedStart; hi = e.normalizedStart + e.normalizedLength
                firstA = e; lastA = e
                dA += e.normalizedLength - e.originalLength
            } else {
                let e = b[j]; j += 1
                lo = e.originalStart; hi = e.originalStart + e.originalLength
                firstB = e; lastB = e
                dB += e.normalizedLength - e.originalLength
            }
            // Absorb everything that overlaps the growing group.
            var grew = true
            while grew {
                grew = false
                while i < a.count {
                    let e = a[i]
                    let s = e.normalizedStart, t = s + e.normalizedLength
                    guard overlaps(s, t, lo, hi) else { break }
                    if firstA == nil { firstA = e }
                    lastA = e
                    lo = min(lo, s); hi = max(hi, t)
                    dA += e.normalizedLength - e.originalLength
                    i += 1; grew = true
                }
                while j < b.count {
                    let e = b[j]
                    let s = e.originalStart, t = s + e.originalLength
                    guard overlaps(s, t, lo, hi) else { break }
                    if firstB == nil { firstB = e }
                    lastB = e
                    lo = min(lo, s); hi = max(hi, t)
                    dB += e.normalizedLength - e.originalLength
                    j += 1; grew = true
                }
            }
            let origLo = (firstA.map { $0.normalizedStart == lo } ?? false) ? firstA!.originalStart : lo - dABefore
            let origHi = (lastA.map { $0.normalizedStart + $0.normalizedLength == hi } ?? false)
                ? lastA!.originalStart + lastA!.originalLength : hi - dA
            let outLo = (firstB.map { $0.originalStart == lo } ?? false) ? firstB!.normalizedStart : lo + dBBefore
            let outHi = (lastB.map { $0.originalStart + $0.originalLength == hi } ?? false)
                ? lastB!.normalizedStart + lastB!.normalizedLength : hi + dB
            result.append(Edit(originalStart: origLo, originalLength: origHi - origLo,
                               normalizedStart: outLo, normalizedLength: outHi - outLo))
        }
        return result
    }
}

/// Builds a ``NormalizedText`` while scanning an input: copy runs, record replacements.
struct NormalizedTextBuilder {
    var output: [UInt8] = []
    var edits: [NormalizedText.Edit] = []

    init(capacity: Int) { output.reserveCapacity(capacity) }

    /// Copies `input[range]` unchanged.
    @inline(__always)
    mutating func copy(_ input: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        guard !range.isEmpty else { return }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: input[range]))
    }

    /// Replaces `input[range]` by `scalar` (or deletes it when `scalar` is nil).
    @inline(__always)
    mutating func replace(_ range: Range<Int>, with scalar: UInt32?) {
        let start = output.count
        if let scalar { appendUTF8(scalar, to: &output) }
        edits.append(.init(originalStart: range.lowerBound, originalLength: range.count,
                           normalizedStart: start, normalizedLength: output.count - start))
    }

    /// Replaces `input[range]` by `bytes` (a deletion when empty); all of them map back to
    /// the whole range.
    mutating func replace<C: Collection>(bytes range: Range<Int>, with bytes: C) where C.Element == UInt8 {
        edits.append(.init(originalStart: range.lowerBound, originalLength: range.count,
                           normalizedStart: output.count, normalizedLength: bytes.count))
        output.append(contentsOf: bytes)
    }

    /// The finished text for `input`.
    func finish(_ input: UnsafeBufferPointer<UInt8>) -> NormalizedText {
        NormalizedText(original: Array(input), normalized: output, edits: edits)
    }
}
