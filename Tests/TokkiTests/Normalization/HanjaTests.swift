import Foundation
import Testing
@testable import Tokki
import TokkiTestSupport

/// Hanja readings (``HanjaNormalizer``): a table of legal and general words with their
/// standard readings (written here from the standard dictionary, not produced by the code),
/// the rules on their own, the modes and the alignment, and — when Debian's libhangul-data is
/// installed — every word of libhangul's dictionary.
@Suite("Hanja readings")
struct HanjaTests {
    /// Word → standard reading.
    /// Word → standard reading: Tests/Fixtures/hanja/words.tsv (written from the standard
    /// dictionary, not produced by the code).
    static let table: [(String, String)] = {
        guard let text = try? String(contentsOf: Fixtures.url("hanja/words.tsv"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: "\t")
            return line.hasPrefix("#") || f.count != 2 ? nil : (String(f[0]), String(f[1]))
        }
    }()

    static func hangul(_ s: String) throws -> String { try HanjaNormalizer(.hangul).normalize(s) }

    @Test func theTableReadsAsTheStandardDictionary() throws {
        #expect(Self.table.count >= 200)
        var wrong: [String] = []
        for (word, reading) in Self.table where try Self.hangul(word) != reading {
            wrong.append("\(word): \(try Self.hangul(word)) (expected \(reading))")
        }
        #expect(wrong.isEmpty, "\(wrong.count) wrong: \(wrong.joined(separator: "; "))")
    }

    /// Differential test against PyPI's `hanja` (`hanja.translate(word, "substitution")`,
    /// written by scripts/fixtures/make_hanja_reference.py): where it gives the standard
    /// reading, Tokki gives the same; PYPI_DIFFERENCES.md lists where it does not, and why.
    @Test func agreesWithPyPIHanjaWhereItIsRight() throws {
        let text = try String(contentsOf: Fixtures.url("hanja/pypi-hanja.tsv"), encoding: .utf8)
        var pypi: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: "\t")
            if f.count == 2 { pypi[String(f[0])] = String(f[1]) }
        }
        let standard = Dictionary(Self.table, uniquingKeysWith: { a, _ in a })
        #expect(pypi.count == standard.count)
        var right = 0, disagreements: [String] = []
        for (word, theirs) in pypi where standard[word] == theirs {
            right += 1
            let ours = try Self.hangul(word)
            if ours != theirs { disagreements.append("\(word): \(ours) vs \(theirs)") }
        }
        #expect(right > 250)
        #expect(disagreements.isEmpty, "\(disagreements)")
    }

    @Test func sentencesKeepEverythingButTheHanja() throws {
        #expect(try Self.hangul("民法 第750條에 따르면") == "민법 제750조에 따르면")
        #expect(try Self.hangul("大法院 2019. 5. 30. 宣告 2016다221429 判決") == "대법원 2019. 5. 30. 선고 2016다221429 판결")
        #expect(try Self.hangul("No Hanja here: 대한민국 ① ㈜") == "No Hanja here: 대한민국 ① ㈜")
        #expect(try HanjaNormalizer(.annotate).normalize("民法 第750條") == "民法(민법) 第(제)750條(조)")
        #expect(try HanjaNormalizer(.keep).normalize("民法 第750條") == "民法 第750條")
    }

    @Test func compatibilityIdeographsKeepTheirOwnReadings() throws {
        // U+F914 樂 (낙), U+F95C 樂 (락), U+F9BF 樂 (요): KS X 1001 encodes one per reading.
        #expect(try Self.hangul("\u{F914}\u{F95C}\u{F9BF}") == "낙락요")
        #expect(try Self.hangul("\u{F914}園") == "낙원")
    }

    @Test func hanjaWithoutAReadingAreKept() throws {
        let reader = HanjaReader.shared
        let unread = try #require((0x4E00...0x9FFF).first { reader.characters[UInt32($0)] == nil })
        let c = String(UnicodeScalar(UInt32(unread))!)
        #expect(try Self.hangul("民" + c + "法") == "민" + c + "법")
    }

    @Test func eachHanjaIsOneEditOfTheAlignment() throws {
        let text = try HanjaNormalizer(.hangul).normalizedText("가 民法 나")
        #expect(text.string == "가 민법 나")
        #expect(text.edits == [.init(originalStart: 4, originalLength: 3, normalizedStart: 4, normalizedLength: 3),
                               .init(originalStart: 7, originalLength: 3, normalizedStart: 7, normalizedLength: 3)])
        let annotated = try HanjaNormalizer(.annotate).normalizedText("民法")
        #expect(annotated.edits == [.init(originalStart: 6, originalLength: 0, normalizedStart: 6, normalizedLength: 8)])
    }

    @Test func theRulesOnTheirOwn() {
        typealias R = HanjaReader
        func s(_ t: String) -> UInt32 { t.unicodeScalars.first!.value }
        #expect(R.initialSound(s("력")) == s("역"))
        #expect(R.initialSound(s("로")) == s("노"))
        #expect(R.initialSound(s("녀")) == s("여"))
        #expect(R.initialSound(s("니")) == s("이"))
        #expect(R.initialSound(s("라")) == s("나"))
        #expect(R.initialSound(s("남")) == s("남"))
        #expect(R.afterVowelOrNieun(s("률"), previous: s("비")) == s("율"))
        #expect(R.afterVowelOrNieun(s("률"), previous: s("선")) == s("율"))
        #expect(R.afterVowelOrNieun(s("률"), previous: s("확")) == s("률"))
        #expect(R.afterVowelOrNieun(s("렬"), previous: s("나")) == s("열"))
        #expect(R.afterVowelOrNieun(s("례"), previous: s("선")) == s("례"))
        #expect(R.bu(before: s("당")) == s("부"))
        #expect(R.bu(before: s("족")) == s("부"))
        #expect(R.bu(before: s("법")) == s("불"))
    }

    static let dictionary = "/usr/share/libhangul/hanja/hanja.txt"

    /// Every word of libhangul's dictionary reads as one of the readings it lists (the rules
    /// plus the readings the generator stored agree with the dictionary everywhere).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: dictionary)))
    func everyDictionaryWordReadsAsTheDictionarySays() throws {
        let text = try String(contentsOfFile: Self.dictionary, encoding: .utf8)
        var listed: [String: Set<String>] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 2 else { continue }
            let reading = String(fields[0]), word = String(fields[1])
            let scalars = Array(word.unicodeScalars)
            guard scalars.count >= 2, scalars.count == reading.unicodeScalars.count,
                  scalars.allSatisfy({ HanjaReader.isHanja($0.value) }),
                  reading.unicodeScalars.allSatisfy({ (0xAC00...0xD7A3).contains($0.value) }) else { continue }
            listed[word, default: []].insert(reading)
        }
        #expect(listed.count > 200_000)
        var wrong: [String] = []
        for (word, readings) in listed {
            let got = try Self.hangul(word)
            if !readings.contains(got) && wrong.count < 20 { wrong.append("\(word): \(got) not in \(readings.sorted())") }
        }
        #expect(wrong.isEmpty, "\(wrong.joined(separator: "; "))")
    }
}
