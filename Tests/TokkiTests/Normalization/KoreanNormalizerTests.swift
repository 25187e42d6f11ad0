import Testing
@testable import Tokki
import TokkiTestSupport

@Suite("KoreanNormalizer")
struct KoreanNormalizerTests {
    let korean = KoreanNormalizer()

    @Test func controlsRemovedExceptTabAndNewline() throws {
        let input = "a\tb\nc\u{01}d\u{7F}e\u{85}f\u{9F}g\r"
        #expect(try korean.normalize(input) == "a\tb\ncdefg")
    }

    @Test func emojiZWJSequencesStayWhole() throws {
        for emoji in ["👩\u{200D}💻", "👨\u{200D}👩\u{200D}👧", "❤\u{FE0F}\u{200D}🔥", "👩🏽\u{200D}💻"] {
            #expect(try korean.normalize("a \(emoji) b") == "a \(emoji) b", "\(emoji.unicodeScalars.map { $0.value })")
        }
        // Between letters the joiner is removed.
        #expect(try korean.normalize("가\u{200D}나") == "가나")
        var options = KoreanNormalizer.Options()
        options.keepEmojiJoiners = false
        #expect(try KoreanNormalizer(options: options).normalize("👩\u{200D}💻") == "👩💻")
    }

    @Test func araeaKeptBetweenJamo() throws {
        #expect(try korean.normalize("ㅎㆍㄴ") == "ㅎㆍㄴ")
        #expect(try korean.normalize("정치ㆍ경제ㆍ사회") == "정치·경제·사회")
        #expect(try korean.normalize("ㆍ") == "·")
    }

    @Test func everyHalfwidthHangulLetterMapsToTheJamoNFKCAgreesWith() throws {
        // NFKC sends a halfwidth letter and its compatibility jamo to the same conjoining jamo,
        // so the preset's mapping must agree with NFKC on every one of them.
        let nfkc = try ICUNormalizer(.nfkc)
        var mapped = 0
        for v in UInt32(0xFFA1)...0xFFDC {
            guard let s = Unicode.Scalar(v), UnicodeNames.name(of: s) != nil else { continue }
            let out = try korean.normalize(String(Character(s)))
            let jamo = try #require(out.unicodeScalars.first)
            #expect(out.unicodeScalars.count == 1 && (0x3131...0x3163).contains(jamo.value), "U+\(String(v, radix: 16))")
            #expect(try nfkc.normalize(out) == nfkc.normalize(String(Character(s))), "U+\(String(v, radix: 16))")
            mapped += 1
        }
        #expect(mapped == 51)
    }

    @Test func optionsTurnRulesOff() throws {
        var o = KoreanNormalizer.Options()
        o.keepEnclosedAlphanumerics = false
        o.foldMiddleDots = false
        o.foldTildes = false
        o.removeSoftHyphen = false
        let n = KoreanNormalizer(options: o)
        #expect(try n.normalize("① ・ ∼ 법\u{00AD}률 ㈜") == "1 \u{30FB} \u{223C} 법\u{00AD}률 ㈜")
        var q = KoreanNormalizer.Options()
        q.foldQuotes = true
        #expect(try KoreanNormalizer(options: q).normalize("“가”‘나’") == "\"가\"'나'")
        var c = KoreanNormalizer.Options()
        c.compatibilityFolding = false
        // NFC only: fullwidth stays, NFD Hangul is still composed, compat ideographs kept.
        #expect(try KoreanNormalizer(options: c).normalize("Ａ\u{1100}\u{1161}\u{F914}") == "Ａ가\u{F914}")
        var u = KoreanNormalizer.Options()
        u.keepSquareUnits = false
        #expect(try KoreanNormalizer(options: u).normalize("㎡") == "m2")
    }

    @Test func emptyInput() throws {
        #expect(try korean.normalize("") == "")
        let t = try korean.normalizedText("")
        #expect(t.normalized.isEmpty && t.edits.isEmpty && t.original.isEmpty)
        for form in ICUNormalizer.Form.allCases {
            #expect(try ICUNormalizer(form).normalize("") == "")
        }
    }

    @Test func tenMegabyteSingleLine() throws {
        // A 10 MB line of statute text with hazards sprinkled in; checked piece by piece.
        let unit = "제1조 ① 대한민국은 민주공화국이다. ｢민법｣ 제3조 수고ㄳ ＡＢＣ 가\u{200B}나 정치ㆍ경제 "
        let expectedUnit = "제1조 ① 대한민국은 민주공화국이다. 「민법」 제3조 수고ㄳ ABC 가나 정치·경제 "
        let copies = 10_000_000 / unit.utf8.count + 1
        let line = String(repeating: unit, count: copies)
        #expect(line.utf8.count >= 10_000_000)
        let text = try korean.normalizedText(line)
        #expect(text.normalized.count == expectedUnit.utf8.count * copies)
        #expect(text.string == String(repeating: expectedUnit, count: copies))
        // The alignment of the last ｢ still points at the right original bytes.
        let lastBracket = text.normalized.count - expectedUnit.utf8.count + Array(expectedUnit.utf8).firstIndex(of: 0xE3)!
        let range = text.originalRange(ofNormalizedByte: lastBracket)
        #expect(Array(text.original[range]) == Array("｢".utf8))
    }

    @Test func skippingICUOnStableTextChangesNothing() throws {
        // The fast path (no ICU call when every character is a stable starter) must give the
        // same result as always calling ICU: on the sample, on composing sequences, at random.
        var slow = KoreanNormalizer()
        slow.alwaysRunICU = true
        var texts = try String(contentsOf: Fixtures.url("text/korean-sample.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        texts += ["a\u{0301}", "가\u{11A8}", "\u{1100}\u{1161}", "e\u{0300}\u{0316}", "ᄒᆞᆫ", "Å", "ｱ\u{FF9E}", "각나", "😀\u{FE0F}"]
        var rng = SplitMix64(seed: 21)
        let pool = ["가", "a", "e", " ", "\u{0301}", "\u{11A8}", "\u{1161}", "\u{1100}", "①", "ㄱ", "ㅏ", "Ａ", "😀", "\u{FE0F}", "ﬁ", "\u{0316}", "\u{3099}", "か"]
        for _ in 0..<3000 { texts.append((0..<Int(rng.next() % 8)).map { _ in pool[Int(rng.next() % UInt64(pool.count))] }.joined()) }
        for t in texts {
            #expect(try korean.normalizedText(t) == slow.normalizedText(t), "\(t.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test func icuFilterPatternIsValid() throws {
        #expect(KoreanNormalizer().icuFilter?.hasPrefix("[^") == true)
        #expect(throws: TokkiError.self) { try ICUNormalizer(.nfkc, filter: "[unbalanced") }
    }
}
