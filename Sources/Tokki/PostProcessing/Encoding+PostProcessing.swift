extension Encoding {
    /// An encoding with every type id set to `type` (overflowing parts unchanged).
    func withTypeID(_ type: Int) -> Encoding {
        var e = self
        e.typeIDs = [Int](repeating: type, count: e.ids.count)
        return e
    }

    /// Appends `other`'s tokens (not its overflowing parts).
    mutating func append(_ other: Encoding) {
        ids += other.ids; pieces += other.pieces; offsets += other.offsets
        characterOffsets += other.characterOffsets; typeIDs += other.typeIDs
        specialTokensMask += other.specialTokensMask; attentionMask += other.attentionMask
    }

    /// `tokenizers`' `merge_with`: appends `pair`, and combines the overflowing parts of both
    /// (each of ours with `pair` and with each of its parts, then ourselves with each of its parts).
    mutating func merge(with pair: Encoding) {
        var combined: [Encoding] = []
        for mine in overflowing {
            var n = mine
            n.merge(with: pair)
            combined.append(n)
            for theirs in pair.overflowing {
                var m = mine
                m.merge(with: theirs)
                combined.append(m)
            }
        }
        for theirs in pair.overflowing {
            var n = self
            n.merge(with: theirs)
            combined.append(n)
        }
        append(pair)
        overflowing = combined
    }

    /// `tokenizers`' `Encoding::merge`: the encodings merged left to right.
    static func merged(_ parts: [Encoding]) -> Encoding {
        var out = Encoding.empty
        for p in parts { out.merge(with: p) }
        return out
    }

    /// The empty encoding.
    static let empty = Encoding(ids: [], pieces: [], offsets: [], characterOffsets: [])

    /// Special tokens (offsets 0..<0, special mask 1).
    static func special(_ tokens: [(id: Int, token: String)], type: Int) -> Encoding {
        let n = tokens.count
        return Encoding(ids: tokens.map(\.id), pieces: tokens.map(\.token), offsets: Array(repeating: 0..<0, count: n),
                        characterOffsets: Array(repeating: 0..<0, count: n), typeIDs: Array(repeating: type, count: n),
                        specialTokensMask: Array(repeating: 1, count: n), attentionMask: Array(repeating: 1, count: n))
    }

    /// `tokens` around this encoding, as BERT and RoBERTa processors build them: its own
    /// type ids in the middle, `type` for the added tokens; its overflowing parts dropped.
    func surrounded(by before: [(id: Int, token: String)], _ after: [(id: Int, token: String)], type: Int,
                    middleType: Int? = nil) -> Encoding {
        var e = Encoding.special(before, type: type)
        var middle = self
        middle.overflowing = []
        if let middleType { middle.typeIDs = Array(repeating: middleType, count: middle.ids.count) }
        middle.specialTokensMask = Array(repeating: 0, count: middle.ids.count)
        e.append(middle)
        e.append(.special(after, type: type))
        return e
    }
}
