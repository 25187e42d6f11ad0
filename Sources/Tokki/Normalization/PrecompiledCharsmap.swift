/// SentencePiece's compiled normalization rules (`precompiled_charsmap`).
///
/// Layout: a little-endian `UInt32` with the trie size in bytes, the Darts-clone double
/// array (keys: source UTF-8 byte strings), then the blob of NUL-terminated replacement
/// strings that the trie's values point into.
public struct PrecompiledCharsmap: Sendable, Equatable {
    /// The rule trie.
    package let trie: DoubleArrayTrie
    /// The replacement strings, each NUL-terminated.
    public let replacements: [UInt8]
    /// For each lead byte, whether any rule starts with it (a fast skip for the rest).
    let startsRule: [Bool]
    /// For each BMP code point, whether any rule starts with its UTF-8 bytes (a bit set).
    let bmpStartsRule: [UInt64]

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
        startsRule = trie.startBytes
        // A code point starts a rule when the trie has a node for all of its bytes.
        var bits = [UInt64](repeating: 0, count: 1024)
        units.withUnsafeBufferPointer { u in
            guard let root = u.first else { return }
            let rootBase = DoubleArrayTrie.offset(root)
            var bytes: (UInt8, UInt8, UInt8) = (0, 0, 0)
            for cp in 0..<0x10000 {
                if cp >= 0xD800 && cp < 0xE000 { continue }
                let count: Int
                if cp < 0x80 { bytes.0 = UInt8(cp); count = 1 }
                else if cp < 0x800 { bytes = (UInt8(0xC0 | cp >> 6), UInt8(0x80 | cp & 0x3F), 0); count = 2 }
                else { bytes = (UInt8(0xE0 | cp >> 12), UInt8(0x80 | (cp >> 6) & 0x3F), UInt8(0x80 | cp & 0x3F)); count = 3 }
                var pos = rootBase
                var alive = true
                for k in 0..<count {
                    let c = k == 0 ? bytes.0 : (k == 1 ? bytes.1 : bytes.2)
                    pos ^= Int(c)
                    guard pos < u.count, DoubleArrayTrie.label(u[pos]) == UInt32(c) else { alive = false; break }
                    pos ^= DoubleArrayTrie.offset(u[pos])
                }
                if alive { bits[cp >> 6] |= 1 << UInt64(cp & 63) }
            }
        }
        bmpStartsRule = bits
    }

    /// Whether a rule may start at the character beginning at `p[i]` (conservative: true
    /// for characters outside the BMP when their lead byte starts a rule).
    @inline(__always)
    func mayStartRule(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Bool {
        let b0 = p[i]
        guard startsRule[Int(b0)] else { return false }
        if b0 >= 0xE0 && b0 < 0xF0 && i + 2 < n {
            let cp = (Int(b0 & 0x0F) << 12) | (Int(p[i + 1] & 0x3F) << 6) | Int(p[i + 2] & 0x3F)
            return bmpStartsRule[cp >> 6] & (1 << UInt64(cp & 63)) != 0
        }
        if b0 >= 0xC0 && b0 < 0xE0 && i + 1 < n {
            let cp = (Int(b0 & 0x1F) << 6) | Int(p[i + 1] & 0x3F)
            return bmpStartsRule[cp >> 6] & (1 << UInt64(cp & 63)) != 0
        }
        return true
    }

    /// Whether some replacement string contains `bytes`.
    func replacementsContain(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty, replacements.count >= bytes.count else { return false }
        for k in 0...(replacements.count - bytes.count) where replacements[k..<(k + bytes.count)].elementsEqual(bytes) { return true }
        return false
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

extension PrecompiledCharsmap {
    /// Every rule of the charsmap (source bytes → replacement bytes), sorted by source: the
    /// trie walked depth first. ``compile(_:)`` of these rules gives the same normalization.
    package var rules: [(source: [UInt8], target: [UInt8])] {
        var out: [(source: [UInt8], target: [UInt8])] = []
        let u = trie.units
        guard let root = u.first else { return out }
        var key: [UInt8] = []
        func walk(_ base: Int, depth: Int) {
            guard depth < 64 else { return }
            for c in 1..<256 {
                let p = base ^ c
                guard p < u.count, DoubleArrayTrie.label(u[p]) == UInt32(c) else { continue }
                let child = p ^ DoubleArrayTrie.offset(u[p])
                key.append(UInt8(c))
                if DoubleArrayTrie.hasLeaf(u[p]), child < u.count {
                    let r = replacement(DoubleArrayTrie.value(u[child]))
                    out.append((key, Array(replacements[r])))
                }
                walk(child, depth: depth + 1)
                key.removeLast()
            }
        }
        walk(DoubleArrayTrie.offset(root), depth: 0)
        return out
    }

    /// The serialized charsmap: trie size, trie units, replacement strings (the bytes it was
    /// parsed from).
    var blob: [UInt8] {
        var out: [UInt8] = []
        let size = UInt32(trie.units.count * 4)
        out += [UInt8(size & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 24)]
        for u in trie.units { out += [UInt8(u & 0xFF), UInt8(u >> 8 & 0xFF), UInt8(u >> 16 & 0xFF), UInt8(u >> 24)] }
        out += replacements
        return out
    }
}
