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
public struct DoubleArrayTrie: Sendable, Equatable {
    /// The units.
    public let units: [UInt32]

    /// Wraps existing units (e.g. read from a model file).
    public init(units: [UInt32]) {
        self.units = units
    }

    @inline(__always) static func offset(_ u: UInt32) -> Int {
        Int((u >> 10) << ((u & (1 << 9)) >> 6))
    }
    @inline(__always) static func label(_ u: UInt32) -> UInt32 { u & ((1 << 31) | 0xFF) }
    @inline(__always) static func hasLeaf(_ u: UInt32) -> Bool { (u >> 8) & 1 == 1 }
    @inline(__always) static func value(_ u: UInt32) -> Int { Int(u & 0x7FFF_FFFF) }

    /// Calls `body(value, length)` for every key that is a prefix of `bytes[start..<end]`,
    /// shortest first. Stops early when `body` returns false.
    @inline(__always)
    public func forEachPrefix(of bytes: UnsafePointer<UInt8>, from start: Int, to end: Int,
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
    public func longestPrefix(of bytes: UnsafePointer<UInt8>, from start: Int, to end: Int) -> (value: Int, length: Int)? {
        var best: (Int, Int)? = nil
        forEachPrefix(of: bytes, from: start, to: end) { v, l in best = (v, l); return true }
        return best
    }

    /// The value stored for exactly `key`, if any.
    public func value(for key: [UInt8]) -> Int? {
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
    public enum BuildError: Error, Equatable, Sendable {
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
    public init(keys: [[UInt8]], values: [Int]) throws(BuildError) {
        precondition(keys.count == values.count, "one value per key")
        var order = Array(keys.indices)
        order.sort { keys[$0].lexicographicallyPrecedes(keys[$1]) }
        for (n, k) in order.enumerated() {
            let key = keys[k]
            if key.isEmpty || key.contains(0) { throw .invalidKey(key) }
            if n > 0 && keys[order[n - 1]] == key { throw .duplicateKey(key) }
            if values[k] < 0 || values[k] > 0x7FFF_FFFF { throw .valueOutOfRange(values[k]) }
        }
        var builder = Builder(keys: order.map { keys[$0] }, values: order.map { values[$0] })
        try builder.build()
        self.init(units: builder.finish())
    }

    private struct Builder {
        let keys: [[UInt8]]
        let values: [Int]
        var units: [UInt32] = []
        var used: [Bool] = []             // position taken
        var isBase: [Bool] = []           // position is some node's base
        // Circular doubly linked list of the free positions in the open window of blocks.
        var nextFree: [Int32] = []
        var prevFree: [Int32] = []
        var freeHead = -1
        var firstOpenBlock = 0
        static let window = 16            // blocks still searched for free positions

        init(keys: [[UInt8]], values: [Int]) {
            self.keys = keys
            self.values = values
            let estimate = keys.count * 4 + 256
            units.reserveCapacity(estimate); used.reserveCapacity(estimate); isBase.reserveCapacity(estimate)
            nextFree.reserveCapacity(estimate); prevFree.reserveCapacity(estimate)
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
            units.append(contentsOf: repeatElement(0, count: 256))
            used.append(contentsOf: repeatElement(false, count: 256))
            isBase.append(contentsOf: repeatElement(false, count: 256))
            nextFree.append(contentsOf: repeatElement(-1, count: 256))
            prevFree.append(contentsOf: repeatElement(-1, count: 256))
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
            guard !keys.isEmpty else { return }
            // Work list of (node position, key range, depth).
            var stack: [(Int, Int, Int, Int)] = [(0, 0, keys.count, 0)]
            var labels: [UInt8] = []
            var ranges: [(UInt8, Int, Int)] = []
            while let (node, lo, hi, depth) = stack.popLast() {
                // Children labels: 0 for the key ending here (sorted first), else the next byte.
                labels.removeAll(keepingCapacity: true)
                ranges.removeAll(keepingCapacity: true)
                var i = lo
                while i < hi {
                    let key = keys[i]
                    let c: UInt8 = key.count == depth ? 0 : key[depth]
                    var j = i + 1
                    if c != 0 {
                        while j < hi {
                            let k2 = keys[j]
                            if k2.count == depth || k2[depth] != c { break }
                            j += 1
                        }
                    }
                    labels.append(c)
                    ranges.append((c, i, j))
                    i = j
                }
                let base = try findBase(parent: node, labels: labels)
                isBase[base] = true
                units[node] |= Self.encode(node ^ base)
                for (c, a, b) in ranges {
                    let p = base ^ Int(c)
                    take(p)
                    if c == 0 {
                        // Value unit for the key keys[a] (exactly `depth` bytes long).
                        units[node] |= 1 << 8
                        units[p] = UInt32(values[a]) | (1 << 31)
                    } else {
                        units[p] = UInt32(c)
                        stack.append((p, a, b, depth + 1))
                    }
                }
            }
        }

        /// Gives every unused unit a label that no traversal can match: a node with base `b`
        /// reaches position `q` only with byte `q ^ b` (same 256-block), so labelling `q` with
        /// `q ^ u` for a block-local `u` that is nobody's base makes every such check fail.
        mutating func finish() -> [UInt32] {
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
            return units
        }
    }
}
