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

    /// `starts[b]`: whether some key starts with byte `b` (`b` > 0; keys hold no NUL).
    package var startBytes: [Bool] {
        var starts = [Bool](repeating: false, count: 256)
        guard let root = units.first else { return starts }
        let base = Self.offset(root)
        for c in 1..<256 {
            let p = base ^ c
            if p < units.count && Self.label(units[p]) == UInt32(c) { starts[c] = true }
        }
        return starts
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
    /// Whether every value a look-up can return is below `limit`: for each unit that marks a
    /// key's end, the unit its offset leads to (where the value is read) holds a value below
    /// `limit`, or lies outside the array (then a look-up stops there). One pass over the
    /// units; how a trie read from a cache image is checked before its values index arrays.
    package func valuesAreBelow(_ limit: Int) -> Bool {
        units.withUnsafeBufferPointer { u in
            let count = u.count
            for q in 0..<count where Self.hasLeaf(u[q]) {
                let p = q ^ Self.offset(u[q])
                if p < count && Self.value(u[p]) >= limit { return false }
            }
            return true
        }
    }

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
        let keys = try pool.withUnsafeBufferPointer { (p) throws(BuildError) in
            try SortedKeys(pool: p.baseAddress ?? UnsafePointer(bitPattern: 1)!, starts: starts, lengths: lengths, values: values)
        }
        let units = try keys.bytes.withUnsafeBufferPointer { (bytes) throws(BuildError) in
            try keys.starts.withUnsafeBufferPointer { (starts) throws(BuildError) in
                try keys.lcp.withUnsafeBufferPointer { (lcp) throws(BuildError) in
                    try keys.values.withUnsafeBufferPointer { (values) throws(BuildError) in
                        var builder = Builder(bytes: bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!, starts: starts.baseAddress!,
                                              lcp: lcp.baseAddress ?? UnsafePointer(bitPattern: 4)!, values: values.baseAddress ?? UnsafePointer(bitPattern: 4)!,
                                              count: values.count, nodes: keys.nodes)
                        try builder.build()
                        return builder.finish()
                    }
                }
            }
        }
        self.init(units: units)
    }

    /// The keys in byte-wise order (memcmp, then length), copied back to back, each with the
    /// length of the prefix it shares with the key before: a node's children are then the
    /// runs of its key range whose shared prefix is longer than the node's depth.
    private struct SortedKeys {
        /// Key `i` (in order) is `bytes[starts[i] ..< starts[i + 1]]`.
        var bytes: [UInt8] = []
        var starts: [Int32] = []
        /// `lcp[i]`: the bytes key `i` shares with key `i - 1` (0 for the first).
        var lcp: [Int32] = []
        var values: [UInt32] = []
        /// The trie's nodes, value units included (a lower bound on its units).
        var nodes = 1

        /// Sorts and checks the keys (`count` > 0, each inside the pool).
        init(pool: UnsafePointer<UInt8>, starts keyStarts: [Int32], lengths: [Int32], values keyValues: [Int]) throws(BuildError) {
            let order = Self.order(pool, keyStarts, lengths)
            let count = order.count
            let total = lengths.reduce(0) { $0 + Int($1) }
            var anyNUL = false
            bytes = [UInt8](unsafeUninitializedCapacity: total) { b, n in
                var at = 0
                for k in order {
                    let l = Int(lengths[Int(k)])
                    // `at + l` ≤ total = b.count: every key is copied once.
                    assert(at + l <= b.count)
                    if l > 0 { (b.baseAddress! + at).update(from: pool + Int(keyStarts[Int(k)]), count: l) }
                    at += l
                }
                n = total
                anyNUL = total > 0 && memchr(b.baseAddress!, 0, total) != nil
            }
            var sortedStarts = [Int32](repeating: 0, count: count + 1)
            var lcps = [Int32](repeating: 0, count: count)
            var sortedValues = [UInt32](repeating: 0, count: count)
            var nodes = 1
            try bytes.withUnsafeBufferPointer { (b) throws(BuildError) in
                let base = b.baseAddress ?? UnsafePointer(bitPattern: 1)!
                var at = 0
                for (n, k) in order.enumerated() {
                    let l = Int(lengths[Int(k)])
                    let key = base + at
                    if l == 0 || (anyNUL && memchr(key, 0, l) != nil) { throw .invalidKey(Array(UnsafeBufferPointer(start: key, count: l))) }
                    var m = 0
                    if n > 0 {
                        let prev = base + Int(sortedStarts[n - 1])
                        let limit = min(l, at - Int(sortedStarts[n - 1]))
                        while m + 8 <= limit && UnsafeRawPointer(prev + m).loadUnaligned(as: UInt64.self) == UnsafeRawPointer(key + m).loadUnaligned(as: UInt64.self) { m += 8 }
                        while m < limit && prev[m] == key[m] { m += 1 }
                        if m == l && m == at - Int(sortedStarts[n - 1]) { throw .duplicateKey(Array(UnsafeBufferPointer(start: key, count: l))) }
                    }
                    let v = keyValues[Int(k)]
                    if v < 0 || v > 0x7FFF_FFFF { throw .valueOutOfRange(v) }
                    sortedStarts[n] = Int32(at); lcps[n] = Int32(m); sortedValues[n] = UInt32(v)
                    nodes += l - m + 1
                    at += l
                }
                sortedStarts[count] = Int32(at)
            }
            starts = sortedStarts; lcp = lcps; values = sortedValues
            self.nodes = nodes
        }

        /// Eight bytes of a key as a big-endian integer (zero-padded), with the key's index.
        struct Entry { var prefix: UInt64; var index: Int32 }

        /// The key indices in byte-wise order (memcmp, then length).
        static func order(_ pool: UnsafePointer<UInt8>, _ starts: [Int32], _ lengths: [Int32]) -> [Int32] {
            let count = starts.count
            guard count > 0 else { return [] }
            var entries = [Entry](repeating: Entry(prefix: 0, index: 0), count: count)
            var scratch = entries
            starts.withUnsafeBufferPointer { s in
                lengths.withUnsafeBufferPointer { l in
                    entries.withUnsafeMutableBufferPointer { e in
                        scratch.withUnsafeMutableBufferPointer { t in
                            let sorter = Sorter(pool: pool, starts: s.baseAddress!, lengths: l.baseAddress!, a: e.baseAddress!, scratch: t.baseAddress!,
                                                count: count)
                            for i in 0..<count { e[i] = Entry(prefix: sorter.word(Int32(i), 0), index: Int32(i)) }
                            sorter.sort(0, count, byte: 0, offset: 0)
                        }
                    }
                }
            }
            return entries.map(\.index)
        }

        /// A most-significant-byte-first radix sort of entries on their keys: each entry
        /// caches 8 bytes of its key, refilled every 8 levels; short ranges go to insertion
        /// sort.
        struct Sorter {
            let pool: UnsafePointer<UInt8>
            let starts: UnsafePointer<Int32>
            let lengths: UnsafePointer<Int32>
            /// The entries and as many more to scatter into, `count` each.
            let a: UnsafeMutablePointer<Entry>
            let scratch: UnsafeMutablePointer<Entry>
            let count: Int

            /// Bytes `offset ..< offset + 8` of key `i`, big-endian, zero past its end.
            @inline(__always)
            func word(_ i: Int32, _ offset: Int) -> UInt64 {
                let s = Int(starts[Int(i)]) + offset, l = Int(lengths[Int(i)]) - offset
                if l >= 8 { return UInt64(bigEndian: UnsafeRawPointer(pool + s).loadUnaligned(as: UInt64.self)) }
                var v: UInt64 = 0
                for k in 0..<max(0, l) { v |= UInt64(pool[s + k]) << (56 - 8 * UInt64(k)) }
                return v
            }

            /// Whether `x`'s key sorts before `y`'s, given that they agree before `offset`
            /// and their `prefix` holds the 8 bytes from there.
            @inline(__always)
            func less(_ x: Entry, _ y: Entry, _ offset: Int) -> Bool {
                if x.prefix != y.prefix { return x.prefix < y.prefix }
                let lx = Int(lengths[Int(x.index)]) - offset - 8, ly = Int(lengths[Int(y.index)]) - offset - 8
                if lx <= 0 || ly <= 0 { return lx < ly }
                let c = memcmp(pool + Int(starts[Int(x.index)]) + offset + 8, pool + Int(starts[Int(y.index)]) + offset + 8, min(lx, ly))
                return c != 0 ? c < 0 : lx < ly
            }

            /// Sorts `a[lo..<hi]`, whose keys agree on their first `offset + byte` bytes and
            /// whose prefixes hold bytes `offset ..< offset + 8`.
            func sort(_ lo: Int, _ hi: Int, byte: Int, offset: Int) {
                // Every entry written below lies in lo..<hi.
                assert(lo >= 0 && lo <= hi && hi <= count)
                if hi - lo <= 24 {
                    for i in (lo + 1)..<max(lo + 1, hi) {
                        let e = a[i]
                        var j = i
                        while j > lo && less(e, a[j - 1], offset) { a[j] = a[j - 1]; j -= 1 }
                        a[j] = e
                    }
                    return
                }
                var byte = byte, offset = offset
                withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * 257) { buffer in
                    let c = buffer.baseAddress!, next = c + 257
                    var shift: UInt64 = 0
                    while true {
                        if byte == 8 {
                            // Every key agrees on its first `offset + 8` bytes: the next 8.
                            offset += 8; byte = 0
                            var longer = false
                            for i in lo..<hi {
                                a[i].prefix = word(a[i].index, offset)
                                longer = longer || Int(lengths[Int(a[i].index)]) > offset
                            }
                            if !longer { return }  // one key many times: reported as a duplicate
                        }
                        shift = UInt64(56 - 8 * byte)
                        c.update(repeating: 0, count: 257)
                        for i in lo..<hi { c[Int((a[i].prefix >> shift) & 0xFF) + 1] += 1 }
                        // A byte every key shares: on to the next.
                        if c[Int((a[lo].prefix >> shift) & 0xFF) + 1] != hi - lo { break }
                        byte += 1
                    }
                    // c[d] becomes the start of digit d (relative to lo), c[d + 1] its end.
                    for d in 0..<256 { c[d + 1] += c[d] }
                    next.update(from: c, count: 256)
                    for i in lo..<hi {
                        let d = Int((a[i].prefix >> shift) & 0xFF)
                        // next[d] < c[d + 1] ≤ hi - lo: each digit's slots are filled once.
                        assert(next[d] < hi - lo)
                        scratch[lo + next[d]] = a[i]
                        next[d] += 1
                    }
                    (a + lo).update(from: scratch + lo, count: hi - lo)
                    for d in 0..<256 where c[d + 1] - c[d] > 1 {
                        sort(lo + c[d], lo + c[d + 1], byte: byte + 1, offset: offset)
                    }
                }
            }
        }
    }

    private struct Work { var node: Int32; var lo: Int32; var hi: Int32; var depth: Int32 }

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

        private mutating func reserve(_ n: Int) {
            var grown = capacity * 2
            while grown < n { grown *= 2 }
            let larger = UnsafeMutablePointer<T>.allocate(capacity: grown)
            larger.update(from: base, count: count)
            base.deallocate()
            base = larger
            capacity = grown
        }

        /// Appends `n` copies of `value`.
        mutating func append(_ value: T, count n: Int) {
            if count + n > capacity { reserve(count + n) }
            assert(count + n <= capacity)
            (base + count).initialize(repeating: value, count: n)
            count += n
        }

        /// Appends `value`.
        @inline(__always)
        mutating func append(_ value: T) {
            if count == capacity { reserve(count + 1) }
            assert(count < capacity)
            (base + count).initialize(to: value)
            count += 1
        }

        /// Removes and returns the last value (`count` > 0).
        @inline(__always)
        mutating func removeLast() -> T {
            assert(count > 0)
            count -= 1
            return base[count]
        }

        subscript(i: Int) -> T {
            @inline(__always) get { assert(i >= 0 && i < count, "index \(i) outside 0..<\(count)"); return base[i] }
            @inline(__always) nonmutating set { assert(i >= 0 && i < count, "index \(i) outside 0..<\(count)"); base[i] = newValue }
        }

        var array: [T] { Array(UnsafeBufferPointer(start: base, count: count)) }
    }

    /// Places the nodes depth first (last child first), each at the lowest free position of
    /// the open window of blocks where its children fit (as Darts-clone does).
    ///
    /// Only the last `window` blocks of 256 units take new nodes, so which positions are
    /// taken (`used`) and which are some node's base (`isBase`) is kept for those only, as
    /// bitmaps in rings of 64-bit words indexed by `(position >> 6) & (ringWords - 1)`; a block
    /// leaving the window is final, and its unused units are labelled then (``close(_:)``).
    /// The search for a base tests 64 positions at once (``findBase(parent:labels:_:)``).
    private struct Builder: ~Copyable {
        let bytes: UnsafePointer<UInt8>
        let starts: UnsafePointer<Int32>
        let lcp: UnsafePointer<Int32>
        let values: UnsafePointer<UInt32>
        let count: Int
        var units: Growable<UInt32>
        let used: UnsafeMutablePointer<UInt64>
        let isBase: UnsafeMutablePointer<UInt64>
        var firstOpenBlock = 0
        /// Bit `r` set: ring word `r` has a free position (stale outside the open window).
        var hasFree: (UInt64, UInt64) = (0, 0)
        static let window = 16              // blocks still searched for free positions
        static let ringWords = 32 * 4       // 32 blocks of 4 words: more than window + 1 blocks

        init(bytes: UnsafePointer<UInt8>, starts: UnsafePointer<Int32>, lcp: UnsafePointer<Int32>, values: UnsafePointer<UInt32>,
             count: Int, nodes: Int) {
            self.bytes = bytes; self.starts = starts; self.lcp = lcp; self.values = values; self.count = count
            units = Growable(capacity: nodes + nodes / 8 + (Self.window + 1) * 256)
            used = .allocate(capacity: Self.ringWords)
            isBase = .allocate(capacity: Self.ringWords)
            addBlock()
            take(0)  // the root
        }

        deinit {
            used.deallocate(); isBase.deallocate()
        }

        /// The ring word holding position `q`'s bit (bit `q & 63`).
        @inline(__always) static func word(_ q: Int) -> Int { (q >> 6) & (ringWords - 1) }

        @inline(__always) func isUsed(_ q: Int) -> Bool { used[Self.word(q)] >> UInt64(q & 63) & 1 != 0 }
        @inline(__always) func isBase(_ q: Int) -> Bool { isBase[Self.word(q)] >> UInt64(q & 63) & 1 != 0 }
        @inline(__always)
        mutating func take(_ q: Int) {
            let r = Self.word(q)
            used[r] |= 1 << UInt64(q & 63)
            if used[r] == .max { setHasFree(r, false) }
        }

        @inline(__always)
        mutating func setHasFree(_ r: Int, _ free: Bool) {
            let bit: UInt64 = 1 << UInt64(r & 63)
            if r < 64 { hasFree.0 = free ? hasFree.0 | bit : hasFree.0 & ~bit } else { hasFree.1 = free ? hasFree.1 | bit : hasFree.1 & ~bit }
        }

        /// The first word from `w` (absolute) below `end` that has a free position, else `end`.
        @inline(__always)
        func nextFreeWord(_ w: Int, _ end: Int) -> Int {
            var w = w
            while w < end {
                let r = w & (Self.ringWords - 1)
                let bits = (r < 64 ? hasFree.0 : hasFree.1) >> UInt64(r & 63)
                if bits != 0 { return min(end, w + bits.trailingZeroBitCount) }
                w += 64 - (r & 63)
            }
            return end
        }

        /// Appends a block of 256 free units, closing the oldest block beyond the window.
        mutating func addBlock() {
            let start = units.count
            units.append(0, count: 256)
            // The words of a block that left the window long ago (ring > window + 1 blocks).
            // A block starts at a multiple of 256: its 4 words end within the ring.
            assert(start % 256 == 0 && Self.word(start) + 4 <= Self.ringWords)
            (used + Self.word(start)).update(repeating: 0, count: 4)
            (isBase + Self.word(start)).update(repeating: 0, count: 4)
            for r in Self.word(start)..<(Self.word(start) + 4) { setHasFree(r, true) }
            let blocks = units.count / 256
            while blocks - firstOpenBlock > Self.window {
                close(firstOpenBlock)
                firstOpenBlock += 1
            }
        }

        /// Gives every unused unit of a final block a label that no traversal can match: a
        /// node with base `b` reaches position `q` only with byte `q ^ b` (same 256-block), so
        /// labelling `q` with `q ^ u` for a block-local `u` that is nobody's base makes every
        /// such check fail.
        func close(_ block: Int) {
            let start = block * 256
            var unusedBase = -1
            for b in start..<(start + 256) where !isBase(b) { unusedBase = b; break }
            guard unusedBase >= 0 else { return }
            for q in start..<(start + 256) where !isUsed(q) {
                units[q] = UInt32((q ^ unusedBase) & 0xFF)
            }
        }

        static func encodable(_ offset: Int) -> Bool {
            offset < (1 << 21) || (offset & 0xFF == 0 && offset < (1 << 29))
        }

        static func encode(_ offset: Int) -> UInt32 {
            offset < (1 << 21) ? UInt32(offset) << 10 : (UInt32(offset >> 8) << 10) | (1 << 9)
        }

        /// Whether `base` (in an open block) can take children `labels[0..<n]` under `parent`.
        func fits(_ base: Int, parent: Int, labels: UnsafePointer<UInt8>, _ n: Int) -> Bool {
            if base <= 0 || isBase(base) { return false }
            if !Self.encodable(parent ^ base) { return false }
            for k in 0..<n where isUsed(base ^ Int(labels[k])) { return false }
            return true
        }

        /// `x` with bit `j` moved to bit `j ^ d` (`d` < 64): one swap of bit groups per bit of `d`.
        @inline(__always)
        static func xorPermuted(_ x: UInt64, _ d: Int) -> UInt64 {
            var x = x
            // Branch-free: each swap is kept or dropped by a mask from one bit of `d`.
            @inline(__always) func swap(_ x: UInt64, _ bit: Int, _ low: UInt64, _ shift: UInt64) -> UInt64 {
                let swapped = (x & low) << shift | (x >> shift) & low
                let keep = UInt64(truncatingIfNeeded: (d >> bit) & 1) &- 1   // all ones when the bit is clear
                return (x & keep) | (swapped & ~keep)
            }
            x = swap(x, 0, 0x5555_5555_5555_5555, 1)
            x = swap(x, 1, 0x3333_3333_3333_3333, 2)
            x = swap(x, 2, 0x0F0F_0F0F_0F0F_0F0F, 4)
            x = swap(x, 3, 0x00FF_00FF_00FF_00FF, 8)
            x = swap(x, 4, 0x0000_FFFF_0000_FFFF, 16)
            x = swap(x, 5, 0x0000_0000_FFFF_FFFF, 32)
            return x
        }

        /// Finds the base for children `labels[0..<n]` under `parent`: the lowest free
        /// position `q` of the open window such that `q ^ labels[0]` is nobody's base, every
        /// child slot `q ^ labels[0] ^ labels[k]` is free and the offset is encodable; else a
        /// fresh block.
        ///
        /// Word by word: bit `j` of word `w` stands for `q = 64w + j`; the bits of position
        /// `q ^ d` are those of word `w ^ (d >> 6)` (same block) moved by `j ^ (d & 63)`.
        mutating func findBase(parent: Int, labels: UnsafePointer<UInt8>, _ n: Int) throws(BuildError) -> Int {
            let first = Int(labels[0])
            let end = units.count >> 6
            var w = nextFreeWord(firstOpenBlock * 4, end)
            while w < end {
                // The free positions (label[0] leads to `q` itself), whose base is nobody's.
                var candidates = ~used[Self.word(w << 6)]
                candidates &= ~Self.xorPermuted(isBase[Self.word((w ^ (first >> 6)) << 6)], first & 63)
                var k = 1
                while k < n && candidates != 0 {
                    let d = first ^ Int(labels[k])
                    candidates &= ~Self.xorPermuted(used[Self.word((w ^ (d >> 6)) << 6)], d & 63)
                    k += 1
                }
                while candidates != 0 {
                    let q = w << 6 | candidates.trailingZeroBitCount
                    let base = q ^ first
                    if base > 0 && Self.encodable(parent ^ base) { return base }
                    candidates &= candidates - 1
                }
                w = nextFreeWord(w + 1, end)
            }
            // Nothing fits: open a fresh block and place the node there.
            while true {
                addBlock()
                let blockStart = units.count - 256
                for low in 0..<256 {
                    let base = blockStart | low
                    if fits(base, parent: parent, labels: labels, n) { return base }
                }
                if units.count >= (1 << 29) { throw .tooLarge }
            }
        }

        mutating func build() throws(BuildError) {
            guard count > 0 else { return }
            // Work list of (node position, key range, depth).
            var stack = Growable<Work>(capacity: 1024)
            stack.append(Work(node: 0, lo: 0, hi: Int32(count), depth: 0))
            // The children of one node: labels (0 first, for the key ending there) and the
            // start of each one's key range (the next one's start ends it).
            let labels = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
            let childStart = UnsafeMutablePointer<Int32>.allocate(capacity: 257)
            defer { labels.deallocate(); childStart.deallocate() }
            while stack.count > 0 {
                let work = stack.removeLast()
                let node = Int(work.node), lo = Int(work.lo), hi = Int(work.hi), depth = Int(work.depth)
                // Every key of lo..<hi shares `depth` bytes; only the first can end there (no
                // duplicates), and the others split where the shared prefix with the key
                // before stops at `depth`: at most 256 children, one per label.
                var n = 0
                var i = lo
                if Int(starts[i + 1] - starts[i]) == depth { labels[0] = 0; childStart[0] = Int32(i); n = 1; i += 1 }
                while i < hi {
                    assert(n < 256)
                    labels[n] = bytes[Int(starts[i]) + depth]; childStart[n] = Int32(i); n += 1
                    i += 1
                    while i < hi && Int(lcp[i]) > depth { i += 1 }
                }
                assert(n <= 256)  // childStart holds 257
                childStart[n] = Int32(hi)
                let base = try findBase(parent: node, labels: labels, n)
                isBase[Self.word(base)] |= 1 << UInt64(base & 63)
                units[node] |= Self.encode(node ^ base)
                for k in 0..<n {
                    let c = labels[k]
                    let p = base ^ Int(c)
                    take(p)
                    if c == 0 {
                        // Value unit for the key ending here (exactly `depth` bytes long).
                        units[node] |= 1 << 8
                        units[p] = values[Int(childStart[k])] | (1 << 31)
                    } else {
                        units[p] = UInt32(c)
                        stack.append(Work(node: Int32(p), lo: childStart[k], hi: childStart[k + 1], depth: Int32(depth + 1)))
                    }
                }
            }
        }

        /// The units, every block's unused ones labelled.
        func finish() -> [UInt32] {
            for block in firstOpenBlock..<(units.count / 256) { close(block) }
            return units.array
        }
    }
}
