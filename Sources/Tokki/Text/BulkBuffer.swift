import Foundation

/// Raw memory of an upper-bound size for bulk readers (``TokenizerJSONBulkReader``) (only the pages
/// written are ever committed), appended to without capacity checks: either owned (copied
/// into an exact-size array at the end, then freed explicitly) or wrapping an array's
/// uninitialized capacity.
struct BulkBuffer<Element: BitwiseCopyable> {
    private let base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    /// The elements the memory holds: the callers' upper bound, checked only by debug asserts.
    let capacity: Int

    /// Owned memory for `capacity` elements (release it with ``free()``).
    init(capacity: Int) {
        self.capacity = max(1, capacity)
        base = .allocate(capacity: self.capacity)
    }

    /// Writes into memory someone else owns, `capacity` elements (never call ``free()`` then).
    init(wrapping base: UnsafeMutablePointer<Element>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    @inline(__always)
    mutating func append(_ e: Element) {
        assert(count < capacity, "BulkBuffer: append past the upper bound of \(capacity)")
        base[count] = e
        count += 1
    }

    @inline(__always)
    mutating func append(_ p: UnsafePointer<Element>, _ n: Int) {
        assert(n >= 0 && count + n <= capacity, "BulkBuffer: \(n) more after \(count) exceed the upper bound of \(capacity)")
        memcpy(base + count, p, n * MemoryLayout<Element>.stride)
        count += n
    }

    /// Removes element `at`, moving the later ones down.
    mutating func remove(at index: Int) {
        assert(index >= 0 && index < count, "BulkBuffer: remove(at: \(index)) of \(count)")
        memmove(base + index, base + index + 1, (count - index - 1) * MemoryLayout<Element>.stride)
        count -= 1
    }

    /// The elements as an array.
    func array() -> [Element] {
        Array(UnsafeBufferPointer(start: base, count: count))
    }

    func free() { base.deallocate() }
}

extension BulkBuffer where Element == UInt8 {
    /// The index of the first space at or after `from`, or nil.
    func firstSpace(from: Int) -> Int? {
        var k = from
        while k < count {
            if base[k] == 0x20 { return k }
            k += 1
        }
        return nil
    }
}
