import Foundation
import Testing
@testable import TokkiData

/// Source patterns, allow/deny rules and the deterministic source mixture.
struct SourceRulesTests {
    @Test(arguments: [
        ("domain:law.go.kr", "https://www.law.go.kr/법령/민법", true), ("domain:law.go.kr", "http://law.go.kr", true),
        ("domain:law.go.kr", "https://user@LAW.GO.KR:8080/x?q=1", true), ("domain:law.go.kr", "https://notlaw.go.kr/", false),
        ("domain:law.go.kr", "law.go.kr", false), ("domain:go.kr", "https://www.scourt.go.kr/", true),
        ("*.jsonl", "court-2019.jsonl", true), ("*.jsonl", "court.jsonl.gz", false), ("court-*", "court-2019.jsonl", true),
        ("법원?", "법원1", true), ("법원?", "법원", false), ("law", "law", true), ("law", "lawyer", false),
        ("*forum*", "https://a.kr/forum/1", true), ("re:^https?://[^/]*\\.kr/", "https://news.kr/a", true), ("re:^https?://[^/]*\\.kr/", "https://news.com/a", false),
    ] as [(String, String, Bool)])
    func patterns(_ pattern: String, _ source: String, _ expected: Bool) throws {
        #expect(try SourcePattern(pattern).matches(source) == expected, "\(pattern) ~ \(source)")
    }

    @Test func allowAndDeny() throws {
        let rules = SourceRules(allow: [try SourcePattern("domain:go.kr")], deny: [try SourcePattern("*forum*")])
        #expect(rules.evaluate("https://www.law.go.kr/a") == nil)
        #expect(rules.evaluate("https://www.law.go.kr/forum/1")?.detail.hasPrefix("denied by *forum*") == true)
        #expect(rules.evaluate("https://news.com/")?.detail == "not allowed: https://news.com/")
        #expect(SourceRules().evaluate("anything") == nil)
        #expect(throws: DataError.self) { try SourcePattern("re:(unclosed") }
        #expect(throws: DataError.self) { try SourcePattern("") }
    }

    @Test func mixtureReachesItsSharesDeterministically() throws {
        var mix = try SourceMix(["law=0.7", "web=0.3"], seed: 5)
        // law: 1,000 documents of 100 bytes; web: 9,000 of 100 bytes (10% / 90% naturally).
        mix.setRates(bytes: [100_000, 900_000])
        #expect(abs(mix.rates[0] - 7.0) < 1e-9 && abs(mix.rates[1] - 1.0 / 3.0) < 1e-9)
        var out = [0, 0]
        for i in 0..<10_000 { let g = i < 1000 ? 0 : 1; out[g] += mix.copies(group: g, index: i) }
        #expect(out[0] == 7000)                     // whole copies: exactly 7 each
        #expect(abs(Double(out[1]) - 3000) < 150)   // sampled: about a third of 9,000
        let again = (0..<10_000).map { mix.copies(group: $0 < 1000 ? 0 : 1, index: $0) }
        #expect(again == (0..<10_000).map { mix.copies(group: $0 < 1000 ? 0 : 1, index: $0) })
        var other = try SourceMix(["law=0.7", "web=0.3"], seed: 6)
        other.setRates(bytes: [100_000, 900_000])
        #expect((1000..<10_000).map { other.copies(group: 1, index: $0) } != (1000..<10_000).map { mix.copies(group: 1, index: $0) })
        #expect(mix.group(of: "law") == 0 && mix.group(of: "web") == 1 && mix.group(of: "blog") == nil)
        #expect(throws: DataError.self) { try SourceMix(["law"], seed: 0) }
        #expect(throws: DataError.self) { try SourceMix(["law=-1"], seed: 0) }
        #expect(throws: DataError.self) { try SourceMix(["law=0"], seed: 0) }
    }

    /// Writes `documents` (group, bytes) through `mix` as the CLI does and returns the bytes per group.
    static func mixed(_ mix: SourceMix, _ documents: [(Int, Int)]) -> [Int] {
        var written = [Int](repeating: 0, count: mix.groups.count)
        for (i, (g, bytes)) in documents.enumerated() {
            written[g] += mix.copies(group: g, index: i, bytes: bytes, written: written[g]) * bytes
        }
        return written
    }

    @Test func quotasCapTheGroupsBytes() throws {
        // law: 1,000 documents of 100 bytes; web: 9,000 of 100 bytes.
        let documents = (0..<10_000).map { ($0 < 1000 ? 0 : 1, 100) }
        var mix = try SourceMix(["law=50K", "web=1"], seed: 3)
        #expect(mix.groups[0].quota == 51_200 && mix.groups[1].quota == nil)
        mix.setRates(bytes: [100_000, 900_000])
        // The weighted groups share their own bytes: web alone keeps all of them.
        #expect(abs(mix.rates[0] - 0.512) < 1e-12 && abs(mix.rates[1] - 1) < 1e-12)
        var out = Self.mixed(mix, documents)
        #expect(out[0] <= 51_200 && out[0] > 45_000, "\(out)")
        #expect(out[1] == 900_000)
        // A quota above the group's size repeats it, never past the quota.
        mix = try SourceMix(["law=1M", "web=0"], seed: 3)
        mix.setRates(bytes: [100_000, 900_000])
        out = Self.mixed(mix, documents)
        #expect(out[0] <= 1_048_576 && out[0] > 1_020_000 && out[1] == 0, "\(out)")
        // A zero quota leaves the group out; the same seed gives the same bytes.
        mix = try SourceMix(["law=0K", "web=1"], seed: 3)
        mix.setRates(bytes: [100_000, 900_000])
        #expect(Self.mixed(mix, documents) == [0, 900_000])
        // Units: B, K, M, G, T in powers of 1024; bad values are refused with the item.
        #expect(try SourceMix(["a=7B", "b=2k", "c=3G", "d=1T"], seed: 0).groups.map(\.quota) == [7, 2048, 3 << 30, 1 << 40])
        for bad in ["law=5X", "law=-1M", "law=1.5G", "law=M", "law=99999999999T"] {
            #expect(throws: DataError.self, "\(bad)") { try SourceMix([bad, "web=1"], seed: 0) }
            do { _ = try SourceMix([bad, "web=1"], seed: 0) } catch { #expect(error.description.contains(bad)) }
        }
        #expect(throws: DataError.self) { try SourceMix(["law=0M", "web=0"], seed: 0) }
    }
}
