/// A fast 64-bit hash of a byte string (8 bytes at a time), for the byte-keyed hash tables
/// of the tokenizers and trainers.
package enum ByteHash {
    /// The hash of `p[0..<n]`.
    @inline(__always)
    package static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(n)
        var i = 0
        while i + 8 <= n {
            h = (h ^ UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 32
            i += 8
        }
        while i < n { h = (h ^ UInt64(p[i])) &* 0x0000_0100_0000_01B3; i += 1 }
        h ^= h >> 29
        return h &* 0xBF58_476D_1CE4_E5B9
    }
}
