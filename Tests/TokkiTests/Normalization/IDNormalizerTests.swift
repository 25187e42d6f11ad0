import Testing
@testable import Tokki
import TokkiTestSupport

/// The ids-only normalizer must write exactly the bytes the aligned normalizer gives.
@Suite("IDNormalizer")
struct IDNormalizerTests {
    static func normalizers() throws -> [(String, any Normalizer)] {
        [
            ("llama", NormalizerSequence([Prepend("▁"), try Replace(.string(" "), content: "▁")])),
            ("regex", try Replace(.regex(" {2,}"), content: " ")),
            ("byte", NormalizerSequence([try Replace(.string("a"), content: ""), try Replace(.string("가"), content: "a")])),
            ("clip", NormalizerSequence([try ICUNormalizer(.nfc), try Replace(.regex(#"\s+"#), content: " "), Lowercase()])),
            ("nfkc+replace", NormalizerSequence([try CharacterAlignedNormalizer(.nfkc), try Replace(.string("ab"), content: "")])),
            ("nested", NormalizerSequence([NormalizerSequence([Prepend("><"), try Replace(.string("가"), content: "각각")]),
                                           try ICUNormalizer(.nfd), try Replace(.string("\u{1100}"), content: "ᄀ")])),
        ]
    }

    @Test func sameBytesAsTheAlignedNormalizer() throws {
        var rng = SplitMix64(seed: 5)
        let alphabet = ["a", "b", " ", "가", "①", "ﬁ", "é", "e\u{301}", "▁", "\u{1100}", "ab", "A", "Σ", "İ", "Ａ", "\u{10400}", "\t",
                        "  ", "\u{0B}", "\u{0C}", "\r\n", "\u{1C}", "\u{85}", "\u{A0}", "\u{1680}", "\u{2028}", "\u{200B}", "\u{3000}"]
        for (name, normalizer) in try Self.normalizers() {
            let fast = try #require(IDNormalizer(normalizer), "\(name)")
            var out: [UInt8] = [], spare: [UInt8] = []
            for _ in 0..<400 {
                let text = (0..<Int(rng.next() % 12)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined()
                let bytes = Array(text.utf8)
                let expected = try bytes.withUnsafeBufferPointer { (b) throws(TokkiError) in try normalizer.normalize(utf8: b).normalized }
                try bytes.withUnsafeBufferPointer { (b) throws(TokkiError) in try fast.normalize(b, into: &out, spare: &spare) }
                #expect(out == expected, "\(name): \(text)")
            }
        }
        // Stages it does not know (Strip) and a lone ICU form leave the general path in place.
        #expect(IDNormalizer(NormalizerSequence([Prepend("▁"), Strip(left: true, right: true)])) == nil)
        #expect(IDNormalizer(try ICUNormalizer(.nfc)) == nil)
    }

    /// BertNormalizer with every combination of its options, on text mixing ASCII, Hangul,
    /// accents (precomposed and combining), CJK ideographs (unified, compatibility, beyond the
    /// BMP), controls, format and unassigned characters, white space, U+FFFD, spacing marks
    /// (one with a non-zero combining class, which takes the general path) and case pairs.
    @Test func bertNormalizerSameBytes() throws {
        var rng = SplitMix64(seed: 11)
        let alphabet = ["a", "Z", " ", ".", "가", "한", "글", "\u{1100}", "ᅡ", "ㄱ", "é", "e\u{301}", "Ñ", "Å", "\u{301}", "\u{308}",
                        "中", "\u{F900}", "\u{2F800}", "\u{20000}", "\u{3400}", "\u{0}", "\u{1}", "\u{7F}", "\u{85}",
                        "\u{200B}", "\u{E000}", "\u{378}", "\t", "\n", "\r", "\u{B}", "\u{3000}", "\u{A0}", "\u{2028}",
                        "\u{FFFD}", "\u{903}", "\u{BCA}", "\u{1D165}", "\u{F73}", "İ", "Σ", "Ａ", "ǅ", "\u{1E9E}", "ᾂ",
                        "\u{10400}", "Ⅻ", "ﬁ", "\u{2126}", "\u{212A}"]
        for clean in [false, true] {
            for chinese in [false, true] {
                for strip in [nil, false, true] as [Bool?] {
                    for lowercase in [false, true] {
                        let normalizer = try BertNormalizer(cleanText: clean, handleChineseCharacters: chinese,
                                                            stripAccents: strip, lowercase: lowercase)
                        let name = "clean \(clean) chinese \(chinese) strip \(String(describing: strip)) lowercase \(lowercase)"
                        let fast = try #require(IDNormalizer(normalizer), "\(name)")
                        // Sized to one byte per input byte at first: the resizing runs too.
                        let small = BertIDNormalizer(normalizer, initialFactor: 1)
                        var out: [UInt8] = [], spare: [UInt8] = [], out2: [UInt8] = []
                        for _ in 0..<300 {
                            let text = (0..<Int(rng.next() % 24)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined()
                            let bytes = Array(text.utf8)
                            let expected = try bytes.withUnsafeBufferPointer { (b) throws(TokkiError) in try normalizer.normalize(utf8: b).normalized }
                            try bytes.withUnsafeBufferPointer { (b) throws(TokkiError) in
                                try fast.normalize(b, into: &out, spare: &spare)
                                try small.normalize(b, into: &out2)
                            }
                            #expect(out == expected, "\(name): \(text.unicodeScalars.map { String($0.value, radix: 16) })")
                            #expect(out2 == expected, "\(name), small: \(text.unicodeScalars.map { String($0.value, radix: 16) })")
                        }
                        // A long line of Hangul and ideographs outgrows any first sizing.
                        let long = Array(String(repeating: "한中\u{2F800}A", count: 500).utf8)
                        let expected = try long.withUnsafeBufferPointer { (b) throws(TokkiError) in try normalizer.normalize(utf8: b).normalized }
                        try long.withUnsafeBufferPointer { (b) throws(TokkiError) in try small.normalize(b, into: &out2) }
                        #expect(out2 == expected, "\(name): long")
                    }
                }
            }
        }
    }

    /// `tokenizers` 0.23.3's clean_text, as `scripts/fixtures/check_bert_clean_text.py` lists it:
    /// unassigned code points and the format characters newer than its tables are kept; other
    /// controls, formats and private-use characters are removed.
    @Test func bertCleanTextKeepsWhatTokenizersKeeps() throws {
        let bert = try BertNormalizer(cleanText: true, handleChineseCharacters: false, stripAccents: false, lowercase: false)
        let fast = try #require(IDNormalizer(bert))
        let kept: [UInt32] = [0x378, 0x890, 0x891, 0x8E2, 0x110CD, 0x13430, 0x13438, 0x13439, 0x1343F, 0xFFFF, 0x10FFFF]
        let removed: [UInt32] = [0x7, 0xAD, 0x61C, 0xE000, 0xE0001, 0xE007F, 0xFFFD]
        var out: [UInt8] = [], spare: [UInt8] = []
        for v in kept + removed {
            let text = "a" + String(Character(Unicode.Scalar(v)!)) + "b"
            let want = kept.contains(v) ? text : "ab"
            #expect(try bert.normalize(text) == want, "U+\(String(v, radix: 16))")
            let bytes = Array(text.utf8)
            try bytes.withUnsafeBufferPointer { (b) throws(TokkiError) in try fast.normalize(b, into: &out, spare: &spare) }
            #expect(out == Array(want.utf8), "U+\(String(v, radix: 16)), ids path")
        }
    }
}
