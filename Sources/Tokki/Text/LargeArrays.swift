#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Large arrays built while loading a model (file bytes, hash tables), backed by the kernel's
/// 2 MB pages where it offers them.
///
/// Loading a 150,000-token tokenizer.json touches about 36 MB of fresh memory, and with 4 KB
/// pages each page is a fault of its own: on a virtual machine some 9,000 faults, a third of
/// the load time. Linux hands out transparent huge pages to ranges marked with
/// `madvise(MADV_HUGEPAGE)` (its default "madvise" mode), one fault per 2 MB. A fresh large
/// allocation is marked before it is first written; elsewhere (or when the kernel declines)
/// nothing changes but the page size.
package enum LargeArrays {
    /// Allocations below this are left alone (a huge page needs 2 MB aligned inside them).
    package static let threshold = 4 << 20
    static let hugePage = 2 << 20

    /// `[T](repeating: value, count: count)`, its memory marked for huge pages before it is
    /// filled when it is large.
    package static func make<T>(repeating value: T, count: Int) -> [T] {
        guard count * MemoryLayout<T>.stride >= threshold else { return [T](repeating: value, count: count) }
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard let base = buffer.baseAddress else { initialized = 0; return }
            advise(UnsafeMutableRawPointer(base), bytes: count * MemoryLayout<T>.stride)
            base.initialize(repeating: value, count: count)
            initialized = count
        }
    }

    /// The alignment for a block of `bytes` bytes that should fill whole huge pages: 2 MB
    /// from 2 MB on, else 16 bytes.
    package static func alignment(forBytes bytes: Int) -> Int { bytes >= hugePage ? hugePage : 16 }

    /// Marks the 2 MB-aligned pages inside `bytes` bytes at `start` for huge pages (none when
    /// no whole 2 MB page lies inside). The memory must not have been written yet for it to
    /// matter (pages already present keep their size until the kernel collapses them).
    package static func advise(_ start: UnsafeMutableRawPointer, bytes: Int) {
        #if os(Linux)
        guard bytes >= hugePage else { return }
        let first = (Int(bitPattern: start) + hugePage - 1) & ~(hugePage - 1)
        let last = (Int(bitPattern: start) + bytes) & ~(hugePage - 1)
        guard last > first, let p = UnsafeMutableRawPointer(bitPattern: first) else { return }
        // Advice only: a kernel without transparent huge pages answers EINVAL, which changes nothing.
        _ = madvise(p, last - first, MADV_HUGEPAGE)
        #endif
    }
}
