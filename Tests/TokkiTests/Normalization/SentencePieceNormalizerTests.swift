import Foundation
import Testing
@testable import Tokki
import TokkiTestSupport

@Suite("SentencePieceNormalizer")
struct SentencePieceNormalizerTests {
    /// Normalizes `input` with or without the offset map.
    static func normalized(_ n: SentencePieceNormalizer, _ input: [UInt8], tracksOffsets: Bool) -> [UInt8] {
        var out = SentencePieceNormalizer.Output()
        out.tracksOffsets = tracksOffsets
        input.withUnsafeBufferPointer { n.normalize($0, into: &out) }
        return out.bytes
    }

    /// Worked by hand: spaces become `▁`, a user-defined symbol is kept whole (its space
    /// escaped too), a malformed byte becomes U+FFFD, a truncated sequence one U+FFFD per byte.
    @Test func keepsTextAndEscapesSpacesWithoutWhitespaceRemoval() throws {
        let settings = SentencePieceModel.NormalizerSettings(name: "identity", precompiledCharsmap: [], addDummyPrefix: false,
                                                             removeExtraWhitespaces: false, escapeWhitespaces: true)
        let n = try SentencePieceNormalizer(settings: settings, userDefinedSymbols: ["<a b>", "\n\n"])
        let input = Array("가 나<a b>x\n\n".utf8) + [0xFF, 0x41, 0xE2, 0x96] + Array("  다".utf8)
        let expected = Array("가▁나<a▁b>x\n\n\u{FFFD}A\u{FFFD}\u{FFFD}▁▁다".utf8)
        for tracks in [false, true] { #expect(Self.normalized(n, input, tracksOffsets: tracks) == expected) }
    }

    /// The ids-only path (no offsets: plain runs copied in one loop) writes the same bytes as
    /// the per-character path (which the parity fixtures check against sentencepiece), with
    /// and without a charsmap, user-defined symbols and whitespace removal, on text that has
    /// malformed bytes and enough spaces to outgrow the first output buffer.
    @Test(arguments: ["identity", "unigram_nfkc.model"])
    func sameBytesWithAndWithoutOffsets(_ rules: String) throws {
        let charsmap = rules == "identity" ? []
            : try SentencePieceModel(serialized: Fixtures.data("sentencepiece/\(rules)")).normalizer.precompiledCharsmap
        let pool: [[UInt8]] = ["가", "힣", "a", "Z", " ", "  ", "①", "ｱ", "\t", "\n", "<m>", "ab", "▁", "\u{FFFD}", "𝔸", "é"].map { Array($0.utf8) }
            + [[0xFF], [0x80], [0xE2, 0x96], [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80]]
        var rng = SplitMix64(seed: 15)
        for removeExtra in [false, true] {
            for addDummy in [false, true] {
                let settings = SentencePieceModel.NormalizerSettings(name: rules, precompiledCharsmap: charsmap, addDummyPrefix: addDummy,
                                                                     removeExtraWhitespaces: removeExtra, escapeWhitespaces: true)
                for symbols in [[], ["<m>", "ab", "\n\n"]] {
                    let n = try SentencePieceNormalizer(settings: settings, userDefinedSymbols: symbols)
                    for round in 0..<300 {
                        let count = round % 10 == 0 ? 400 : Int(rng.next() % 30)
                        var input = (0..<count).flatMap { _ in pool[Int(rng.next() % UInt64(pool.count))] }
                        if round % 7 == 0 { input += [UInt8](repeating: 0x20, count: 200) }  // output 3x the input
                        #expect(Self.normalized(n, input, tracksOffsets: false) == Self.normalized(n, input, tracksOffsets: true),
                                "\(rules) removeExtra \(removeExtra) dummy \(addDummy) symbols \(symbols): \(input)")
                    }
                }
            }
        }
    }
}
