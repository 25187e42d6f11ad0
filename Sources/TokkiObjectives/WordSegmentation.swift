/// Word units for whole-word masking.
public enum WordUnits {
    /// Word ids from token offsets, by Hugging Face's rule: a token starts a new word when its
    /// start differs from the previous token's end (or the previous token is special). For
    /// Korean this groups the pieces of one eojeol (space-separated word), whatever the
    /// pre-tokenizer split inside it. Special tokens get −1.
    ///
    /// Tokenizers whose pieces carry the space before a word (SentencePiece's `▁word`, byte-level
    /// `Ġword`) report offsets that touch across the space; pass the text (and byte offsets) so
    /// that a token starting at a space also starts a word.
    ///
    /// - Parameters:
    ///   - offsets: each token's range in the original text (UTF-8 bytes when `text` is given).
    ///   - special: true for special tokens (nil: none).
    ///   - text: the original text's UTF-8 bytes, or nil.
    public static func fromOffsets(_ offsets: [Range<Int>], special: [Bool]? = nil, text: [UInt8]? = nil) -> [Int32] {
        var result = [Int32](repeating: -1, count: offsets.count)
        var word: Int32 = -1
        var previousEnd = -1
        var previousSpecial = true
        for (i, r) in offsets.enumerated() {
            if special?[i] == true {
                previousSpecial = true
                continue
            }
            var startsAtSpace = false
            if let text, r.lowerBound < text.count, r.lowerBound < r.upperBound {
                let b = text[r.lowerBound]
                startsAtSpace = b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D
            }
            if previousSpecial || r.lowerBound != previousEnd || startsAtSpace { word += 1 }
            result[i] = word
            previousEnd = r.upperBound
            previousSpecial = false
        }
        return result
    }

    /// A word-start table for SentencePiece-style vocabularies: a piece begins a word when it
    /// starts with `▁` (U+2581). Pass every piece in id order.
    public static func metaspaceStarts(_ pieces: [String]) -> [Bool] {
        pieces.map { $0.utf8.starts(with: [0xE2, 0x96, 0x81]) }
    }

    /// A word-start table for WordPiece vocabularies: a token continues a word when it starts
    /// with `prefix` (`##`).
    public static func wordPieceStarts(_ tokens: [String], prefix: String = "##") -> [Bool] {
        tokens.map { !$0.hasPrefix(prefix) }
    }
}
