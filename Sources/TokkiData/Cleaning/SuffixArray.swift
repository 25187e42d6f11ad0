/// Suffix arrays over bytes: SA-IS construction (Nong, Zhang and Chan, "Linear Suffix Array
/// Construction by Almost Pure Induced-Sorting", 2009) and the permuted LCP array by the Φ
/// method (Kärkkäinen, Manzini and Puglisi, 2009), both in linear time, with `Int32` indices
/// (texts shorter than 2 GiB).
///
/// Memory: the text, 4 bytes per byte for the suffix array, and while it is built a type bitmap
/// (1 bit per byte) and bucket arrays for the reduced strings of the recursion (4 bytes per
/// distinct name, at most half the text length, and in practice far fewer). The reduced string
/// and its suffix array live inside the suffix array being built. ``permutedLCP(_:suffixArray:into:stop:)``
/// needs another 4 bytes per byte.
public enum SuffixArray {
    /// The longest text these arrays index (`Int32` indices).
    public static let maxLength = Int(Int32.max) - 1

    /// The suffix array of `text`: the starting positions of its suffixes in lexicographic
    /// byte order (a proper prefix sorts first).
    public static func build(_ text: [UInt8]) -> [Int32] {
        precondition(text.count <= maxLength, "text longer than SuffixArray.maxLength")
        var sa = [Int32](repeating: 0, count: text.count)
        text.withUnsafeBufferPointer { t in
            sa.withUnsafeMutableBufferPointer { build(t, into: $0) }
        }
        return sa
    }

    /// Writes the suffix array of `text` into `sa` (of the same count).
    public static func build(_ text: UnsafeBufferPointer<UInt8>, into sa: UnsafeMutableBufferPointer<Int32>) {
        precondition(sa.count == text.count && text.count <= maxLength, "suffix array size")
        guard let t = text.baseAddress, let s = sa.baseAddress else { return }
        sais(BytesText(p: t), s, text.count, 256)
    }

    /// The permuted LCP array: for every text position `i`, the length of the longest common
    /// prefix of the suffix at `i` and the suffix just before it in `suffixArray` (0 for the
    /// first suffix). A match never extends over a byte equal to `stop` (pass a byte that
    /// separates documents; nil: none). Written into `plcp` (of the text's count).
    public static func permutedLCP(_ text: UnsafeBufferPointer<UInt8>, suffixArray sa: UnsafeBufferPointer<Int32>,
                                   into plcp: UnsafeMutableBufferPointer<Int32>, stop: UInt8?) {
        let n = text.count
        precondition(sa.count == n && plcp.count == n, "permuted LCP size")
        guard n > 0, let t = text.baseAddress, let phi = plcp.baseAddress, let s = sa.baseAddress else { return }
        // Φ[SA[r]] = SA[r-1]: the suffix just before, by position.
        assert(s[0] >= 0 && Int(s[0]) < n)
        phi[Int(s[0])] = -1
        for r in 1..<n {
            let p = Int(s[r])
            assert(p >= 0 && p < n)
            phi[p] = s[r - 1]
        }
        // PLCP[i] ≥ PLCP[i-1] - 1 (also with the stop byte: a match that stops there starts one
        // byte nearer to it at i), so l carries over; computed in place over Φ.
        let stopByte = Int(stop ?? 0)
        let stopping = stop != nil
        var l = 0
        for i in 0..<n {
            let j = Int(phi[i])
            assert(i < plcp.count && j < n)
            if j < 0 { phi[i] = 0; l = 0; continue }
            while i + l < n && j + l < n {
                let c = t[i + l]
                if c != t[j + l] || (stopping && Int(c) == stopByte) { break }
                l += 1
            }
            phi[i] = Int32(l)
            if l > 0 { l -= 1 }
        }
    }

    /// Convenience: the permuted LCP array of `text` and its suffix array.
    public static func permutedLCP(_ text: [UInt8], suffixArray: [Int32], stop: UInt8?) -> [Int32] {
        var plcp = [Int32](repeating: 0, count: text.count)
        text.withUnsafeBufferPointer { t in
            suffixArray.withUnsafeBufferPointer { s in
                plcp.withUnsafeMutableBufferPointer { permutedLCP(t, suffixArray: s, into: $0, stop: stop) }
            }
        }
        return plcp
    }
}

// MARK: - SA-IS

/// A text SA-IS sorts: bytes at the top level, names (Int32) in the recursion.
private protocol SAISText {
    func at(_ i: Int) -> Int
}

private struct BytesText: SAISText {
    let p: UnsafePointer<UInt8>
    @inline(__always) func at(_ i: Int) -> Int { Int(p[i]) }
}

private struct NamesText: SAISText {
    let p: UnsafePointer<Int32>
    @inline(__always) func at(_ i: Int) -> Int { Int(p[i]) }
}

/// One bit per position: set for S-type suffixes (smaller than the suffix that follows).
private struct TypeBits {
    let words: UnsafeMutablePointer<UInt64>
    let n: Int

    init(_ n: Int) {
        self.n = n
        let count = (n + 63) >> 6
        words = .allocate(capacity: max(1, count))
        words.initialize(repeating: 0, count: max(1, count))
    }

    func free() { words.deallocate() }

    @inline(__always) func isS(_ i: Int) -> Bool {
        assert(i >= 0 && i < n)
        return words[i >> 6] & (1 << UInt64(i & 63)) != 0
    }

    @inline(__always) func setS(_ i: Int) {
        assert(i >= 0 && i < n)
        words[i >> 6] |= 1 << UInt64(i & 63)
    }

    /// A leftmost S-type position: S, with an L-type position before it.
    @inline(__always) func isLMS(_ i: Int) -> Bool { i > 0 && isS(i) && !isS(i - 1) }
}

/// Bucket starts (`end` false) or ends (`end` true: one past the last slot) of every symbol.
@inline(__always)
private func fillBuckets<T: SAISText>(_ s: T, _ n: Int, _ bkt: UnsafeMutablePointer<Int32>, _ k: Int, end: Bool) {
    bkt.update(repeating: 0, count: k)
    for i in 0..<n {
        let c = s.at(i)
        assert(c >= 0 && c < k)
        bkt[c] += 1
    }
    var sum: Int32 = 0
    for c in 0..<k {
        sum += bkt[c]
        bkt[c] = end ? sum : sum - bkt[c]
    }
}

/// Induces L-type suffixes from the suffixes in `sa` (left to right), then S-type suffixes
/// (right to left). The empty suffix at `n` is virtual: smaller than every other, so the suffix
/// at `n - 1` (L-type) comes first in its bucket.
private func induce<T: SAISText>(_ s: T, _ sa: UnsafeMutablePointer<Int32>, _ n: Int, _ k: Int,
                                 _ types: TypeBits, _ bkt: UnsafeMutablePointer<Int32>) {
    fillBuckets(s, n, bkt, k, end: false)
    var c = s.at(n - 1)
    assert(Int(bkt[c]) < n)
    sa[Int(bkt[c])] = Int32(n - 1)
    bkt[c] += 1
    for i in 0..<n {
        let v = Int(sa[i])
        guard v > 0 else { continue }
        let j = v - 1
        if !types.isS(j) {
            c = s.at(j)
            let slot = Int(bkt[c])
            assert(slot >= 0 && slot < n)
            sa[slot] = Int32(j)
            bkt[c] += 1
        }
    }
    fillBuckets(s, n, bkt, k, end: true)
    var i = n - 1
    while i >= 0 {
        let v = Int(sa[i])
        if v > 0 {
            let j = v - 1
            if types.isS(j) {
                c = s.at(j)
                bkt[c] -= 1
                let slot = Int(bkt[c])
                assert(slot >= 0 && slot < n)
                sa[slot] = Int32(j)
            }
        }
        i -= 1
    }
}

/// SA-IS: the suffix array of `s` (n symbols in 0..<k) into `sa[0..<n]`.
private func sais<T: SAISText>(_ s: T, _ sa: UnsafeMutablePointer<Int32>, _ n: Int, _ k: Int) {
    if n == 0 { return }
    if n == 1 { sa[0] = 0; return }  // sa has n slots
    // Types: the last suffix is L (the virtual sentinel after it is smaller).
    let types = TypeBits(n)
    defer { types.free() }
    var i = n - 2
    while i >= 0 {
        let a = s.at(i), b = s.at(i + 1)
        if a < b || (a == b && types.isS(i + 1)) { types.setS(i) }
        i -= 1
    }
    let bkt = UnsafeMutablePointer<Int32>.allocate(capacity: k)
    defer { bkt.deallocate() }

    // Stage 1: LMS positions at their bucket ends, induce, and the LMS substrings come out sorted.
    sa.update(repeating: -1, count: n)
    fillBuckets(s, n, bkt, k, end: true)
    for p in 1..<n where types.isLMS(p) {
        let c = s.at(p)
        bkt[c] -= 1
        let slot = Int(bkt[c])
        assert(slot >= 0 && slot < n)
        sa[slot] = Int32(p)
    }
    induce(s, sa, n, k, types, bkt)

    // The sorted LMS positions to the front.
    var n1 = 0
    for r in 0..<n {
        let v = Int(sa[r])
        if v > 0 && types.isLMS(v) {
            assert(n1 <= r)
            sa[n1] = Int32(v)
            n1 += 1
        }
    }
    // Name the LMS substrings (equal substrings, equal names), stored at n1 + position/2 (LMS
    // positions are at least 2 apart, and n1 ≤ n/2).
    (sa + n1).update(repeating: -1, count: n - n1)
    var names = 0
    var previous = -1
    for r in 0..<n1 {
        let p = Int(sa[r])
        var differs = false
        var d = 0
        while true {
            if previous < 0 || p + d == n || previous + d == n { differs = true; break }
            if s.at(p + d) != s.at(previous + d) || types.isS(p + d) != types.isS(previous + d) { differs = true; break }
            if d > 0 && (types.isLMS(p + d) || types.isLMS(previous + d)) { break }
            d += 1
        }
        if differs { names += 1; previous = p }
        let slot = n1 + p / 2
        assert(slot >= n1 && slot < n)
        sa[slot] = Int32(names - 1)
    }
    // The reduced string (names in text order) to the last n1 slots.
    var j = n - 1
    var r = n - 1
    while r >= n1 {
        if sa[r] >= 0 {
            assert(j >= r)
            sa[j] = sa[r]
            j -= 1
        }
        r -= 1
    }
    let s1 = sa + (n - n1)
    // Stage 2: sort the reduced string (recursively while names repeat).
    if names < n1 {
        sais(NamesText(p: UnsafePointer(s1)), sa, n1, names)
    } else {
        for q in 0..<n1 {
            let name = Int(s1[q])
            assert(name >= 0 && name < n1)
            sa[name] = Int32(q)
        }
    }
    // Stage 3: the LMS suffixes in sorted order at their bucket ends, then induce.
    j = 0
    for p in 1..<n where types.isLMS(p) {
        assert(j < n1)
        s1[j] = Int32(p)
        j += 1
    }
    for q in 0..<n1 {
        let rank = Int(sa[q])
        assert(rank >= 0 && rank < n1)
        sa[q] = s1[rank]
    }
    (sa + n1).update(repeating: -1, count: n - n1)
    fillBuckets(s, n, bkt, k, end: true)
    var q = n1 - 1
    while q >= 0 {
        let p = Int(sa[q])
        sa[q] = -1
        let c = s.at(p)
        bkt[c] -= 1
        let slot = Int(bkt[c])
        assert(slot >= q && slot < n)
        sa[slot] = Int32(p)
        q -= 1
    }
    induce(s, sa, n, k, types, bkt)
}
