/// A counter-based random number generator: every value is a pure function of
/// (seed, epoch, sample index, counter).
///
/// Each sample of a batch gets its own generator, keyed by `(seed, epoch, sampleIndex)`, so a
/// sample's masks and spans never depend on which thread built it, on the batch size, or on the
/// samples before it. The construction:
///
/// ```
/// mix(z)   = SplitMix64's finaliser (Stafford's variant 13)
/// key      = mix(mix(mix(seed + γ) ^ (epoch · C1)) ^ (index · C2))
/// value(i) = mix(key + (i + 1) · γ)          γ = 0x9E3779B97F4A7C15
/// ```
///
/// so the stream of one sample is SplitMix64 started at `key`, a generator that passes
/// BigCrush. `C1` and `C2` are odd constants; the counter `i` counts the values drawn.
public struct CounterRNG: RandomNumberGenerator, Sendable {
    @usableFromInline let key: UInt64
    @usableFromInline var counter: UInt64 = 0

    /// The generator of one sample.
    @inlinable
    public init(seed: UInt64, epoch: UInt64 = 0, index: UInt64) {
        var k = Self.mix(seed &+ 0x9E37_79B9_7F4A_7C15)
        k = Self.mix(k ^ (epoch &* 0xD1B5_4A32_D192_ED03))
        key = Self.mix(k ^ (index &* 0x8CB9_2BA7_2F3D_8DD7))
    }

    /// SplitMix64's output function.
    @inlinable @inline(__always)
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next 64 random bits.
    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        counter &+= 1
        return Self.mix(key &+ counter &* 0x9E37_79B9_7F4A_7C15)
    }

    /// A uniform double in [0, 1) with 53 random bits.
    @inlinable @inline(__always)
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// A uniform integer in `0..<n` (Lemire's multiply-and-reject method; unbiased). `n` > 0.
    @inlinable @inline(__always)
    public mutating func below(_ n: Int) -> Int {
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// True with probability `p`.
    @inlinable @inline(__always)
    public mutating func bernoulli(_ p: Double) -> Bool { nextDouble() < p }

    /// A draw from the geometric distribution on 1, 2, 3, … with success probability `p`
    /// (mean 1/p), by inversion.
    @inlinable
    public mutating func geometric(_ p: Double) -> Int {
        if p >= 1 { return 1 }
        let u = 1 - nextDouble()  // (0, 1]
        let k = (log(u) / log1p(-p)).rounded(.down)
        return k >= Double(Int32.max) ? Int(Int32.max) : Int(k) + 1
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
