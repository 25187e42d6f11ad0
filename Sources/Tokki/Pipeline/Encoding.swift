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

    /// Creates an encoding from its parts.
    public init(ids: [Int], pieces: [String], offsets: [Range<Int>], characterOffsets: [Range<Int>]) {
        self.ids = ids
        self.pieces = pieces
        self.offsets = offsets
        self.characterOffsets = characterOffsets
    }

    /// The number of tokens.
    public var count: Int { ids.count }
}
