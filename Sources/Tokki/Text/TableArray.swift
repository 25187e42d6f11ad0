/// The elements of a lookup table: an array, or a stretch of a model cache image's mapping
/// (``ImageReader/mappedArray(_:)``) used where it lies, without a copy.
///
/// Reading a table out of an image into fresh arrays cost a warm load most of its time: the
/// kernel zeroes and maps in every page of the copy (about 0.35 ms per MB on this machine),
/// then the copy writes it again. A mapped stretch is read-only; the first change (a token
/// added to a loaded vocabulary) copies it into an array first, so a table reads the same
/// whichever it holds.
///
/// The mapping lives as long as any table that uses it (the table keeps its owner). As with
/// every mapped model file, a cache image truncated by another process while it is mapped
/// stops the process (SIGBUS); the cache replaces images by renaming a new file over them and
/// deletes them with `unlink`, which leaves a mapped file intact.
struct TableArray<Element>: @unchecked Sendable {
    // @unchecked: a mapped stretch is never written; the table that holds this array keeps
    // the mapping alive (see ``init(mappedAt:count:)``).
    private var array: [Element]
    /// The first element in the mapping (nil: `array` holds the elements). Only a pointer, no
    /// owner: a table holding this array holds the mapping's owner once for all its arrays,
    /// so that copying a model (which some paths do per word) retains no more than before.
    private var base: UnsafePointer<Element>?
    /// The number of elements.
    private(set) var count: Int

    /// The elements of `array`.
    init(_ array: [Element]) {
        self.array = array
        base = nil
        count = array.count
    }

    /// `count` elements at `base`, inside a mapping (which must hold them all, aligned for
    /// `Element`; the caller checks) that whoever holds this array keeps alive as long as it
    /// and its copies live (``ImageReader/mappingOwner``).
    init(mappedAt base: UnsafePointer<Element>, count: Int) {
        array = []
        self.base = base
        self.count = count
    }

    /// Whether the elements are used in place in a mapping.
    var isMapped: Bool { base != nil }

    var isEmpty: Bool { count == 0 }

    /// Calls `body` with the elements (valid only during the call).
    @inline(__always)
    func withUnsafeBufferPointer<R, E: Error>(_ body: (UnsafeBufferPointer<Element>) throws(E) -> R) throws(E) -> R {
        if let base { return try body(UnsafeBufferPointer(start: base, count: count)) }
        return try array.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with the elements to change them (a mapped table is copied first).
    mutating func withUnsafeMutableBufferPointer<R>(_ body: (inout UnsafeMutableBufferPointer<Element>) -> R) -> R {
        makeOwned()
        return array.withUnsafeMutableBufferPointer(body)
    }

    /// The element at `i` (checked).
    @inline(__always)
    subscript(i: Int) -> Element {
        get {
            if let base {
                precondition(i >= 0 && i < count, "TableArray index out of range")
                return base[i]
            }
            return array[i]
        }
        set {
            makeOwned()
            array[i] = newValue
        }
    }

    /// Appends `element` (a mapped table is copied first).
    mutating func append(_ element: Element) {
        makeOwned()
        array.append(element)
        count += 1
    }

    /// Makes room for `n` elements (a mapped table is copied first).
    mutating func reserveCapacity(_ n: Int) {
        makeOwned()
        array.reserveCapacity(n)
    }

    /// The elements as an array (a copy when mapped).
    var arrayValue: [Element] {
        guard let base else { return array }
        return Array(UnsafeBufferPointer(start: base, count: count))
    }

    /// Copies mapped elements into an array of this table's own.
    private mutating func makeOwned() {
        guard base != nil else { return }
        array = arrayValue
        base = nil
    }
}
