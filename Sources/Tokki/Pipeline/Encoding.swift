/// The result of encoding one text: ids, pieces and where each piece came from.
public struct Encoding: Sendable, Equatable {
    /// Token ids.
    public var ids: [Int]
    /// Token strings (`▁` marks a space; byte-fallback tokens are `<0xXX>`).
    public var pieces: [String]
    /// For each token, the UTF-8 byte range of the original input it covers. Control
    /// tokens and all but the last byte of a byte-fallback character have empty ranges.
    public var offsets: [Range<Int>]
    /// The same ranges counted in Unicode scalars (Python `str` indices).
    public var characterOffsets: [Range<Int>]

    /// Segment (token type) ids: 0 for the first sequence, 1 for the second of a pair
    /// (as set by the post-processor); empty when the tokenizer has no such notion.
    public var typeIDs: [Int]
    /// 1 for special tokens added by the post-processor (and added special tokens), else 0.
    public var specialTokensMask: [Int]
    /// 1 for real tokens, 0 for padding.
    public var attentionMask: [Int]
    /// The parts cut off by truncation (each with the same fields), in order.
    public var overflowing: [Encoding]

    /// Creates an encoding from its parts.
    public init(ids: [Int], pieces: [String], offsets: [Range<Int>], characterOffsets: [Range<Int>],
                typeIDs: [Int]? = nil, specialTokensMask: [Int]? = nil, attentionMask: [Int]? = nil,
                overflowing: [Encoding] = []) {
        self.ids = ids
        self.pieces = pieces
        self.offsets = offsets
        self.characterOffsets = characterOffsets
        self.typeIDs = typeIDs ?? [Int](repeating: 0, count: ids.count)
        self.specialTokensMask = specialTokensMask ?? [Int](repeating: 0, count: ids.count)
        self.attentionMask = attentionMask ?? [Int](repeating: 1, count: ids.count)
        self.overflowing = overflowing
    }

    /// The number of tokens.
    public var count: Int { ids.count }
}
