import Foundation
import Testing
@testable import Tokki
@testable import TokkiTraining

/// `tokki train --hanja hangul`: the context-free Hanja readings compiled into the charsmap
/// read exactly as `HanjaNormalizer(.hangul)` reads them, in every dictionary word.
@Suite("Hanja readings in a charsmap")
struct HanjaCharsmapTests {
    @Test func charsmapRulesRoundTrip() throws {
        let rules: [(source: [UInt8], target: [UInt8])] = [
            (Array("가".utf8), Array("나".utf8)), (Array("ab".utf8), []), (Array("a".utf8), Array("x".utf8)), (Array("民".utf8), Array("민".utf8)),
        ]
        let blob = try PrecompiledCharsmap.compile(rules)
        let back = try PrecompiledCharsmap(blob).rules
        let sorted = rules.sorted { $0.source.lexicographicallyPrecedes($1.source) }
        #expect(back.map(\.source) == sorted.map(\.source))
        #expect(back.map(\.target) == sorted.map(\.target))
        // The shipped Korean charsmap: decompiled and compiled again, the same bytes.
        let korean = try CharsmapCompiler.compile(.korean)
        let decompiled = try PrecompiledCharsmap(korean).rules
        #expect(decompiled.count > 1000)
        #expect(try PrecompiledCharsmap.compile(decompiled) == korean)
    }

    /// Every dictionary word read by the normalizer: each context-free character reads as its
    /// table says, whatever the word around it.
    @Test func contextFreeReadingsHoldInEveryDictionaryWord() throws {
        let exact = Dictionary(uniqueKeysWithValues: HanjaNormalizer.contextFreeReadings.map { ($0.hanja, $0.reading) })
        #expect(exact.count > 20_000)
        #expect(exact["民"] == "민" && exact["史"] == "사" && exact["條"] == "조")
        #expect(exact["歷"] == nil && exact["不"] == nil && exact["律"] == nil && exact["樂"] == nil)   // context decides
        let normalizer = HanjaNormalizer(.hangul)
        var checked = 0
        for line in HanjaTables.words.split(separator: "\n") {
            let word = line.split(separator: "\t").first.map(String.init) ?? ""
            let chars = Array(word.unicodeScalars)
            guard chars.contains(where: { exact[$0] != nil }) else { continue }
            // The word alone, and after a Hanja and a Hangul syllable (other run positions).
            for text in [word, "國" + word, "가" + word] {
                let read = Array(try normalizer.normalize(text).unicodeScalars)
                let offset = read.count - chars.count
                guard offset >= 0 else { Issue.record("\(text) → \(String(String.UnicodeScalarView(read)))"); continue }
                for (k, c) in chars.enumerated() {
                    if let r = exact[c] {
                        #expect(read[offset + k] == r, "\(text): \(c) read \(read[offset + k]), not \(r)")
                    }
                }
            }
            checked += 1
        }
        #expect(checked > 100_000)
    }

    @Test func trainedSettingsReadTheContextFreeHanja() throws {
        let plain = try TrainingNormalization.korean.settings()
        let withHanja = try TrainingNormalization.korean.settings(hanjaReadings: true)
        #expect(withHanja.precompiledCharsmap.count > plain.precompiledCharsmap.count)
        let n = try SentencePieceNormalizer(settings: withHanja)
        let text = "大韓民國 憲法 第1條 民事 歷史"
        let s = try n.normalize(text)
        // 民, 條, 事, 史 read; 歷 (歷史 → 역사 at a word's start, 학력 inside) needs context: kept.
        #expect(s.contains("민") && s.contains("조") && s.contains("사") && s.contains("歷"), "\(s)")
        // Where the charsmap reads a character, it reads it as the Hanja normalizer does.
        let exact = Dictionary(uniqueKeysWithValues: HanjaNormalizer.contextFreeReadings.map { ($0.hanja, $0.reading) })
        for word in ["民事", "條約", "歷史", "大韓民國", "憲法"] {
            let viaCharsmap = Array(try n.normalize(word).unicodeScalars.filter { $0 != "\u{2581}" && $0 != " " })
            let viaTokki = Array(try HanjaNormalizer(.hangul).normalize(word).unicodeScalars)
            #expect(viaCharsmap.count == viaTokki.count)
            for (k, c) in word.unicodeScalars.enumerated() where exact[c] != nil && k < viaCharsmap.count {
                #expect(viaCharsmap[k] == viaTokki[k], "\(word)")
            }
        }
        // Every non-Hanja rule of the Korean preset is kept.
        let base = Set(try PrecompiledCharsmap(plain.precompiledCharsmap).rules.map(\.source))
        let augmented = try PrecompiledCharsmap(withHanja.precompiledCharsmap).rules
        let kept = Set(augmented.map(\.source))
        #expect(base.isSubset(of: kept))
    }
}
