import Testing
@testable import Tokki
import TokkiTestSupport

@Suite("ICU normalizer quick check")
struct ICUNormalizerQuickCheckTests {
    @Test func hangulSyllableRangeBoundaries() {
        func only(_ s: String) -> Bool { Array(s.utf8).withUnsafeBufferPointer { ICUNormalizer.isASCIIOrHangulSyllables($0) } }
        #expect(only("abc 가힣 123\n"))
        #expect(only("\u{AC00}\u{D7A3}"))
        #expect(!only("\u{ABFF}"))
        #expect(!only("\u{D7A4}"))
        #expect(!only("각\u{11A8}"))       // a trailing jamo composes with the syllable before it
        #expect(!only("e\u{0301}"))
        #expect(!only("①"))
        // After runs of eight ASCII bytes (read a word at a time), and lead bytes beside 0xEA–0xED.
        #expect(only("abcdefgh가나다 abcdefghijklmnop힣"))
        #expect(!only("abcdefghijk🦀"))
        #expect(!only("abcdefgh\u{9FFF}"))
        #expect(!only("\u{E000}"))
        #expect(!only("abcdefgh\u{0080}"))
    }

    /// Sixteen bytes at a time: every lead byte next to the syllables' (E9, EE), the syllables'
    /// bounds behind the leads EA and ED, at every position in a block and across the block's
    /// end, after ASCII of every length.
    @Test func blocksOfSixteenBytes() {
        func only(_ s: String) -> Bool { Array(s.utf8).withUnsafeBufferPointer { ICUNormalizer.isASCIIOrHangulSyllables($0) } }
        let inside = ["가", "\u{AC00}", "\u{AFFF}", "\u{B000}", "\u{CFFF}", "\u{D000}", "\u{D7A3}", "한", "힣"]
        let outside = ["\u{ABFF}", "\u{A000}", "\u{D7A4}", "\u{D7FF}", "\u{9FFF}", "\u{E000}", "\u{FFFF}", "é", "🦀", "\u{11A8}"]
        for pad in 0..<20 {
            let ascii = String(repeating: "a", count: pad)
            for s in inside {
                #expect(only(ascii + s + String(repeating: "나", count: 7)), "\(pad) \(s)")
                #expect(only(String(repeating: "다", count: pad) + s + ascii + "하하하하하하"), "\(pad) \(s)")
            }
            for s in outside {
                #expect(!only(ascii + s + String(repeating: "나", count: 7)), "\(pad) \(s)")
                #expect(!only(String(repeating: "다", count: pad) + ascii + s + "a"), "\(pad) \(s)")
                #expect(!only(String(repeating: "bc", count: 9) + ascii + s), "\(pad) \(s)")
            }
        }
    }

    /// The fast answer never differs from ICU's own quick check, for every form, on text
    /// mixing syllables, conjoining jamo, combining marks and compatibility characters.
    @Test(arguments: ICUNormalizer.Form.allCases)
    func agreesWithICU(_ form: ICUNormalizer.Form) throws {
        let n = try ICUNormalizer(form)
        let alphabet = ["가", "각", "\u{1100}", "\u{1161}", "\u{11A8}", "a", "A", " ", "\u{0301}", "①", "ｶ", "힣", "é",
                        "한", "\u{AC00}", "\u{D7A3}", "\u{ABFF}", "\u{D7A4}", "국어", "abcdefgh"]
        var rng = SplitMix64(seed: 3)
        for _ in 0..<3_000 {
            let text = Array((0..<Int(rng.next() % 24)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined().utf8)
            let fast = text.withUnsafeBufferPointer { n.isNormalized(utf8: $0) }
            let icu = text.isEmpty || text.withUnsafeBufferPointer { n.handle.isNormalized($0) }
            #expect(fast == icu, "\(form) \(String(decoding: text, as: UTF8.self))")
        }
    }
}
