/// Text between the pre-tokenization stages of a Hugging Face pipeline: the working bytes,
/// the pieces (byte ranges of them), and — once a stage has rewritten text (Metaspace's `▁`,
/// ByteLevel's prefix space) — for every working byte the range of normalized bytes it
/// came from.
public struct PreTokenizedText: Sendable {
    /// The working bytes.
    public internal(set) var bytes: [UInt8]
    /// The pieces, in order, non-overlapping, non-empty.
    public internal(set) var pieces: [Range<Int>]
    /// Per working byte, the normalized byte range it came from; empty means "itself".
    var sourceStart: [Int32] = []
    var sourceEnd: [Int32] = []
    /// The offset of the normalized text's first byte in the original input.
    let originalBase: Int

    /// The whole of `bytes` as one piece (none when empty).
    init(bytes: [UInt8], originalBase: Int = 0) {
        self.bytes = bytes
        pieces = bytes.isEmpty ? [] : [0..<bytes.count]
        self.originalBase = originalBase
    }

    var isRewritten: Bool { !sourceStart.isEmpty }

    /// The normalized byte range behind working byte range `r`.
    func normalizedRange(_ r: Range<Int>) -> Range<Int> {
        guard isRewritten else { return r }
        guard !r.isEmpty else { let s = Int(sourceStart[min(r.lowerBound, sourceStart.count - 1)]); return s..<s }
        return Int(sourceStart[r.lowerBound])..<Int(sourceEnd[r.upperBound - 1])
    }

    /// Replaces every piece by the sub-ranges `split` returns for its bytes.
    mutating func splitPieces(_ split: (UnsafeBufferPointer<UInt8>) throws(TokkiError) -> [Range<Int>]) throws(TokkiError) {
        var out: [Range<Int>] = []
        out.reserveCapacity(pieces.count)
        let old = pieces
        try bytes.withUnsafeBufferPointer { (b) throws(TokkiError) in
            for piece in old {
                let sub = UnsafeBufferPointer(rebasing: b[piece])
                for r in try split(sub) where !r.isEmpty {
                    out.append((r.lowerBound + piece.lowerBound)..<(r.upperBound + piece.lowerBound))
                }
            }
        }
        pieces = out
    }

    /// Rebuilds the text piece by piece: `rewrite` receives each piece and a writer that
    /// collects the new bytes (each with its source) and piece boundaries.
    mutating func rewritePieces(_ rewrite: (Range<Int>, inout Writer) -> Void) {
        var w = Writer(old: self)
        for piece in pieces {
            rewrite(piece, &w)
            w.endPiece()
        }
        bytes = w.bytes
        pieces = w.pieces
        sourceStart = w.sourceStart
        sourceEnd = w.sourceEnd
    }

    /// Collects rewritten bytes with their sources.
    struct Writer {
        let old: PreTokenizedText
        var bytes: [UInt8] = []
        var sourceStart: [Int32] = []
        var sourceEnd: [Int32] = []
        var pieces: [Range<Int>] = []
        var pieceStart = 0

        init(old: PreTokenizedText) {
            self.old = old
            bytes.reserveCapacity(old.bytes.count + 16)
            sourceStart.reserveCapacity(old.bytes.count + 16)
            sourceEnd.reserveCapacity(old.bytes.count + 16)
        }

        func source(of k: Int) -> (Int32, Int32) {
            old.isRewritten ? (old.sourceStart[k], old.sourceEnd[k]) : (Int32(k), Int32(k + 1))
        }

        /// Copies working byte `k` of the old text.
        mutating func copy(_ k: Int) {
            let (s, e) = source(of: k)
            bytes.append(old.bytes[k]); sourceStart.append(s); sourceEnd.append(e)
        }

        /// Writes `new` standing for old working bytes `range` (all its bytes get their union).
        mutating func write<C: Collection>(_ new: C, for range: Range<Int>) where C.Element == UInt8 {
            let s = source(of: range.lowerBound).0, e = source(of: range.upperBound - 1).1
            for b in new { bytes.append(b); sourceStart.append(s); sourceEnd.append(e) }
        }

        /// Ends the current piece here (empty pieces are dropped).
        mutating func cut() {
            if bytes.count > pieceStart { pieces.append(pieceStart..<bytes.count) }
            pieceStart = bytes.count
        }

        mutating func endPiece() { cut() }
    }
}

/// One stage of a Hugging Face pre-tokenizer. The stages that only split conform to
/// ``PreTokenizer``; the ones that also rewrite the text, Metaspace and ByteLevel, to this.
public protocol PreTokenizationStage: Sendable {
    /// Applies the stage to every piece of `text`.
    func apply(_ text: inout PreTokenizedText) throws(TokkiError)
}

/// A splitting pre-tokenizer used as a stage: it splits every current piece.
public struct SplittingStage: PreTokenizationStage {
    /// The splitter.
    public let splitter: any PreTokenizer

    /// Wraps `splitter`.
    public init(_ splitter: any PreTokenizer) { self.splitter = splitter }

    /// Splits every piece.
    public func apply(_ text: inout PreTokenizedText) throws(TokkiError) {
        try text.splitPieces { (b) throws(TokkiError) in try splitter.split(b) }
    }
}

/// Several stages in order (Hugging Face's `Sequence` pre-tokenizer).
public struct PreTokenizationSequence: PreTokenizationStage {
    /// The stages, applied first to last.
    public let stages: [any PreTokenizationStage]

    /// Creates a sequence.
    public init(_ stages: [any PreTokenizationStage]) { self.stages = stages }

    /// Applies every stage.
    public func apply(_ text: inout PreTokenizedText) throws(TokkiError) {
        for s in stages { try s.apply(&text) }
    }
}

extension PreTokenizationSequence {
    /// Writes a `{"type": "Sequence", "pretokenizers": […]}` pre-tokenizer whose stages
    /// `stages` write (each stage writes its own object).
    static func writeJSON(stages: [(inout JSONWriter) -> Void], to w: inout JSONWriter) {
        w.object { o in
            o.string("type", "Sequence")
            o.member("pretokenizers") { w in w.array(stages.indices) { w, k in stages[k](&w) } }
        }
    }
}
