import Testing
@testable import TokkiObjectives
import TokkiTestSupport

@Suite("CounterRNG")
struct CounterRNGTests {
    @Test func valuesArePureFunctionsOfSeedEpochIndexAndCounter() {
        var a = CounterRNG(seed: 7, epoch: 1, index: 42)
        var b = CounterRNG(seed: 7, epoch: 1, index: 42)
        let xs = (0..<100).map { _ in a.next() }
        #expect(xs == (0..<100).map { _ in b.next() })
        // Any change of seed, epoch or index changes the stream.
        var c = CounterRNG(seed: 7, epoch: 1, index: 43)
        var d = CounterRNG(seed: 7, epoch: 2, index: 42)
        var e = CounterRNG(seed: 8, epoch: 1, index: 42)
        #expect(c.next() != xs[0] && d.next() != xs[0] && e.next() != xs[0])
        // Stream k starts where SplitMix64 keyed by the sample would: value(i) = mix(key + (i+1)γ).
        #expect(xs[1] == CounterRNG.mix(a.key &+ 2 &* 0x9E37_79B9_7F4A_7C15))
    }

    @Test func boundedDrawsAreUniform() {
        // Chi-square over 10 buckets, 100,000 draws: 99.9% critical value for 9 d.o.f. is 27.9.
        var rng = CounterRNG(seed: 1, index: 0)
        var counts = [Int](repeating: 0, count: 10)
        for _ in 0..<100_000 { counts[rng.below(10)] += 1 }
        let chi = counts.reduce(0.0) { $0 + pow(Double($1) - 10_000, 2) / 10_000 }
        #expect(chi < 27.9, "chi-square \(chi)")
        var doubles = CounterRNG(seed: 2, index: 0)
        let mean = (0..<100_000).reduce(0.0) { acc, _ in acc + doubles.nextDouble() } / 100_000
        #expect(abs(mean - 0.5) < 0.005)
    }

    @Test func geometricHasMeanOneOverP() {
        var rng = CounterRNG(seed: 3, index: 0)
        let n = 100_000
        let total = (0..<n).reduce(0) { acc, _ in acc + rng.geometric(0.2) }
        // Mean 5, variance (1−p)/p² = 20: standard error 0.014.
        #expect(abs(Double(total) / Double(n) - 5) < 0.08)
    }
}

import Foundation
