/// Cuts `▁`-escaped text before every `▁` that follows another character (`▁a▁▁b` →
/// `▁a`, `▁▁b`). Tokki uses it internally for BPE vocabularies in which no token has a `▁`
/// after another character, where BPE over the cut words equals BPE over the whole text.
struct MetaspaceWordSplit: PreTokenizer {
    /// The pieces.
    func split(_ text: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> [Range<Int>] {
        let n = text.count
        guard n > 0 else { return [] }
        var out: [Range<Int>] = []
        var start = 0
        var i = 0
        var previousWasMeta = false
        while i < n {
            let isMeta = i + 2 < n && text[i] == 0xE2 && text[i + 1] == 0x96 && text[i + 2] == 0x81
            if isMeta && !previousWasMeta && i > start {
                out.append(start..<i)
                start = i
            }
            previousWasMeta = isMeta
            i += isMeta ? 3 : 1
        }
        out.append(start..<n)
        return out
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
