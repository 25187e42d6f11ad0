extension TekkenTokenizer {
    /// Encodes `text` as ``encode(_:addBOS:addEOS:)`` does, with each token's text and its byte
    /// and scalar ranges (see ``TiktokenTokenizer/encodeWithOffsets(_:)``); BOS and EOS have
    /// empty ranges at the start and the end.
    public func encodeWithOffsets(_ text: String, addBOS: Bool = false, addEOS: Bool = false) throws(TokkiError) -> Encoding {
        var e = try inner.encodeWithOffsets(text)
        e.ids = e.ids.map { $0 + specialTokens.count }
        let bytes = text.utf8.count, scalars = text.unicodeScalars.count
        var special = [Int](repeating: 0, count: e.ids.count)
        if addBOS, let bos = bosID {
            e.ids.insert(bos, at: 0); e.pieces.insert(specialTokens[bos], at: 0)
            e.offsets.insert(0..<0, at: 0); e.characterOffsets.insert(0..<0, at: 0); special.insert(1, at: 0)
        }
        if addEOS, let eos = eosID {
            e.ids.append(eos); e.pieces.append(specialTokens[eos])
            e.offsets.append(bytes..<bytes); e.characterOffsets.append(scalars..<scalars); special.append(1)
        }
        return Encoding(ids: e.ids, pieces: e.pieces, offsets: e.offsets, characterOffsets: e.characterOffsets, specialTokensMask: special)
    }
}
