/// Hugging Face's `UnicodeScripts` pre-tokenizer: cuts where the Unicode script changes
/// (Hiragana, Katakana and U+30FC count as Han; a space belongs to no script and never
/// cuts). Scripts come from the system ICU (Unicode 15); `tokenizers` uses an older table, so
/// characters assigned since then (e.g. U+1F9D1 🧑, Unicode 10) get a script here but none
/// there, where a leading one is dropped from the text.
public struct UnicodeScripts: PreTokenizer {
    /// Creates the pre-tokenizer.
    public init() {}

    static let han: Int32 = 17, hiragana: Int32 = 20, katakana: Int32 = 22, unknown: Int32 = 103, any: Int32 = -2

    static func script(_ v: UInt32) -> Int32 {
        if v == 0x30FC { return han }
        if v == 0x20 { return any }
        let s = ICU.script(v)
        // Code points outside tokenizers' table (unassigned: ICU's Unknown) belong to no script there.
        if s == unknown || s < 0 { return any }
        return s == hiragana || s == katakana ? han : s
    }

    /// The pieces: maximal runs of one script (spaces join the run they are in).
    public func split(_ text: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> [Range<Int>] {
        guard let p = text.baseAddress, text.count > 0 else { return [] }
        var cuts: [Int] = []
        var last: Int32? = nil
        var i = 0
        while i < text.count {
            let (v, len) = decodeScalar(p, i, text.count)
            let s = Self.script(v)
            if s != Self.any && last != Self.any && last != s { cuts.append(i) }
            if s != Self.any { last = s }
            i += len
        }
        cuts.append(text.count)
        // tokenizers slices between consecutive cuts (the text before the first cut is dropped,
        // but the first character always cuts at 0 unless it is a space).
        var out: [Range<Int>] = []
        for k in 0..<(cuts.count - 1) where cuts[k] < cuts[k + 1] { out.append(cuts[k]..<cuts[k + 1]) }
        return out
    }
}
