extension TiktokenTokenizer {
    /// Encodes `text` as ``encodeOrdinary(_:)-(String)`` does, with each token's text and where it
    /// came from: ``Encoding/offsets`` in UTF-8 bytes (the tokens' bytes laid end to end are the
    /// input), ``Encoding/characterOffsets`` in Unicode scalars from the scalar holding a token's
    /// first byte to the one after the scalar holding its last byte (so the tokens of one
    /// character split over several tokens all cover that character; the starts are tiktoken's
    /// `decode_with_offsets`).
    ///
    /// Pieces are the tokens' bytes as text; bytes that are not valid UTF-8 on their own become
    /// U+FFFD.
    public func encodeWithOffsets(_ text: String) throws(TokkiError) -> Encoding {
        let ids = try encodeOrdinary(text)
        let lengths = ids.map { ranks.tokenTable.bytes(of: $0).count }
        var pieces: [String] = []
        pieces.reserveCapacity(ids.count)
        for id in ids { pieces.append(String(decoding: ranks.tokenTable.bytes(of: id), as: UTF8.self)) }
        let (bytes, scalars) = Self.offsets(lengths: lengths, text: Array(text.utf8))
        return Encoding(ids: ids, pieces: pieces, offsets: bytes, characterOffsets: scalars)
    }

    /// Byte and scalar ranges of consecutive tokens of `lengths` bytes that together are `text`.
    static func offsets(lengths: [Int], text: [UInt8]) -> ([Range<Int>], [Range<Int>]) {
        // scalarOf[b]: the index of the scalar that byte b belongs to; scalarOf[n]: the scalar count.
        var scalarOf = [Int](repeating: 0, count: text.count + 1)
        var scalar = -1
        for (b, byte) in text.enumerated() {
            if byte & 0xC0 != 0x80 { scalar += 1 }
            scalarOf[b] = max(scalar, 0)
        }
        scalarOf[text.count] = scalar + 1
        var bytes: [Range<Int>] = [], scalars: [Range<Int>] = []
        bytes.reserveCapacity(lengths.count)
        scalars.reserveCapacity(lengths.count)
        var at = 0
        for n in lengths {
            let end = min(at + n, text.count)
            bytes.append(at..<end)
            scalars.append(end > at ? scalarOf[at]..<(scalarOf[end - 1] + 1) : scalarOf[at]..<scalarOf[at])
            at = end
        }
        return (bytes, scalars)
    }
}
