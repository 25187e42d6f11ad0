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
        let alphabet = ["a", "b", " ", "가", "①", "ﬁ", "é", "e\u{301}", "▁", "\u{1100}", "ab", "A", "Σ", "İ", "Ａ", "\u{10400}", "\t"]
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
}
