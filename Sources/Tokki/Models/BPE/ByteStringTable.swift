#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An immutable hash table from arbitrary byte strings (NUL bytes allowed) to 32-bit values,
/// looked up by pointer and length without allocating. Used for byte-level BPE ranks.
struct ByteStringTable: Sendable {
    private var slots: [UInt64]          // hash (low 32 bits, never 0) | entry index << 32
    private var keyStart: [Int32] = []
    private var keyLength: [Int32] = []
    private var values: [Int32] = []
    private var pool: [UInt8] = []
    private let mask: Int

    /// A table with room for `capacity` keys.
    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
        keyStart.reserveCapacity(capacity)
        keyLength.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
        pool.reserveCapacity(capacity * 8)
    }

    var count: Int { values.count }

    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(n)
        var i = 0
        while i + 8 <= n {
            h = (h ^ UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 32
            i += 8
        }
        while i < n { h = (h ^ UInt64(p[i])) &* 0x0000_0100_0000_01B3; i += 1 }
        h ^= h >> 29
        h = h &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 32
        return UInt32(truncatingIfNeeded: h) | 1
    }

    /// The value of `p[0..<n]`, or nil.
    @inline(__always)
    func value(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32? {
        let h = Self.hash(p, n)
        var slot = Int(h) & mask
        return slots.withUnsafeBufferPointer { s in
            pool.withUnsafeBufferPointer { pl in
                while true {
                    let e = s[slot]
                    if e == 0 { return nil }
                    if UInt32(truncatingIfNeeded: e) == h {
                        let k = Int(e >> 32)
                        if Int(keyLength[k]) == n && (n == 0 || memcmp(pl.baseAddress! + Int(keyStart[k]), p, n) == 0) {
                            return values[k]
                        }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    /// Adds `key` → `value`; returns false when the key is already present.
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, _ value: Int32) -> Bool {
        let n = key.count
        let p = key.baseAddress
        let h = p.map { Self.hash($0, n) } ?? withUnsafePointer(to: UInt8(0)) { Self.hash($0, 0) }
        var slot = Int(h) & mask
        // One probe sequence: stop at an equal key (duplicate) or at the first empty slot.
        let duplicate: Bool = slots.withUnsafeBufferPointer { sl in
            pool.withUnsafeBufferPointer { pl in
                while true {
                    let e = sl[slot]
                    if e == 0 { return false }
                    if UInt32(truncatingIfNeeded: e) == h {
                        let k = Int(e >> 32)
                        if Int(keyLength[k]) == n && (n == 0 || memcmp(pl.baseAddress! + Int(keyStart[k]), p!, n) == 0) {
                            return true
                        }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
        if duplicate { return false }
        let index = values.count
        slots[slot] = UInt64(h) | UInt64(index) << 32
        keyStart.append(Int32(pool.count))
        keyLength.append(Int32(n))
        values.append(value)
        pool.append(contentsOf: key)
        return true
    }
}
