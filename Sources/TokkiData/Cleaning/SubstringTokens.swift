/// Exact-substring de-duplication counted in tokens, as Lee et al. (2022) run it (their suffix
/// array is over token ids): a repeated span counts when it is at least N tokens long.
///
/// Each document is tokenized once (no special tokens) and its ids go into a
/// ``SubstringDeduplicator`` as ``width`` bytes each (7 bits per byte, so never the separator
/// 0xFF), with `minLength` N · ``width`` and `stride` ``width``: windows are N whole tokens.
/// Exactly:
///
/// - A token is cut when it lies in a window of N consecutive tokens of its document whose ids
///   also occur as N consecutive tokens earlier in the corpus (an earlier document, or earlier in
///   the same document, overlapping or not). Cut tokens that overlap or touch merge into runs.
/// - A run of tokens cuts the bytes from the lowest start to the highest end of its tokens'
///   byte offsets (``Encoding/offsets``); byte ranges that overlap or touch merge, and each
///   shrinks to whole UTF-8 characters as in byte mode. Bytes no token covers (none for most
///   models) stay unless inside such a range.
public enum SubstringTokens {
    /// Bytes per token id.
    public static let width = 3
    /// The largest id these bytes hold (2^21 − 1).
    public static let maxID = 1 << 21 - 1

    /// Appends `ids` to `out`, ``width`` bytes each (high 7 bits first); false (nothing
    /// appended) when an id is negative or above ``maxID``.
    public static func encode(_ ids: [Int], into out: inout [UInt8]) -> Bool {
        for id in ids where id < 0 || id > maxID { return false }
        for id in ids {
            out.append(UInt8(id >> 14))
            out.append(UInt8(id >> 7 & 0x7F))
            out.append(UInt8(id & 0x7F))
        }
        return true
    }

    /// The byte ranges cut from the documents of `text` (the same documents, in the same order,
    /// as the token corpus `found` came from): `offsets(i)` gives document `i`'s token byte
    /// offsets (the tokenization its ids came from), asked once per document with cuts.
    public static func byteDuplicates<E: Error>(_ found: SubstringDuplicates, text: SubstringDeduplicator,
                                                offsets: (Int) throws(E) -> [Range<Int>]) throws(E) -> SubstringDuplicates {
        var result = SubstringDuplicates()
        var k = 0
        let ranges = found.ranges
        while k < ranges.count {
            let d = ranges[k].document
            let tokens = try offsets(d)
            let doc = text.document(d)
            var cuts: [Range<Int>] = []
            while k < ranges.count && ranges[k].document == d {
                // Token stream bytes to tokens (whole tokens: windows start on a token, and their
                // length is whole tokens), then to the bytes those tokens cover.
                let r = ranges[k]
                k += 1
                assert(r.start % width == 0 && r.end % width == 0)
                let a = min(r.start / width, tokens.count), b = min(r.end / width, tokens.count)
                guard a < b else { continue }
                var lo = Int.max, hi = Int.min
                for t in tokens[a..<b] {
                    lo = min(lo, t.lowerBound)
                    hi = max(hi, t.upperBound)
                }
                guard lo < hi else { continue }
                if let last = cuts.last, lo <= last.upperBound {
                    cuts[cuts.count - 1] = min(last.lowerBound, lo)..<max(last.upperBound, hi)
                } else {
                    cuts.append(lo..<hi)
                }
            }
            var edited = false
            for c in cuts {
                var a = doc.startIndex + max(0, c.lowerBound), b = doc.startIndex + min(doc.count, c.upperBound)
                while a < b && doc[a] & 0xC0 == 0x80 { a += 1 }
                while b > a && b < doc.endIndex && doc[b] & 0xC0 == 0x80 { b -= 1 }
                guard a < b else { continue }
                result.ranges.append(RemovedRange(document: d, start: a - doc.startIndex, end: b - doc.startIndex))
                result.bytesRemoved += b - a
                edited = true
            }
            if edited { result.documentsEdited += 1 }
        }
        return result
    }
}
