/// BERT's pre-tokenization (`BertPreTokenizer`: white space removed, then every punctuation
/// character isolated) in one scan with no list of ranges: the words are handed to the
/// caller as they are found. Used by the ids-only path when the pre-tokenizer is exactly
/// that pair of splits.
enum BertWordSplit {
    /// Word byte.
    static let word: UInt8 = 0
    /// White space: ends a word and is dropped.
    static let space: UInt8 = 1
    /// Punctuation: ends a word and is a word of its own.
    static let punctuation: UInt8 = 2

    /// Whether `chain` is BERT's split: `\p{White_Space}` removed, then BERT's punctuation
    /// class isolated, both scanned by hand.
    static func matches(_ chain: [any PreTokenizer]) -> Bool {
        guard chain.count == 2, let space = chain[0] as? RegexSplit, let punctuation = chain[1] as? RegexSplit else { return false }
        return space.scanner?.kind == .whiteSpace && space.behavior == .removed && !space.invert
            && punctuation.scanner?.kind == .bertPunctuation && punctuation.behavior == .isolated && !punctuation.invert
    }

    /// The class of each ASCII byte.
    static let asciiClasses: [UInt8] = (0..<128).map { b in
        if ICU.isWhiteSpace(UInt32(b)) { return space }
        return PatternScanner.isBertPunctuation(UInt32(b)) ? punctuation : word
    }

    /// Calls `body(start, end)` for each word of well-formed UTF-8 `text`, in order.
    @inline(__always)
    static func forEachWord(_ text: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
        guard let p = text.baseAddress else { return }
        let n = text.count
        asciiClasses.withUnsafeBufferPointer { a in
            PatternScanner.bmp.withUnsafeBufferPointer { bmp in
                PatternScanner.bmpPunctuation.withUnsafeBufferPointer { bmpPunctuation in
                    let ascii = a.baseAddress!
                    var start = -1   // the current word's start, or -1
                    var i = 0
                    while i < n {
                        let b = p[i]
                        let c: UInt8
                        let len: Int
                        if b < 0x80 {
                            c = ascii[Int(b)]
                            len = 1
                        } else {
                            let (v, l) = decodeScalar(p, i, n)
                            len = l
                            if v < 0x10000 {
                                c = bmp[Int(v)] & PatternScanner.space != 0 ? space : bmpPunctuation[Int(v)] ? punctuation : word
                            } else {
                                c = PatternScanner.classify(v) & PatternScanner.space != 0 ? space
                                    : PatternScanner.isBertPunctuation(v) ? punctuation : word
                            }
                        }
                        if c == word {
                            if start < 0 { start = i }
                        } else {
                            if start >= 0 { body(start, i); start = -1 }
                            if c == punctuation { body(i, i + len) }
                        }
                        i += len
                    }
                    if start >= 0 { body(start, n) }
                }
            }
        }
    }
}
