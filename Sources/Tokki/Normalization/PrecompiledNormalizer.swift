/// Hugging Face's `Precompiled` normalizer: SentencePiece's charsmap applied the way
/// `tokenizers` applies it — per extended grapheme cluster (a cluster shorter than 6 bytes
/// is replaced as a whole when any rule matches its start, using the *shortest* matching
/// rule), otherwise character by character — which differs from SentencePiece's
/// byte-stream longest match (see <doc:Compatibility#Precompiled-charsmaps>). Use
/// ``SentencePieceNormalizer`` for SentencePiece semantics.
public struct PrecompiledNormalizer: Normalizer {
    /// The compiled rules.
    public let charsmap: PrecompiledCharsmap

    /// Creates the normalizer from a charsmap.
    public init(_ charsmap: PrecompiledCharsmap) { self.charsmap = charsmap }

    /// The replacement of the shortest rule matching a prefix of `p[s..<e]`, if any.
    @inline(__always)
    func shortestRule(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Range<Int>? {
        var found: Int? = nil
        charsmap.trie.forEachPrefix(of: p, from: s, to: e) { value, _ in found = value; return false }
        return found.map { charsmap.replacement($0) }
    }

    /// Normalizes grapheme by grapheme.
    public func normalize(utf8 input: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> NormalizedText {
        guard let p = input.baseAddress, input.count > 0 else { return NormalizedText(unchanged: Array(input)) }
        let n = input.count
        // Clusters: ASCII text without CR is one byte per cluster; otherwise ask ICU.
        let simple = !input.contains { $0 >= 0x80 || $0 == 0x0D }
        let ends = simple ? [] : try ICU.graphemeEnds(input)
        var b = NormalizedTextBuilder(capacity: n + 8)
        var changed = false
        var start = 0
        var k = 0
        while start < n {
            let end = simple ? start + 1 : Int(ends[k])
            k += 1
            if end - start < 6, let r = shortestRule(p, start, end) {
                replace(&b, input, start..<end, with: charsmap.replacements[r])
                changed = true
            } else {
                var i = start
                while i < end {
                    let len = min(end - i, BPEModel.utf8Length(p[i]))
                    if charsmap.mayStartRule(p, i, n), let r = shortestRule(p, i, i + len) {
                        replace(&b, input, i..<(i + len), with: charsmap.replacements[r])
                        changed = true
                    } else {
                        b.copy(input, i..<(i + len))
                    }
                    i += len
                }
            }
            start = end
        }
        return changed ? b.finish(input) : NormalizedText(unchanged: Array(input))
    }

    /// Records a replacement with `tokenizers`' alignment: output character j comes from
    /// source character j; extra output characters belong to the last source character,
    /// extra source characters are deleted after the last output character.
    func replace(_ b: inout NormalizedTextBuilder, _ input: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, with new: ArraySlice<UInt8>) {
        func chars<C: Collection>(_ bytes: C, base: Int) -> [Range<Int>] where C.Element == UInt8, C.Index == Int {
            var out: [Range<Int>] = []
            var i = bytes.startIndex
            while i < bytes.endIndex {
                let len = min(bytes.endIndex - i, BPEModel.utf8Length(bytes[i]))
                out.append((i - bytes.startIndex + base)..<(i - bytes.startIndex + base + len))
                i += len
            }
            return out
        }
        let source = chars(UnsafeBufferPointer(rebasing: input[range]), base: range.lowerBound)
        let target = chars(new, base: new.startIndex)
        if target.isEmpty {
            b.replace(bytes: range, with: [UInt8]())
            return
        }
        let paired = min(source.count, target.count)
        for j in 0..<paired {
            let last = j == paired - 1
            let src = last ? source[j].lowerBound..<source[source.count - 1].upperBound : source[j]
            let dst = last ? target[j].lowerBound..<target[target.count - 1].upperBound : target[j]
            if last && source.count > paired {
                // The deleted source characters come after the last output character.
                b.replace(bytes: source[j], with: new[dst])
                b.replace(bytes: source[j].upperBound..<src.upperBound, with: [UInt8]())
            } else {
                b.replace(bytes: src, with: new[dst])
            }
        }
    }
}

extension PrecompiledNormalizer {
    /// A `{"type": "Precompiled", "precompiled_charsmap": base64}` normalizer; nil when the
    /// charsmap is null or empty (the normalizer does nothing).
    init?(json v: JSONValue) throws(TokkiError) {
        let field = try v.required("precompiled_charsmap")
        if field.isNull { return nil }
        let b64 = try field.stringBytes()
        if b64.isEmpty { return nil }
        guard let blob = Base64.decode(b64[...]) else { throw field.error("invalid base64") }
        let charsmap: PrecompiledCharsmap
        do { charsmap = try PrecompiledCharsmap(blob) } catch { throw field.error(error.description) }
        self.init(charsmap)
    }
    /// Writes the normalizer as `{"type": "Precompiled", "precompiled_charsmap": base64}`
    /// (the charsmap serialized as it was read: ``PrecompiledCharsmap/blob``).
    func writeJSON(to w: inout JSONWriter) {
        Self.writeJSON(charsmap: charsmap.blob, to: &w)
    }

    /// Writes a `Precompiled` normalizer for a serialized charsmap (`blob`, not parsed: the
    /// writers that hold only the bytes).
    static func writeJSON(charsmap blob: [UInt8], to w: inout JSONWriter) {
        w.object { o in o.string("type", "Precompiled"); o.string("precompiled_charsmap", Base64.encode(blob)) }
    }
}
