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

    /// The fast answer never differs from ICU's own quick check, for every form, on text
    /// mixing syllables, conjoining jamo, combining marks and compatibility characters.
    @Test(arguments: ICUNormalizer.Form.allCases)
    func agreesWithICU(_ form: ICUNormalizer.Form) throws {
        let n = try ICUNormalizer(form)
        let alphabet = ["가", "각", "\u{1100}", "\u{1161}", "\u{11A8}", "a", "A", " ", "\u{0301}", "①", "ｶ", "힣", "é"]
        var rng = SplitMix64(seed: 3)
        for _ in 0..<3_000 {
            let text = Array((0..<Int(rng.next() % 8)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined().utf8)
            let fast = text.withUnsafeBufferPointer { n.isNormalized(utf8: $0) }
            let icu = text.isEmpty || text.withUnsafeBufferPointer { n.handle.isNormalized($0) }
            #expect(fast == icu, "\(form) \(String(decoding: text, as: UTF8.self))")
        }
    }
}
