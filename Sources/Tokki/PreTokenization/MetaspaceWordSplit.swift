/// Cuts `▁`-escaped text before every `▁` that follows another character (`▁a▁▁b` →
/// `▁a`, `▁▁b`). Tokki uses it internally for BPE vocabularies in which no token has a `▁`
/// after another character, where BPE over the cut words equals BPE over the whole text.
struct MetaspaceWordSplit: PreTokenizer {
    /// The pieces.
    func split(_ text: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> [Range<Int>] {
        var out: [Range<Int>] = []
        try split(text, offset: 0, appendingTo: &out)
        return out
    }

    /// Appends the pieces, shifted by `offset` (no array per call: the ids-only path runs
    /// this on every line).
    func split(_ text: UnsafeBufferPointer<UInt8>, offset: Int, appendingTo out: inout [Range<Int>]) throws(TokkiError) {
        let n = text.count
        guard n > 0, let p = text.baseAddress else { return }
        var start = 0
        var i = 0
        var previousWasMeta = false
        while i < n {
            // Only the lead byte of `▁` (0xE2) can start one: other bytes are skipped fast.
            if p[i] != 0xE2 { previousWasMeta = false; i += 1; continue }
            let isMeta = i + 2 < n && p[i + 1] == 0x96 && p[i + 2] == 0x81
            if isMeta && !previousWasMeta && i > start {
                out.append((start + offset)..<(i + offset))
                start = i
            }
            previousWasMeta = isMeta
            i += isMeta ? 3 : 1
        }
        out.append((start + offset)..<(n + offset))
    }

    /// Whether no token of `model` can span a cut: `▁` is a token, and no token has a `▁`
    /// after a character that is not `▁` (nor a continuing prefix or suffix in play).
    static func wordsAreIndependent(_ model: BPEModel) -> Bool {
        guard !model.byteLevel, model.options.continuingSubwordPrefix ?? "" == "", model.options.endOfWordSuffix ?? "" == "",
              model.tokens.id([0xE2, 0x96, 0x81]) != nil else { return false }
        let t = model.tokens
        return t.pool.withUnsafeBufferPointer { pool in
            for id in 0..<t.count where t.contains(id) {
                let s = Int(t.starts[id]), e = s + Int(t.lengths[id])
                var k = s
                var seenOther = false
                while k < e {
                    if k + 2 < e && pool[k] == 0xE2 && pool[k + 1] == 0x96 && pool[k + 2] == 0x81 {
                        if seenOther { return false }
                        k += 3
                    } else {
                        seenOther = true
                        k += 1
                    }
                }
            }
            return true
        }
    }
}
