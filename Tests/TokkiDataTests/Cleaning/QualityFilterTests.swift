import Foundation
import Testing
@testable import TokkiData
import TokkiTestSupport

@Suite("Quality filters")
struct QualityFilterTests {
    static func profile(_ s: String) -> TextProfile { TextProfile(Array(s.utf8)) }

    @Test func profileCountsCharacterClasses() {
        let p = Self.profile("제1조(목적) 이 법은 ABC 漢字 ① $ \u{FFFD}\u{0001}\u{E000}")
        #expect(p.hangul == 7 && p.latin == 3 && p.han == 2)
        #expect(p.digits == 1 && p.punctuation == 2)      // ( )
        #expect(p.symbols == 2)                            // $ and U+FFFD (① is No: no class)
        #expect(p.replacements == 1 && p.controls == 1 && p.invalid == 1)
        #expect(p.words.count == 8 && p.lines.count == 1)
    }

    @Test func lengthAtItsThresholds() {
        var f = LengthFilter()
        f.minCharacters = 5; f.maxCharacters = 8; f.minWords = 2; f.maxWords = 3
        #expect(f.evaluate(Self.profile("가나 다라")) == Rejection(rule: "length", detail: "4 characters < 5"))
        #expect(f.evaluate(Self.profile("가나 다라마")) == nil)                 // 5: kept
        #expect(f.evaluate(Self.profile("가나다라 마바사아")) == nil)           // 8: kept
        #expect(f.evaluate(Self.profile("가나다라 마바사아자"))?.detail == "9 characters > 8")
        #expect(f.evaluate(Self.profile("가나다라마"))?.detail == "1 words < 2")
        #expect(f.evaluate(Self.profile("가나 다 라 마"))?.detail == "4 words > 3")
    }

    @Test func scriptRatios() {
        var f = ScriptFilter()
        f.minHangulRatio = 0.5; f.maxOtherScriptRatio = 0.2
        #expect(f.evaluate(Self.profile("가나다 abc")) == nil)                       // 3 of 6 = 0.5: kept
        #expect(f.evaluate(Self.profile("가나 abcd"))?.rule == "script")             // 2 of 6
        #expect(f.evaluate(Self.profile("가나다라마바사아 Привет"))?.detail.hasPrefix("other-script ratio") == true)
        #expect(f.evaluate(Self.profile("12345 !!!")) == nil)                        // no letters: not this rule
    }

    @Test func characterClassRatios() {
        var f = CharacterClassFilter()
        f.maxSymbolRatio = 0.25; f.maxDigitRatio = 0.5; f.maxPunctuationRatio = 0.25
        #expect(f.evaluate(Self.profile("가나다$")) == nil)                          // 1/4 = 0.25: kept
        #expect(f.evaluate(Self.profile("가나$$"))?.detail == "symbol ratio 0.5 > 0.25")
        #expect(f.evaluate(Self.profile("제12조")) == nil)                           // 2/4 digits: kept
        #expect(f.evaluate(Self.profile("제123조"))?.detail == "digit ratio 0.6 > 0.5")
        #expect(f.evaluate(Self.profile("가나.,"))?.rule == "character_classes")
    }

    @Test func meanWordLength() {
        var f = WordLengthFilter()
        f.minMean = 2; f.maxMean = 4
        #expect(f.evaluate(Self.profile("가 나다"))?.detail == "mean word length 1.5 < 2.0")
        #expect(f.evaluate(Self.profile("가나 다라")) == nil)                        // 2: kept
        #expect(f.evaluate(Self.profile("가나다라 마바사아")) == nil)                // 4: kept
        #expect(f.evaluate(Self.profile("가나다라마 바사아자"))?.detail == "mean word length 4.5 > 4.0")
    }

    @Test func invalidCharacters() {
        let f = InvalidCharacterFilter()
        #expect(f.evaluate(Self.profile("정상적인 문장입니다.\t탭")) == nil)
        #expect(f.evaluate(Self.profile("깨진 \u{FFFD} 문자"))?.detail == "1 U+FFFD > 0")
        #expect(f.evaluate(Self.profile("제어 \u{0007} 문자"))?.detail == "1 control characters > 0")
        // Form feeds and vertical tabs (page breaks of converted documents) are whitespace.
        #expect(f.evaluate(Self.profile("법률\u{0C}제 호\u{0B}끝")) == nil)
        #expect(Self.profile("법률\u{0C}제").words.count == 2)
        #expect(f.evaluate(Self.profile("사용자 \u{E000} 영역"))?.rule == "invalid_characters")
    }

    @Test func gopherRepetitionRules() {
        let f = RepetitionFilter()
        let a = "대한민국은 민주공화국이다", b = "대한민국의 주권은 국민에게 있다", c = "모든 국민은 법 앞에 평등하다", d = "국민의 자유와 권리는 존중된다"
        // 1 duplicate line of 4 (0.25 ≤ 0.3) but its characters 13/… > 0.2: the character rule fires.
        #expect(f.evaluate(Self.profile([a, b, c, a].joined(separator: "\n")))?.detail.hasPrefix("duplicate line characters") == true)
        // 2 of 5 lines repeat: 0.4 > 0.3.
        #expect(f.evaluate(Self.profile([a, b, a, b, c].joined(separator: "\n")))?.detail.hasPrefix("duplicate line fraction") == true)
        #expect(f.evaluate(Self.profile([a, b, c, d].joined(separator: "\n"))) == nil)
        // One word pair repeated: the top 2-gram covers most characters (a document of ≥ 50 words).
        let spam = Array(repeating: "무료 상담", count: 25).joined(separator: " ") + " 지금 바로 연락 주세요 감사합니다"
        #expect(f.evaluate(Self.profile(spam))?.detail.hasPrefix("top 2-gram") == true)
        // The n-gram rules leave short documents alone: a statute sentence may repeat a phrase.
        let statute = "③정당은 법률이 정하는 바에 의하여 국가의 보호를 받으며, 국가는 법률이 정하는 바에 의하여 정당운영에 필요한 자금을 보조할 수 있다."
        #expect(f.evaluate(Self.profile(statute)) == nil)
        var strict = RepetitionFilter()
        strict.minWordsForNGramRules = 0
        #expect(strict.evaluate(Self.profile(statute))?.detail.hasPrefix("top 2-gram") == true)
        // Repeated 5-grams.
        var loose = RepetitionFilter()
        loose.maxTopNGramFraction = [:]
        let phrase = "국가는 모든 국민의 인간다운 생활을 보장한다"
        let text = ([phrase, "그리고", phrase, "또한", phrase] + Array(repeating: "국민의 권리와 의무에 관한 사항", count: 1)).joined(separator: " ")
        loose.minWordsForNGramRules = 0
        #expect(loose.evaluate(Self.profile(text))?.detail.hasPrefix("duplicate 5-gram") == true)
        // Paragraphs (blank-line separated).
        var paragraphs = RepetitionFilter()
        paragraphs.maxDuplicateLineFraction = nil; paragraphs.maxDuplicateLineCharacterFraction = nil
        paragraphs.maxTopNGramFraction = [:]; paragraphs.maxDuplicateNGramFraction = [:]
        let doc = [a + "\n" + b, c, a + "\n" + b].joined(separator: "\n\n")
        #expect(paragraphs.evaluate(Self.profile(doc))?.detail.hasPrefix("duplicate paragraph") == true)
    }

    /// The n-gram occurrence counter (compared in place, no key arrays) against counting
    /// array keys in a dictionary, for n = 1…10 on random word ids with many repeats.
    @Test func nGramOccurrencesMatchADictionary() {
        var state: UInt64 = 12345
        func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) }
        for length in [0, 1, 9, 200, 3000] {
            let ids = (0..<length).map { _ in next() % 7 }
            for n in 1...10 {
                var counts: [[Int]: Int] = [:]
                var expected: [(Int, Int)] = []
                if ids.count >= n {
                    for i in 0...(ids.count - n) {
                        let c = (counts[Array(ids[i..<(i + n)])] ?? 0) + 1
                        counts[Array(ids[i..<(i + n)])] = c
                        expected.append((i, c))
                    }
                }
                var got: [(Int, Int)] = []
                RepetitionFilter.forEachNGram(ids, n) { got.append(($0, $1)) }
                #expect(got.count == expected.count, "length \(length) n \(n)")
                #expect(zip(got, expected).allSatisfy { $0 == $1 }, "length \(length) n \(n)")
            }
        }
    }

    @Test func boilerplateLines() {
        let f = BoilerplateFilter()
        #expect(f.evaluate(Self.profile("Copyright © 2024 법제처. All rights reserved."))?.rule == "boilerplate")
        #expect(f.evaluate(Self.profile("홈 | 법령 | 판례 | 로그인"))?.rule == "boilerplate")
        #expect(f.evaluate(Self.profile("홈 > 법령 > 헌법"))?.rule == "boilerplate")
        #expect(f.evaluate(Self.profile("제1조 이 법은 국민의 권리를 보호한다.\n무단전재 및 재배포 금지")) == nil)   // 1 of 2 = 0.5: kept
        #expect(f.evaluate(Self.profile("제1조 이 법은 국민의 권리를 보호한다.")) == nil)
        // Custom phrases replace the defaults.
        var custom = BoilerplateFilter()
        custom.phrases = ["광고문의"]
        #expect(custom.evaluate(Self.profile("광고문의 02-123-4567"))?.rule == "boilerplate")
        #expect(custom.evaluate(Self.profile("Copyright 2024")) == nil)
        // Statutes enumerate with the middle dot, and the Copyright Act mentions copyright.
        #expect(f.evaluate(Self.profile("②저작자·발명가·과학기술자와 예술가의 권리는 법률로써 보호한다.")) == nil)
        #expect(f.evaluate(Self.profile("제67조 ① 대통령은 국민의 보통·평등·직접·비밀선거에 의하여 선출한다.")) == nil)
        #expect(f.evaluate(Self.profile("제10조 저작자는 제11조부터 제13조까지에 따른 저작인격권과 제16조부터 제22조까지에 따른 저작재산권을 가진다. 저작권자의 허락 없이 복제할 수 없으며 copyright 보호는 창작한 때부터 발생한다.")) == nil)
    }

    @Test func blockListPhrasesAndPatterns() throws {
        let list = "# comment\n\n카지노\nBITCOIN\nre:010-?\\d{4}-?\\d{4}\n"
        let f = try BlockListFilter(contents: Array(list.utf8), source: "block.txt")
        #expect(f.phrases.count == 2 && f.patterns.count == 1)
        #expect(f.evaluate(Self.profile("온라인 카지노 추천"))?.detail == "contains \"카지노\"")
        #expect(f.evaluate(Self.profile("buy bitcoin now"))?.rule == "block_list")
        #expect(f.evaluate(Self.profile("문의 010-1234-5678"))?.detail.hasPrefix("matches") == true)
        #expect(f.evaluate(Self.profile("대한민국 헌법")) == nil)
        #expect(throws: DataError.self) { try BlockListFilter(contents: Array("re:(unclosed\n".utf8), source: "bad.txt") }
    }

    @Test func recommendedPipelineKeepsStatutesAndNamesTheFirstRule() {
        let q = QualityPipeline.recommended
        #expect(q.evaluate(Array("제10조 모든 국민은 인간으로서의 존엄과 가치를 가지며, 행복을 추구할 권리를 가진다.".utf8)) == nil)
        #expect(q.evaluate(Array("짧다".utf8))?.rule == "length")
        #expect(q.evaluate(Array("깨진 문자 \u{FFFD} 가 섞인 아주 긴 문장입니다".utf8))?.rule == "invalid_characters")
    }
}
