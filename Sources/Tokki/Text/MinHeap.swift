/// An element of a ``MinHeap``: `before` is the heap's order (the top is the element no other
/// comes before), and `arity` its fan-out.
package protocol MinHeapElement {
    /// Whether `a` comes out of the heap before `b` (a strict order).
    static func before(_ a: Self, _ b: Self) -> Bool
    /// Children per node: 2 (a binary heap) unless the element says otherwise (4 halves the
    /// levels, and a node's children sit side by side in memory).
    static var heapArity: Int { get }
}

extension MinHeapElement {
    /// A binary heap.
    @inlinable package static var heapArity: Int { 2 }
}

/// The one priority queue of the package: an implicit `d`-ary min-heap in an array, ordered by
/// ``MinHeapElement/before(_:_:)``. Sifting moves a hole instead of swapping, and the code is
/// `@inlinable` so that each element type gets its own specialised copy (the BPE merge loop
/// is the library's hottest path). Elements that neither comes before the other come out in
/// an unspecified order, so callers keep the order total (or the tied elements equal).
package struct MinHeap<Element: MinHeapElement> {
    @usableFromInline var items: [Element] = []

    /// An empty heap.
    @inlinable package init() {}

    /// A heap of `items` (built bottom-up in linear time).
    @inlinable package init(_ items: [Element]) {
        self.items = items
        var i = items.count / Element.heapArity + 1
        while i > 0 {
            i -= 1
            siftDown(i)
        }
    }

    /// Whether the heap is empty.
    @inlinable package var isEmpty: Bool { items.isEmpty }

    /// The number of elements.
    @inlinable package var count: Int { items.count }

    /// The top element (the one no other comes before), or nil.
    @inlinable package var top: Element? { items.first }

    /// Removes every element (keeping the storage when asked).
    @inlinable package mutating func removeAll(keepingCapacity: Bool = false) {
        items.removeAll(keepingCapacity: keepingCapacity)
    }

    /// Adds `element`.
    @inlinable @inline(__always)
    package mutating func push(_ element: Element) {
        items.append(element)
        items.withUnsafeMutableBufferPointer { h in
            var i = h.count - 1
            while i > 0 {
                let parent = (i - 1) / Element.heapArity  // below i, so inside the heap
                guard Element.before(element, h[parent]) else { break }
                h[i] = h[parent]
                i = parent
            }
            h[i] = element
        }
    }

    /// Removes and returns the top element, or nil when empty.
    @inlinable @inline(__always)
    package mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        let top = items.withUnsafeMutableBufferPointer { h in
            let top = h[0]
            // The last element fills the hole at the top, among the others.
            let n = h.count - 1
            if n > 0 { Self.siftDown(h, 0, h[n], count: n) }
            return top
        }
        items.removeLast()
        return top
    }

    /// Replaces the top element (which must exist) by `element`, e.g. the same item at a
    /// lower priority.
    @inlinable
    package mutating func replaceTop(_ element: Element) {
        items[0] = element
        siftDown(0)
    }

    /// Moves the element at `start` down to its place (the elements passed move up into the
    /// hole).
    @inlinable @inline(__always)
    mutating func siftDown(_ start: Int) {
        let n = items.count
        guard start < n else { return }
        items.withUnsafeMutableBufferPointer { h in Self.siftDown(h, start, h[start], count: n) }
    }

    /// Puts `moving` in the hole at `start` or below, among the first `count` elements of `h`
    /// (the elements passed move up into the hole).
    @inlinable @inline(__always)
    static func siftDown(_ h: UnsafeMutableBufferPointer<Element>, _ start: Int, _ moving: Element, count n: Int) {
        assert(n <= h.count, "MinHeap: sifting \(n) elements of \(h.count)")
        var i = start
        if Element.heapArity == 2 {
            while true {
                let l = 2 * i + 1
                if l >= n { break }
                var m = l
                if l + 1 < n && Element.before(h[l + 1], h[l]) { m = l + 1 }
                guard Element.before(h[m], moving) else { break }
                h[i] = h[m]
                i = m
            }
        } else {
            while true {
                let first = Element.heapArity * i + 1
                if first >= n { break }
                var m = first
                let last = min(first + Element.heapArity, n)
                var k = first + 1
                while k < last {
                    if Element.before(h[k], h[m]) { m = k }
                    k += 1
                }
                guard Element.before(h[m], moving) else { break }
                assert(m < n)  // children below `last` ≤ n
                h[i] = h[m]
                i = m
            }
        }
        h[i] = moving
    }
}

extension MinHeap: Sendable where Element: Sendable {}

/// A pair of symbols with its count, in the heap of BPE training (`TokkiTraining`'s
/// `PairMerger`). Higher counts come first; ties go to the smaller pair key, so the merge
/// order is deterministic.
package struct PairCount: MinHeapElement, Sendable {
    /// The count (in a heap with lazy deletion, possibly above the pair's current one).
    package var count: Int64
    /// The pair's key (left and right symbol ids).
    package var key: UInt64
    /// The pair's index.
    package var id: Int32

    /// A pair entry.
    @inlinable package init(count: Int64, key: UInt64, id: Int32) {
        self.count = count
        self.key = key
        self.id = id
    }

    /// Higher counts first, then smaller keys.
    @inlinable @inline(__always)
    package static func before(_ x: Self, _ y: Self) -> Bool {
        x.count != y.count ? x.count > y.count : x.key < y.key
    }

    /// A 4-ary heap (half the levels of a binary heap, and each node's children side by side
    /// in memory).
    @inlinable package static var heapArity: Int { 4 }
}

/// The ``MinHeap`` of ``PairCount``s with non-generic entry points: compiled (specialised)
/// here, so that BPE training in another module calls the specialised code rather than the
/// generic one.
package struct PairCountHeap: Sendable {
    private var heap: MinHeap<PairCount>

    /// An empty heap.
    package init() { heap = MinHeap() }

    /// A heap of `items` (built bottom-up in linear time).
    package init(_ items: [PairCount]) { heap = MinHeap(items) }

    /// The top entry (the highest count), or nil.
    package var top: PairCount? { heap.top }

    /// Adds `entry`.
    package mutating func push(_ entry: PairCount) { heap.push(entry) }

    /// Removes and returns the top entry, or nil when empty.
    @discardableResult
    package mutating func pop() -> PairCount? { heap.pop() }

    /// Replaces the top entry (the same pair at its lower current count).
    package mutating func replaceTop(_ entry: PairCount) { heap.replaceTop(entry) }
}
