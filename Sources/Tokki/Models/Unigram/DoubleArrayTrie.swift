#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A byte-keyed double-array trie in the Darts-clone layout used by SentencePiece.
///
/// Each unit is a `UInt32`:
/// - bits 0–7: the label (byte) that leads to this node; bit 31 is set on value units, so
///   a value unit never matches a byte;
/// - bit 8: the node has a value (a key ends here), stored in the unit at `index ^ offset`;
/// - bits 10–30 (with bit 9 as a ×256 scale flag): the XOR offset to the node's children.
///
/// The same array is read from SentencePiece's `precompiled_charsmap` and built here for
/// vocabularies (and, later, for writing charsmaps). Lookups never trap on any array
/// content: every index is bounds-checked.
package struct DoubleArrayTrie: Sendable, Equatable {
    /// The units.
    package let units: [UInt32]

    /// Wraps existing units (e.g. read from a model file).
    package init(units: [UInt32]) {
        self.units = units
    }

    // Unit accessors (inlinable, for `forEachPrefix` in other modules): from node `p` (the
    // root's is `offset(units[0])`), byte `c` leads to `q = p ^ c` when `label(units[q]) == c`,
    // and on to `q ^ offset(units[q])`; if `hasLeaf(units[q])`, a key ends there and its
    // value is `value(units[q ^ offset(units[q])])`.

    /// The child offset stored in a unit.
    @inlinable @inline(__always) static func offset(_ u: UInt32) -> Int {
        Int((u >> 10) << ((u & (1 << 9)) >> 6))
    }
    /// The label of a unit (a byte, with the leaf bit for value units).
    @inlinable @inline(__always) static func label(_ u: UInt32) -> UInt32 { u & ((1 << 31) | 0xFF) }
    /// Whether a key ends at the node a unit leads to.
    @inlinable @inline(__always) static func hasLeaf(_ u: UInt32) -> Bool { (u >> 8) & 1 == 1 }
    /// The value stored in a value unit.
    @inlinable @inline(__always) static func value(_ u: UInt32) -> Int { Int(u & 0x7FFF_FFFF) }

    /// Whether some key may contain `byte` (conservative: true whenever any node carries
    /// that label, so false means no key contains it).
    package func mayContain(_ byte: UInt8) -> Bool {
        units.contains { Self.label($0) == UInt32(byte) }
    }

    /// Calls `body(value, length)` for every key that is a prefix of `bytes[start..<end]`,
    /// shortest first. Stops early when `body` returns false.
    @inlinable @inline(__always)
    package func forEachPrefix(of bytes: UnsafePointer<UInt8>, from start: Int, to end: Int,
                              _ body: (Int, Int) -> Bool) {
        units.withUnsafeBufferPointer { u in
            let count = u.count
            guard count > 0 else { return }
            var pos = Self.offset(u[0])
            var i = start
            while i < end {
                let c = bytes[i]
                pos ^= Int(c)
                guard pos < count else { return }
                let unit = u[pos]
                guard Self.label(unit) == UInt32(c) else { return }
                pos ^= Self.offset(unit)
                i += 1
                if Self.hasLeaf(unit) {
                    guard pos < count else { return }
                    if !body(Self.value(u[pos]), i - start) { return }
                }
            }
        }
    }

    /// The longest key that is a prefix of `bytes[start..<end]`: its value and length.
    @inline(__always)
    package func longestPrefix(of bytes: UnsafePointer<UInt8>, from start: Int, to end: Int) -> (value: Int, length: Int)? {
        var best: (Int, Int)? = nil
        forEachPrefix(of: bytes, from: start, to: end) { v, l in best = (v, l); return true }
        return best
    }

    /// The value stored for exactly `key`, if any.
    package func value(for key: [UInt8]) -> Int? {
        var found: Int? = nil
        key.withUnsafeBufferPointer { b in
            guard let p = b.baseAddress else { return }
            forEachPrefix(of: p, from: 0, to: b.count) { v, l in
                if l == b.count { found = v }
                return true
            }
        }
        return found
    }
}

extension DoubleArrayTrie {
    /// Errors from building a trie.
    package enum BuildError: Error, Equatable, Sendable {
        /// A key is empty or contains a NUL byte (keys are NUL-terminated in the layout).
        case invalidKey([UInt8])
        /// The same key appears twice.
        case duplicateKey([UInt8])
        /// A value does not fit in 31 bits.
        case valueOutOfRange(Int)
        /// The trie outgrew the offsets the layout can encode.
        case tooLarge
    }

    /// Byte-wise lexicographic order (memcmp, then length).
    @inline(__always)
    static func less(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        let n = min(a.count, b.count)
        let c = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in n == 0 ? 0 : memcmp(pa.baseAddress!, pb.baseAddress!, n) }
        }
        return c != 0 ? c < 0 : a.count < b.count
    }

    /// Builds a trie mapping each key to its value. Keys need not be sorted.
    package init(keys: [[UInt8]], values: [Int]) throws(BuildError) {
        precondition(keys.count == values.count, "one value per key")
        var pool: [UInt8] = []
        pool.reserveCapacity(keys.reduce(0) { $0 + $1.count })
        var starts: [Int32] = [], lengths: [Int32] = []
        starts.reserveCapacity(keys.count); lengths.reserveCapacity(keys.count)
        for k in keys {
            starts.append(Int32(pool.count)); lengths.append(Int32(k.count))
            pool.append(contentsOf: k)
        }
        try self.init(pool: pool, starts: starts, lengths: lengths, values: values)
    }

    /// Builds a trie from keys stored back to back in `pool` (key `i` is
    /// `pool[starts[i] ..< starts[i] + lengths[i]]`). Keys need not be sorted.
    package init(pool: [UInt8], starts: [Int32], lengths: [Int32], values: [Int]) throws(BuildError) {
        precondition(starts.count == values.count && lengths.count == values.count, "one value per key")
        // Every key is read through an unchecked pointer into the pool.
        for k in 0..<values.count {
            let s = Int(starts[k]), l = Int(lengths[k])
            precondition(s >= 0 && l >= 0 && s + l <= pool.count, "key \(k) lies outside the pool")
        }
        let count = values.count
        // Sort by the first 8 bytes as a big-endian integer, then by the rest (memcmp).
        var prefix = [UInt64](repeating: 0, count: count)
        pool.withUnsafeBufferPointer { p in
            for i in 0..<count {
                var v: UInt64 = 0
                let s = Int(starts[i]), l = Int(lengths[i])
                for k in 0..<8 { v = (v << 8) | (k < l ? UInt64(p[s + k]) : 0) }
                prefix[i] = v
            }
        }
        // LSD radix sort on the 8-byte prefix (four 16-bit digits), then a comparison sort
        // only inside runs that share the whole prefix.
        var order = [Int32](unsafeUninitializedCapacity: count) { b, n in
            for i in 0..<count { b[i] = Int32(i) }
            n = count
        }
        var scratch = [Int32](repeating: 0, count: count)
        var histogram = [Int](repeating: 0, count: 256)
        for pass in 0..<8 {
            let shift = UInt64(8 * pass)
            histogram.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            prefix.withUnsafeBufferPointer { pre in
                histogram.withUnsafeMutableBufferPointer { h in
                    for i in 0..<count { h[Int((pre[i] >> shift) & 0xFF)] += 1 }  // a byte: < 256 = h.count
                }
            }
            // A digit shared by every key leaves the order as it is.
            if histogram.contains(count) { continue }
            var sum = 0
            for d in 0..<256 { let c = histogram[d]; histogram[d] = sum; sum += c }
            prefix.withUnsafeBufferPointer { pre in
                histogram.withUnsafeMutableBufferPointer { h in
                    order.withUnsafeBufferPointer { o in
                        scratch.withUnsafeMutableBufferPointer { out in
                            for k in o {
                                let d = Int((pre[Int(k)] >> shift) & 0xFF)
                                // h[d] is the running start of digit d: below `count` = out.count.
                                assert(h[d] < out.count)
                                out[h[d]] = k
                                h[d] += 1
                            }
                        }
                    }
                }
            }
            swap(&order, &scratch)
        }
        pool.withUnsafeBufferPointer { p in
            var runStart = 0
            while runStart < count {
                var runEnd = runStart + 1
                let key = prefix[Int(order[runStart])]
                while runEnd < count && prefix[Int(order[runEnd])] == key { runEnd += 1 }
                if runEnd - runStart > 1 {
                    order[runStart..<runEnd].sort { a, b in
                        let la = Int(lengths[Int(a)]), lb = Int(lengths[Int(b)])
                        if la <= 8 || lb <= 8 { return la < lb }
                        let m = min(la, lb) - 8
                        let c = memcmp(p.baseAddress! + Int(starts[Int(a)]) + 8, p.baseAddress! + Int(starts[Int(b)]) + 8, m)
                        return c != 0 ? c < 0 : la < lb
                    }
                }
                runStart = runEnd
            }
        }
        // Validate and detect duplicates (adjacent after sorting).
        var sortedStarts = [Int32](repeating: 0, count: count), sortedLengths = [Int32](repeating: 0, count: count)
        var sortedValues = [Int](repeating: 0, count: count)
        try pool.withUnsafeBufferPointer { (p) throws(BuildError) in
            for (n, k) in order.enumerated() {
                let s = Int(starts[Int(k)]), l = Int(lengths[Int(k)])
                if l == 0 || memchr(p.baseAddress! + s, 0, l) != nil { throw .invalidKey(Array(p[s..<(s + l)])) }
                if n > 0 {
                    let pk = order[n - 1]
                    let ps = Int(starts[Int(pk)]), pl = Int(lengths[Int(pk)])
                    if pl == l && memcmp(p.baseAddress! + ps, p.baseAddress! + s, l) == 0 { throw .duplicateKey(Array(p[s..<(s + l)])) }
                }
                let v = values[Int(k)]
                if v < 0 || v > 0x7FFF_FFFF { throw .valueOutOfRange(v) }
                sortedStarts[n] = Int32(s); sortedLengths[n] = Int32(l); sortedValues[n] = v
            }
        }
        var builder = Builder(pool: pool, starts: sortedStarts, lengths: sortedLengths, values: sortedValues)
        try builder.build()
        self.init(units: builder.finish())
    }

    private struct Work { var node: Int; var lo: Int; var hi: Int; var depth: Int }
    private struct Child { var label: UInt8; var lo: Int; var hi: Int }

    /// A growable array of trivial values that the builder reads and writes through its
    /// pointer: no uniqueness or bounds checks in the hot loops (bounds are asserted in debug
    /// builds). Grows by doubling, copying into a new allocation.
    private struct Growable<T: BitwiseCopyable>: ~Copyable {
        private(set) var base: UnsafeMutablePointer<T>
        private(set) var count = 0
        private var capacity: Int

        init(capacity: Int) {
            self.capacity = max(256, capacity)
            base = .allocate(capacity: self.capacity)
        }

        deinit { base.deallocate() }

        /// Appends `n` copies of `value`.
        mutating func append(_ value: T, count n: Int) {
            if count + n > capacity {
                var grown = capacity * 2
                while grown < count + n { grown *= 2 }
                let larger = UnsafeMutablePointer<T>.allocate(capacity: grown)
                larger.update(from: base, count: count)
                base.deallocate()
                base = larger
                capacity = grown
            }
            assert(count + n <= capacity)
            (base + count).initialize(repeating: value, count: n)
            count += n
        }

        subscript(i: Int) -> T {
            @inline(__always) get { assert(i >= 0 && i < count, "index \(i) outside 0..<\(count)"); return base[i] }
            @inline(__always) nonmutating set { assert(i >= 0 && i < count, "index \(i) outside 0..<\(count)"); base[i] = newValue }
        }

        var array: [T] { Array(UnsafeBufferPointer(start: base, count: count)) }
    }

    private struct Builder: ~Copyable {
        let pool: [UInt8]
        let starts: [Int32]
        let lengths: [Int32]
        let values: [Int]
        var units: Growable<UInt32>
        var used: Growable<Bool>             // position taken
        var isBase: Growable<Bool>           // position is some node's base
        // Circular doubly linked list of the free positions in the open window of blocks.
        var nextFree: Growable<Int32>
        var prevFree: Growable<Int32>
        var freeHead = -1
        var firstOpenBlock = 0
        static let window = 16            // blocks still searched for free positions

        init(pool: [UInt8], starts: [Int32], lengths: [Int32], values: [Int]) {
            self.pool = pool
            self.starts = starts
            self.lengths = lengths
            self.values = values
            let estimate = values.count * 4 + 256
            units = Growable(capacity: estimate); used = Growable(capacity: estimate); isBase = Growable(capacity: estimate)
            nextFree = Growable(capacity: estimate); prevFree = Growable(capacity: estimate)
            addBlock()
            take(0)  // the root
        }

        mutating func unlinkFree(_ q: Int) {
            let n = Int(nextFree[q]), p = Int(prevFree[q])
            if n == q { freeHead = -1 } else {
                nextFree[p] = Int32(n); prevFree[n] = Int32(p)
                if freeHead == q { freeHead = n }
            }
            nextFree[q] = -1; prevFree[q] = -1
        }

        mutating func take(_ q: Int) {
            if nextFree[q] >= 0 { unlinkFree(q) }
            used[q] = true
        }

        /// Appends a block of 256 free units, closing the oldest block beyond the window.
        mutating func addBlock() {
            let start = units.count
            units.append(0, count: 256)
            used.append(false, count: 256)
            isBase.append(false, count: 256)
            nextFree.append(-1, count: 256)
            prevFree.append(-1, count: 256)
            for q in start..<(start + 256) {
                if freeHead < 0 {
                    freeHead = q; nextFree[q] = Int32(q); prevFree[q] = Int32(q)
                } else {
                    let tail = Int(prevFree[freeHead])
                    nextFree[tail] = Int32(q); prevFree[q] = Int32(tail)
                    nextFree[q] = Int32(freeHead); prevFree[freeHead] = Int32(q)
                }
            }
            let blocks = units.count / 256
            while blocks - firstOpenBlock > Self.window {
                let b = firstOpenBlock * 256
                for q in b..<(b + 256) where nextFree[q] >= 0 { unlinkFree(q) }
                firstOpenBlock += 1
            }
        }

        static func encodable(_ offset: Int) -> Bool {
            offset < (1 << 21) || (offset & 0xFF == 0 && offset < (1 << 29))
        }

        static func encode(_ offset: Int) -> UInt32 {
            offset < (1 << 21) ? UInt32(offset) << 10 : (UInt32(offset >> 8) << 10) | (1 << 9)
        }

        func fits(_ base: Int, parent: Int, labels: [UInt8]) -> Bool {
            if base <= 0 || base >= isBase.count || isBase[base] { return false }
            if !Self.encodable(parent ^ base) { return false }
            for c in labels where used[base ^ Int(c)] { return false }
            return true
        }

        /// Finds a base whose child slots for `labels` are all free and whose offset from
        /// `parent` is encodable, searching the free positions of the open window.
        mutating func findBase(parent: Int, labels: [UInt8]) throws(BuildError) -> Int {
            if freeHead >= 0 {
                var q = freeHead
                repeat {
                    let base = q ^ Int(labels[0])
                    if fits(base, parent: parent, labels: labels) { return base }
                    q = Int(nextFree[q])
                } while q != freeHead
            }
            // Nothing fits: open a fresh block and place the node there.
            while true {
                addBlock()
                let blockStart = units.count - 256
                for low in 0..<256 {
                    let base = blockStart | low
                    if fits(base, parent: parent, labels: labels) { return base }
                }
                if units.count >= (1 << 29) { throw .tooLarge }
            }
        }

        mutating func build() throws(BuildError) {
            guard !values.isEmpty else { return }
            // Work list of (node position, key range, depth).
            var stack: [Work] = [Work(node: 0, lo: 0, hi: values.count, depth: 0)]
            try pool.withUnsafeBufferPointer { (p) throws(BuildError) in
            @inline(__always) func byte(_ key: Int, _ depth: Int) -> UInt8 {
                Int(lengths[key]) == depth ? 0 : p[Int(starts[key]) + depth]
            }
            var labels: [UInt8] = []
            var ranges: [Child] = []
            while let work = stack.popLast() {
                let node = work.node, lo = work.lo, hi = work.hi, depth = work.depth
                // Children labels: 0 for the key ending here (sorted first), else the next byte.
                labels.removeAll(keepingCapacity: true)
                ranges.removeAll(keepingCapacity: true)
                var i = lo
                while i < hi {
                    let c = byte(i, depth)
                    var j = i + 1
                    if c != 0 {
                        while j < hi && byte(j, depth) == c { j += 1 }
                    }
                    labels.append(c)
                    ranges.append(Child(label: c, lo: i, hi: j))
                    i = j
                }
                let base = try findBase(parent: node, labels: labels)
                isBase[base] = true
                units[node] |= Self.encode(node ^ base)
                for child in ranges {
                    let c = child.label, a = child.lo, b = child.hi
                    let p = base ^ Int(c)
                    take(p)
                    if c == 0 {
                        // Value unit for the key keys[a] (exactly `depth` bytes long).
                        units[node] |= 1 << 8
                        units[p] = UInt32(values[a]) | (1 << 31)
                    } else {
                        units[p] = UInt32(c)
                        stack.append(Work(node: p, lo: a, hi: b, depth: depth + 1))
                    }
                }
            }
            }
        }

        /// Gives every unused unit a label that no traversal can match: a node with base `b`
        /// reaches position `q` only with byte `q ^ b` (same 256-block), so labelling `q` with
        /// `q ^ u` for a block-local `u` that is nobody's base makes every such check fail.
        func finish() -> [UInt32] {
            let blocks = units.count / 256
            for block in 0..<blocks {
                let start = block * 256
                var taken = [Bool](repeating: false, count: 256)
                for b in start..<(start + 256) where isBase[b] { taken[b - start] = true }
                guard let free = taken.firstIndex(of: false) else { continue }
                let unusedBase = start + free
                for q in start..<(start + 256) where !used[q] {
                    units[q] = UInt32((q ^ unusedBase) & 0xFF)
                }
            }
            return units.array
        }
    }
}
