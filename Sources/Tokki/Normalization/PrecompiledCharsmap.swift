/// SentencePiece's compiled normalization rules (`precompiled_charsmap`).
///
/// Layout: a little-endian `UInt32` with the trie size in bytes, the Darts-clone double
/// array (keys: source UTF-8 byte strings), then the blob of NUL-terminated replacement
/// strings that the trie's values point into.
public struct PrecompiledCharsmap: Sendable, Equatable {
    /// The rule trie.
    public let trie: DoubleArrayTrie
    /// The replacement strings, each NUL-terminated.
    public let replacements: [UInt8]
    /// For each lead byte, whether any rule starts with it (a fast skip for the rest).
    let startsRule: [Bool]

    /// Parses a charsmap blob.
    ///
    /// - Throws: ``TokkiError/invalidModel(path:problem:)`` when the sizes are inconsistent.
    public init(_ blob: [UInt8], path: String? = nil) throws(TokkiError) {
        guard blob.count >= 4 else {
            throw .invalidModel(path: path, problem: "precompiled_charsmap is truncated (\(blob.count) bytes)")
        }
        let size = Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24
        guard size % 4 == 0, size <= blob.count - 4 else {
            throw .invalidModel(path: path, problem: "precompiled_charsmap trie size \(size) does not fit its \(blob.count)-byte blob")
        }
        var units = [UInt32](repeating: 0, count: size / 4)
        for k in 0..<(size / 4) {
            let o = 4 + 4 * k
            units[k] = UInt32(blob[o]) | UInt32(blob[o + 1]) << 8 | UInt32(blob[o + 2]) << 16 | UInt32(blob[o + 3]) << 24
        }
        trie = DoubleArrayTrie(units: units)
        replacements = Array(blob[(4 + size)...])
        var starts = [Bool](repeating: false, count: 256)
        if let root = units.first {
            let base = DoubleArrayTrie.offset(root)
            for c in 1..<256 {
                let p = base ^ c
                if p < units.count && DoubleArrayTrie.label(units[p]) == UInt32(c) { starts[c] = true }
            }
        }
        startsRule = starts
    }

    /// The replacement for trie value `value`: the bytes up to the next NUL (or the end).
    @inline(__always)
    func replacement(_ value: Int) -> Range<Int> {
        guard value >= 0 && value < replacements.count else { return 0..<0 }
        var e = value
        replacements.withUnsafeBufferPointer { r in
            while e < r.count && r[e] != 0 { e += 1 }
        }
        return value..<e
    }

    /// Builds a charsmap blob from rules (source bytes → replacement bytes).
    public static func compile(_ rules: [(source: [UInt8], target: [UInt8])]) throws -> [UInt8] {
        var blob: [UInt8] = []
        var offsets: [[UInt8]: Int] = [:]
        var keys: [[UInt8]] = [], values: [Int] = []
        for (source, target) in rules.sorted(by: { $0.source.lexicographicallyPrecedes($1.source) }) {
            let off: Int
            if let o = offsets[target] { off = o } else {
                off = blob.count
                offsets[target] = off
                blob += target
                blob.append(0)
            }
            keys.append(source); values.append(off)
        }
        let trie = try DoubleArrayTrie(keys: keys, values: values)
        var out: [UInt8] = []
        let size = UInt32(trie.units.count * 4)
        out += [UInt8(size & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 24)]
        for u in trie.units {
            out += [UInt8(u & 0xFF), UInt8(u >> 8 & 0xFF), UInt8(u >> 16 & 0xFF), UInt8(u >> 24)]
        }
        return out + blob
    }
}
