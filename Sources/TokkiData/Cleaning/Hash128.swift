/// A 128-bit hash of a byte string: MurmurHash3's x64 128-bit variant (Appleby's public-domain
/// algorithm), written from its description. Used for exact de-duplication, where 64 bits would
/// risk a false match in corpora of billions of documents.
public struct Hash128: Hashable, Sendable, CustomStringConvertible {
    /// The high and low halves.
    public var high: UInt64, low: UInt64

    /// Hashes `bytes` with `seed`.
    public init(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) {
        let c1: UInt64 = 0x87C3_7B91_1142_53D5, c2: UInt64 = 0x4CF5_AD43_2745_937F
        var h1 = seed, h2 = seed
        let n = bytes.count
        let blocks = n / 16
        @inline(__always) func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }
        @inline(__always) func fmix(_ k: UInt64) -> UInt64 {
            var k = k
            k ^= k >> 33; k &*= 0xFF51_AFD7_ED55_8CCD
            k ^= k >> 33; k &*= 0xC4CE_B9FE_1A85_EC53
            k ^= k >> 33
            return k
        }
        for i in 0..<blocks {
            var k1 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 16 * i, as: UInt64.self))
            var k2 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 16 * i + 8, as: UInt64.self))
            k1 &*= c1; k1 = rotl(k1, 31); k1 &*= c2; h1 ^= k1
            h1 = rotl(h1, 27); h1 &+= h2; h1 = h1 &* 5 &+ 0x52DC_E729
            k2 &*= c2; k2 = rotl(k2, 33); k2 &*= c1; h2 ^= k2
            h2 = rotl(h2, 31); h2 &+= h1; h2 = h2 &* 5 &+ 0x3849_5AB5
        }
        let tail = 16 * blocks
        var k1: UInt64 = 0, k2: UInt64 = 0
        let rest = n & 15
        if rest > 8 {
            for j in stride(from: rest - 1, through: 8, by: -1) { k2 ^= UInt64(bytes[tail + j]) << (UInt64(j - 8) * 8) }
            k2 &*= c2; k2 = rotl(k2, 33); k2 &*= c1; h2 ^= k2
        }
        if rest > 0 {
            for j in stride(from: min(rest, 8) - 1, through: 0, by: -1) { k1 ^= UInt64(bytes[tail + j]) << (UInt64(j) * 8) }
            k1 &*= c1; k1 = rotl(k1, 31); k1 &*= c2; h1 ^= k1
        }
        h1 ^= UInt64(n); h2 ^= UInt64(n)
        h1 &+= h2; h2 &+= h1
        h1 = fmix(h1); h2 = fmix(h2)
        h1 &+= h2; h2 &+= h1
        high = h1
        low = h2
    }

    /// Hashes `bytes`.
    public init(_ bytes: [UInt8], seed: UInt64 = 0) {
        self = bytes.withUnsafeBytes { Hash128($0, seed: seed) }
    }

    /// 32 hexadecimal digits: the first 64-bit half then the second, each little-endian byte
    /// order as the reference implementation's output buffer.
    public var description: String {
        var s = ""
        for v in [high, low] {
            for b in 0..<8 { let byte = UInt8((v >> (8 * UInt64(b))) & 0xFF); s += String(byte, radix: 16).leftPadded(2) }
        }
        return s
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
