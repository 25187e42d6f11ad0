import Testing
@testable import Tokki

/// Large arrays marked for huge pages hold exactly what plain arrays of the same values hold,
/// at every size around the threshold and at alignments that leave no whole 2 MB page.
@Suite("Large arrays")
struct LargeArraysTests {
    @Test(arguments: [0, 1, 1000, LargeArrays.threshold / 8 - 1, LargeArrays.threshold / 8, LargeArrays.threshold / 8 + 1, 3 << 20])
    func filledLikeAPlainArray(_ count: Int) {
        let made = LargeArrays.make(repeating: UInt64.max - 1, count: count)
        #expect(made.count == count)
        #expect(made.allSatisfy { $0 == UInt64.max - 1 })
        let pairs = LargeArrays.make(repeating: (Int32(-1), Int32(7)), count: count / 2)
        #expect(pairs.count == count / 2)
        #expect(pairs.allSatisfy { $0 == (-1, 7) })
    }

    /// Advice on ranges of every size and misalignment changes no byte already written.
    @Test func adviceKeepsTheBytes() {
        let size = 9 << 20
        let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 1)
        defer { raw.deallocate() }
        let bytes = raw.bindMemory(to: UInt8.self, capacity: size)
        for i in 0..<size { bytes[i] = UInt8(truncatingIfNeeded: i &* 31) }
        for (offset, length) in [(0, size), (1, size - 1), (4097, 5 << 20), (100, 100), (0, LargeArrays.threshold - 1)] {
            LargeArrays.advise(raw + offset, bytes: length)
        }
        var same = true
        for i in 0..<size where bytes[i] != UInt8(truncatingIfNeeded: i &* 31) { same = false }
        #expect(same)
    }
}
