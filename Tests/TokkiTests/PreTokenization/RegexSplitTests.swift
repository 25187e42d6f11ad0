import Foundation
import Testing
@testable import Tokki
import TokkiTestSupport

/// Expected pieces from Hugging Face `tokenizers`' Split pre-tokenizer (onig regex), written
/// by `scripts/fixtures/make_pretokenizer_fixtures.py`; patterns read from tiktoken's definitions.
struct SplitExpected: Decodable {
    struct Case: Decodable {
        let pattern: String
        let behavior: String
        let invert: Bool
        let pieces: [String: [[Int]]]
    }
    let patterns: [String: String]
    let cases: [Case]
    let tiktoken_matches: [String: [String: [[Int]]]]
}

@Suite("RegexSplit (ICU regex) parity with Hugging Face Split")
struct RegexSplitTests {
    static let expected: SplitExpected? = try? JSONDecoder().decode(SplitExpected.self, from: Fixtures.data("pretokenizers/split.expected.json"))

    @Test func namedPatternsAreTheReferenceStrings() throws {
        let e = try #require(Self.expected)
        #expect(PretokenizationPattern.gpt2 == e.patterns["gpt2"])
        #expect(PretokenizationPattern.r50k == e.patterns["r50k"])
        #expect(PretokenizationPattern.cl100k == e.patterns["cl100k"])
        #expect(PretokenizationPattern.o200k == e.patterns["o200k"])
        #expect(PretokenizationPattern.llama3 == e.patterns["llama3"])
    }

    @Test func piecesMatchTheReference() throws {
        let e = try #require(Self.expected)
        let inputs = try SentencePieceFixtures.inputs()
        var checked = 0
        for c in e.cases {
            let pattern = try #require(e.patterns[c.pattern])
            let split = try RegexSplit(pattern: pattern, behavior: try #require(SplitBehavior(rawValue: c.behavior)),
                                       invert: c.invert, dialect: .oniguruma)
            for (name, want) in c.pieces {
                let bytes = Array(try #require(inputs[name]).utf8)
                let got = try bytes.withUnsafeBufferPointer { (b) throws(TokkiError) in try split.split(b) }
                let gotPairs = got.map { [$0.lowerBound, $0.upperBound] }
                if gotPairs != want {
                    Issue.record("\(c.pattern) \(c.behavior) invert=\(c.invert) \(name): got \(gotPairs.prefix(12)) want \(want.prefix(12))")
                }
                checked += 1
            }
        }
        #expect(checked > 2000)
    }

    /// tiktoken's reading of its own patterns (possessive `{1,3}+`: digits in threes).
    @Test func tiktokenPatternsMatchLikeTiktoken() throws {
        let e = try #require(Self.expected)
        let inputs = try SentencePieceFixtures.inputs()
        #expect(e.tiktoken_matches.count == 4)
        for (name, cases) in e.tiktoken_matches {
            let split = try RegexSplit(pattern: try #require(e.patterns[name]), behavior: .removed, invert: true)
            for (input, want) in cases {
                let bytes = Array(try #require(inputs[input]).utf8)
                let got = try bytes.withUnsafeBufferPointer { (b) throws(TokkiError) in try split.split(b) }
                let gotPairs = got.map { [$0.lowerBound, $0.upperBound] }
                if gotPairs != want { Issue.record("\(name) \(input): got \(gotPairs.prefix(12)) want \(want.prefix(12))") }
            }
        }
        #expect(try RegexSplit(pattern: PretokenizationPattern.cl100k, behavior: .isolated).pieces("1234567") == ["123", "456", "7"])
        #expect(try RegexSplit(pattern: PretokenizationPattern.cl100k, behavior: .isolated, dialect: .oniguruma).pieces("1234567") == ["1234567"])
    }

    /// A pattern a hand-written scanner covers is compiled by ICU only when its regex matches
    /// are asked for; threads asking at once all get the same matches, those of the scanner.
    @Test func aScannedPatternsRegexIsCompiledOnFirstUseOnAnyThread() throws {
        let split = try RegexSplit(pattern: PretokenizationPattern.qwen2, behavior: .isolated)
        #expect(split.scanner != nil)
        #expect(split.pattern == PretokenizationPattern.qwen2)
        let text = Array("제1조 대한민국은 민주공화국이다. It's 2024!\r\n  끝 ".utf8)
        let want = text.withUnsafeBufferPointer { split.scanner!.matches($0) }
        let results = Parallelism.map(8, threads: 4, empty: [Range<Int>]()) { range, out in
            for k in range {
                out[k] = (try? text.withUnsafeBufferPointer { (b) throws(TokkiError) in try split.regexMatches(b) }) ?? []
            }
        }
        #expect(results.allSatisfy { $0 == want && !$0.isEmpty })
    }

    @Test func badPatternIsAClearError() {
        #expect(throws: TokkiError.self) { try RegexSplit(pattern: "(unclosed", behavior: .isolated) }
        #expect(PretokenizationPattern.named("cl100k_base") == PretokenizationPattern.cl100k)
        #expect(PretokenizationPattern.named("nope") == nil)
        #expect(PretokenizationPattern.name(forFileName: "cl100k_base.tiktoken") == "cl100k")
        #expect(PretokenizationPattern.name(forFileName: "Meta-Llama-3-8B.tiktoken") == "llama3")
        #expect(PretokenizationPattern.name(forFileName: "korean-sample.tiktoken") == nil)
    }
}
