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
}
