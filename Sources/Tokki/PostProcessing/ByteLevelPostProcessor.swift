/// Hugging Face's `ByteLevel` post-processor: with `trimOffsets`, the offsets of tokens no
/// longer cover their leading and trailing spaces.
public struct ByteLevelPostProcessor: PostProcessor {
    /// Remove spaces from offsets.
    public let trimOffsets: Bool
    /// Whether the pre-tokenizer added a prefix space (then the first token keeps one).
    public let addPrefixSpace: Bool

    /// Creates the post-processor.
    public init(trimOffsets: Bool = true, addPrefixSpace: Bool = true) {
        self.trimOffsets = trimOffsets
        self.addPrefixSpace = addPrefixSpace
    }

    /// Adds nothing.
    public func addedTokenCount(pair: Bool) -> Int { 0 }

    /// Trims offsets (of the overflowing parts too).
    public func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        guard trimOffsets else { return encodings }
        return encodings.map { Self.trimAll($0, addPrefixSpace: addPrefixSpace) }
    }

    static func trimAll(_ e: Encoding, addPrefixSpace: Bool) -> Encoding {
        var t = trim(e, addPrefixSpace: addPrefixSpace)
        t.overflowing = e.overflowing.map { trim($0, addPrefixSpace: addPrefixSpace) }
        return t
    }

    static func isSpaceLike(_ s: Unicode.Scalar) -> Bool { s.value == 0x120 || s.properties.isWhitespace }

    /// `tokenizers`' `process_offsets`: counts leading/trailing `Ġ` (or whitespace) and moves
    /// the byte offsets inward by that many.
    static func trim(_ e: Encoding, addPrefixSpace: Bool) -> Encoding {
        var e = e
        for i in e.ids.indices {
            let scalars = Array(e.pieces[i].unicodeScalars)
            var leading = 0
            while leading < scalars.count && isSpaceLike(scalars[leading]) { leading += 1 }
            var trailing = 0
            while trailing < scalars.count && isSpaceLike(scalars[scalars.count - 1 - trailing]) { trailing += 1 }
            guard leading > 0 || trailing > 0 else { continue }
            // The same moves apply to byte and character offsets: the trimmed characters are
            // spaces, one byte each.
            if leading > 0 {
                let isFirst = i == 0 || e.offsets[i].lowerBound == 0
                if isFirst && addPrefixSpace && leading == 1 { leading = 0 }
            }
            func moved(_ r: Range<Int>) -> Range<Int> {
                var (start, end) = (r.lowerBound, r.upperBound)
                if leading > 0 { start = min(start + leading, end) }
                if trailing > 0 && end >= trailing { end = max(end - trailing, start) }
                return start..<end
            }
            e.offsets[i] = moved(e.offsets[i])
            e.characterOffsets[i] = moved(e.characterOffsets[i])
        }
        return e
    }
}

extension ByteLevelPostProcessor {
    /// A `tokenizer.json` `{"type": "ByteLevel", "trim_offsets": …, "add_prefix_space": …}`
    /// post-processor.
    init(json v: JSONValue) throws(TokkiError) {
        self.init(trimOffsets: try v.optional("trim_offsets")?.bool() ?? true,
                  addPrefixSpace: try v.optional("add_prefix_space")?.bool() ?? true)
    }
    /// Writes the post-processor as `{"type": "ByteLevel", "add_prefix_space": …,
    /// "trim_offsets": …, "use_regex": true}` (`use_regex`, required by `tokenizers`' shared
    /// ByteLevel component, is unused here).
    func writeJSON(to w: inout JSONWriter) {
        ByteLevel.writeJSON(addPrefixSpace: addPrefixSpace, useRegex: true, trimOffsets: trimOffsets, to: &w)
    }
}
