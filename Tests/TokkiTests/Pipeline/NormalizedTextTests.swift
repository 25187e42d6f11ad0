import Testing
@testable import Tokki
import TokkiTestSupport

@Suite("NormalizedText alignment")
struct NormalizedTextTests {
    @Test func expansionUnderNFKC() throws {
        let t = try ICUNormalizer(.nfkc).normalizedText("a㈜b")
        #expect(t.string == "a(주)b")
        // a | ㈜ (3 bytes) | b  →  a | ( 주(3) ) | b
        let expected: [Range<Int>] = [0..<1] + Array(repeating: 1..<4, count: 5) + [4..<5]
        #expect(t.alignment == expected)
    }

    @Test func compositionOfDecomposedHangul() throws {
        let t = try KoreanNormalizer().normalizedText("\u{1100}\u{1161}\u{11A8}x")
        #expect(t.string == "각x")
        #expect(t.alignment == [0..<9, 0..<9, 0..<9, 9..<10])
    }

    @Test func deletionsAreSkippedButCovered() throws {
        let t = try KoreanNormalizer().normalizedText("가\u{200B}나")
        #expect(t.string == "가나")
        #expect(t.alignment == [0..<1, 1..<2, 2..<3, 6..<7, 7..<8, 8..<9])
        #expect(t.originalRange(forNormalized: 0..<6) == 0..<9)
        #expect(t.originalRange(forNormalized: 3..<6) == 6..<9)
        #expect(t.originalPosition(ofNormalizedBoundary: 3) == 6)
        #expect(t.originalPosition(ofNormalizedBoundary: 6) == 9)
    }

    @Test func prepassAndICUStagesCompose() throws {
        // ･ (pre-pass fold) next to ＡＢ (NFKC) and a deleted ZWSP between NFD jamo that then compose.
        let input = "Ａ\u{FF65}Ｂ\u{1100}\u{200B}\u{1161}"
        let t = try KoreanNormalizer().normalizedText(input)
        #expect(t.string == "A·B가")
        let o = Array(input.utf8)
        func orig(_ r: Range<Int>) -> String { String(decoding: o[r], as: UTF8.self) }
        #expect(orig(t.originalRange(ofNormalizedByte: 0)) == "Ａ")
        #expect(orig(t.originalRange(ofNormalizedByte: 1)) == "\u{FF65}")
        #expect(orig(t.originalRange(ofNormalizedByte: 3)) == "Ｂ")
        #expect(orig(t.originalRange(ofNormalizedByte: 4)) == "\u{1100}\u{200B}\u{1161}")
    }

    @Test func composeHandlesInsertionTiesAndCarriesEdits() {
        typealias E = NormalizedText.Edit
        // A: original "xyz" → middle "xz" (delete y). B: middle "xz" → "x!z" (insert ! at 1).
        let a = [E(originalStart: 1, originalLength: 1, normalizedStart: 1, normalizedLength: 0)]
        let b = [E(originalStart: 1, originalLength: 0, normalizedStart: 1, normalizedLength: 1)]
        let c = NormalizedText.compose(a, b)
        let t = NormalizedText(original: Array("xyz".utf8), normalized: Array("x!z".utf8), edits: c)
        #expect(t.alignment == [0..<1, 1..<2, 2..<3])
        // Edits far apart are carried with shifted positions.
        let a2 = [E(originalStart: 0, originalLength: 3, normalizedStart: 0, normalizedLength: 1)]  // ABC→a
        let b2 = [E(originalStart: 3, originalLength: 1, normalizedStart: 3, normalizedLength: 2)]  // middle "abcd": d→DD
        let c2 = NormalizedText.compose(a2, b2)
        #expect(c2 == [E(originalStart: 0, originalLength: 3, normalizedStart: 0, normalizedLength: 1),
                       E(originalStart: 5, originalLength: 1, normalizedStart: 3, normalizedLength: 2)])
        // Overlapping edits merge into one.
        let a3 = [E(originalStart: 1, originalLength: 2, normalizedStart: 1, normalizedLength: 1)]
        let b3 = [E(originalStart: 0, originalLength: 2, normalizedStart: 0, normalizedLength: 3)]
        #expect(NormalizedText.compose(a3, b3) == [E(originalStart: 0, originalLength: 3, normalizedStart: 0, normalizedLength: 3)])
    }

    static let pool: [String] = [
        "가", "a", " ", "ㅋ", "ㄳ", "ㄱ", "ㅏ", "①", "㈜", "㉠", "㉮", "\u{F914}", "Ａ", "１", "｢", "｣",
        "\u{3000}", "\u{00A0}", "ㆍ", "・", "∼", "～", "\u{200B}", "\u{200D}", "\u{FEFF}", "\u{00AD}",
        "\u{3164}", "\u{1160}", "\u{1100}", "\u{1161}", "\u{11A8}", "\u{119E}", "\u{0301}", "e", "\u{00B4}",
        "㎡", "Ⅳ", "\u{FA78}", "👩", "💻", "\u{FF65}", "\u{FFA1}", "\t", "\u{01}", "\u{85}", "é", "ﬁ", "\u{FDFA}",
    ]

    /// Checks that edits are sorted, consistent, and that each replaced span normalizes on
    /// its own to exactly what the text shows for it.
    static func checkConsistency(_ t: NormalizedText, _ n: any Normalizer) throws {
        var o = 0, m = 0
        for e in t.edits {
            #expect(e.originalStart >= o && e.normalizedStart >= m)
            #expect(e.originalStart - o == e.normalizedStart - m, "unchanged gap lengths differ")
            #expect(Array(t.original[o..<e.originalStart]) == Array(t.normalized[m..<e.normalizedStart]))
            let alone = try n.normalize(bytes: Array(t.original[e.originalRange]))
            #expect(alone.normalized == Array(t.normalized[e.normalizedRange]),
                    "edit \(e) in \(t.originalString.unicodeScalars.map { String($0.value, radix: 16) })")
            o = e.originalStart + e.originalLength
            m = e.normalizedStart + e.normalizedLength
        }
        #expect(t.original.count - o == t.normalized.count - m)
        #expect(Array(t.original[o...]) == Array(t.normalized[m...]))
    }

    @Test func randomStringsHaveConsistentAlignment() throws {
        var rng = SplitMix64(seed: 42)
        let normalizers: [any Normalizer] = [
            KoreanNormalizer(), try ICUNormalizer(.nfc), try ICUNormalizer(.nfd), try ICUNormalizer(.nfkc),
            try ICUNormalizer(.nfkd), try ICUNormalizer(.nfkcCasefold),
            NormalizerSequence([try ICUNormalizer(.nfd), KoreanNormalizer()]),
            NormalizerSequence([try ICUNormalizer(.nfkd), try ICUNormalizer(.nfc), try ICUNormalizer(.nfkcCasefold)]),
        ]
        for _ in 0..<400 {
            let length = Int(rng.next() % 12)
            let s = (0..<length).map { _ in Self.pool[Int(rng.next() % UInt64(Self.pool.count))] }.joined()
            for n in normalizers {
                let t = try n.normalizedText(s)
                try Self.checkConsistency(t, n)
                // The alignment always points inside the original input.
                for r in t.alignment { #expect(r.lowerBound >= 0 && r.upperBound <= t.original.count && !r.isEmpty) }
            }
        }
    }

    @Test func sequenceOutputEqualsStagesAppliedInTurn() throws {
        let nfd = try ICUNormalizer(.nfd), nfkc = try ICUNormalizer(.nfkc)
        let seq = NormalizerSequence([nfd, KoreanNormalizer(), nfkc])
        let s = "한국어 ①ㄳ ＡＢ ｢법｣ \u{200B}끝"
        #expect(try seq.normalize(s) == nfkc.normalize(KoreanNormalizer().normalize(nfd.normalize(s))))
    }
}
