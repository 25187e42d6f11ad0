/// SentencePiece's CHAR model: the normalized text is cut into user-defined symbols (longest
/// match first) and single characters; each is looked up as a piece (the unknown id when
/// absent). Consecutive unknowns are merged (or byte-fallen-back) by the tokenizer, as the
/// reference does.
struct SentencePieceCharModel: Sendable {
    let vocabulary: SentencePieceVocabulary
    let userDefined: DoubleArrayTrie?

    init(vocabulary: SentencePieceVocabulary, userDefinedSymbols: [String]) {
        self.vocabulary = vocabulary
        let symbols = Array(Set(userDefinedSymbols.map { Array($0.utf8) }.filter { !$0.isEmpty && !$0.contains(0) }))
        userDefined = symbols.isEmpty ? nil : try? DoubleArrayTrie(keys: symbols, values: symbols.map(\.count))
    }

    func segment(_ normalized: UnsafeBufferPointer<UInt8>, into spans: inout [TokenSpan]) {
        guard let p = normalized.baseAddress else { return }
        let n = normalized.count
        var i = 0
        while i < n {
            var len = min(SentencePieceUnigramModel.oneCharLength(p[i]), n - i)
            if let userDefined, let m = userDefined.longestPrefix(of: p, from: i, to: n) { len = m.length }
            spans.append(TokenSpan(start: Int32(i), end: Int32(i + len), id: vocabulary.idOrUnknown(p, i, i + len)))
            i += len
        }
    }
}

/// SentencePiece's WORD model: the normalized text is cut into words — a new word starts at the
/// beginning and at every `▁` — and each word is looked up as a piece (the unknown id when
/// absent). The reference splits this way even when the model treats whitespace as a suffix
/// (the `▁` then starts the following word, and a final `▁` is a word of its own).
struct SentencePieceWordModel: Sendable {
    let vocabulary: SentencePieceVocabulary

    func segment(_ normalized: UnsafeBufferPointer<UInt8>, into spans: inout [TokenSpan]) {
        guard let p = normalized.baseAddress else { return }
        let n = normalized.count
        // `len == 3` below guarantees the three bytes exist.
        @inline(__always) func isSpace(_ i: Int) -> Bool { p[i] == 0xE2 && p[i + 1] == 0x96 && p[i + 2] == 0x81 }
        var start = 0
        var i = 0
        while i < n {
            let len = min(SentencePieceUnigramModel.oneCharLength(p[i]), n - i)
            let space = len == 3 && isSpace(i)
            if space && i > start {
                spans.append(TokenSpan(start: Int32(start), end: Int32(i), id: vocabulary.idOrUnknown(p, start, i)))
                start = i
            }
            i += len
        }
        if n > start { spans.append(TokenSpan(start: Int32(start), end: Int32(n), id: vocabulary.idOrUnknown(p, start, n))) }
    }
}
