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

    /// A fresh anonymous mapping of at least `bytes` bytes (whole pages), aligned to 2 MB when
    /// it is 2 MB or larger (and the page size divides 2 MB) and marked for huge pages, so that the kernel can back it with
    /// them: one fault and one zeroed 2 MB page instead of 512 faults. Its memory reads as zero.
    /// With `populate`, every page is mapped in now, in one call (so that no page is first
    /// mapped to the shared zero page by a read and replaced on the first write). Free it with
    /// ``unmap(_:bytes:)`` and the same `bytes`; nil when the system refuses the mapping.
    package static func map(bytes: Int, populate: Bool) -> UnsafeMutableRawPointer? {
        let size = mappedSize(bytes)
        let align = size >= hugePage && hugePage % pageSize == 0 ? hugePage : 1
        let total = size + (align > 1 ? align : 0)
        guard let raw = mmap(nil, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), raw != MAP_FAILED else { return nil }
        let address = Int(bitPattern: raw)
        let start = (address + align - 1) & ~(align - 1)
        // The parts before and after the aligned block go back to the system.
        if start > address { munmap(raw, start - address) }
        if address + total > start + size, let tail = UnsafeMutableRawPointer(bitPattern: start + size) { munmap(tail, address + total - start - size) }
        guard let p = UnsafeMutableRawPointer(bitPattern: start) else { return nil }
        #if os(Linux)
        if size >= hugePage { _ = madvise(p, size, MADV_HUGEPAGE) }
        if populate && madvise(p, size, 23) != 0 {   // MADV_POPULATE_WRITE (Linux 5.14)
            memset(p, 0, size)                        // older kernels: the writes map every page in
        }
        #else
        if populate { memset(p, 0, size) }
        #endif
        return p
    }

    /// Returns a mapping made by ``map(bytes:populate:)`` of `bytes` bytes.
    package static func unmap(_ p: UnsafeMutableRawPointer, bytes: Int) {
        munmap(p, mappedSize(bytes))
    }

    /// `bytes` rounded up to whole pages (at least one).
    private static func mappedSize(_ bytes: Int) -> Int {
        let page = pageSize
        return max(page, (bytes + page - 1) / page * page)
    }

    /// The system's page size (4 KB on x86-64; 16 or 64 KB on some ARM systems).
    private static let pageSize: Int = max(4096, Int(sysconf(Int32(_SC_PAGESIZE))))

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
