import Testing
@testable import Tokki
import TokkiTestSupport

/// One row of KOREAN.md §2: an input and what each form must make of it.
/// Expected values are the ICU 72 results recorded in KOREAN.md (verified there with the
/// ICU C API and `uconv`), and the Korean preset's documented behaviour.
struct Hazard: Sendable, CustomTestStringConvertible {
    let row: String
    let input: String
    var nfc: String? = nil
    var nfd: String? = nil
    var nfkc: String? = nil
    var nfkcCasefold: String? = nil
    let korean: String

    var testDescription: String { "row \(row)" }
}

let hazards: [Hazard] = [
    Hazard(row: "1", input: "ㅋㅋ", nfc: "ㅋㅋ", nfkc: "\u{110F}\u{110F}", nfkcCasefold: "\u{110F}\u{110F}", korean: "ㅋㅋ"),
    Hazard(row: "2", input: "ㄱㅏ", nfc: "ㄱㅏ", nfkc: "\u{AC00}", nfkcCasefold: "\u{AC00}", korean: "ㄱㅏ"),
    Hazard(row: "2b", input: "ㄱ ㅏ", nfkc: "\u{1100} \u{1161}", korean: "ㄱ ㅏ"),
    Hazard(row: "3", input: "수고ㄳ", nfc: "수고ㄳ", nfkc: "\u{C218}\u{ACE3}", nfkcCasefold: "수곣", korean: "수고ㄳ"),
    Hazard(row: "3'", input: "가ㄳ ㅋㅋㄳ", nfkc: "\u{AC03} \u{110F}\u{110F}\u{11AA}", korean: "가ㄳ ㅋㅋㄳ"),
    Hazard(row: "4", input: "\u{FFA1}\u{FFA0}", nfc: "\u{FFA1}\u{FFA0}", nfkc: "\u{1100}\u{1160}", nfkcCasefold: "\u{1100}", korean: "\u{3131}"),
    Hazard(row: "5", input: "\u{1100}\u{1161}", nfc: "\u{AC00}", nfd: "\u{1100}\u{1161}", nfkc: "\u{AC00}", korean: "\u{AC00}"),
    Hazard(row: "6", input: "\u{D55C}", nfc: "\u{D55C}", nfd: "\u{1112}\u{1161}\u{11AB}", nfkc: "\u{D55C}", korean: "\u{D55C}"),
    Hazard(row: "7", input: "\u{1112}\u{119E}\u{11AB}\u{AE00}", nfc: "\u{1112}\u{119E}\u{11AB}\u{AE00}",
           nfd: "\u{1112}\u{119E}\u{11AB}\u{1100}\u{1173}\u{11AF}", nfkc: "\u{1112}\u{119E}\u{11AB}\u{AE00}",
           korean: "\u{1112}\u{119E}\u{11AB}\u{AE00}"),
    Hazard(row: "8", input: "가\u{3164}나", nfc: "가\u{3164}나", nfkc: "가\u{1160}나", nfkcCasefold: "가나", korean: "가나"),
    Hazard(row: "8b", input: "a\u{115F}\u{1160}b", nfkc: "a\u{115F}\u{1160}b", nfkcCasefold: "ab", korean: "ab"),
    Hazard(row: "9", input: "㈜", nfc: "㈜", nfkc: "(주)", nfkcCasefold: "(주)", korean: "㈜"),
    Hazard(row: "10", input: "㉠", nfc: "㉠", nfkc: "\u{1100}", nfkcCasefold: "\u{1100}", korean: "㉠"),
    Hazard(row: "11", input: "㉮목", nfc: "㉮목", nfkc: "가목", korean: "㉮목"),
    Hazard(row: "12", input: "㈎㈀㈔㉾", nfc: "㈎㈀㈔㉾", nfkc: "(가)(\u{1100})(사)우", korean: "㈎㈀㈔㉾"),
    Hazard(row: "13", input: "① 대한민국은", nfc: "① 대한민국은", nfkc: "1 대한민국은", korean: "① 대한민국은"),
    Hazard(row: "13'", input: "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳", nfkc: "1234567891011121314151617181920",
           korean: "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"),
    Hazard(row: "14", input: "⑴⒈㉑", nfc: "⑴⒈㉑", nfkc: "(1)1.21", korean: "⑴⒈㉑"),
    Hazard(row: "14b", input: "⓵", nfc: "⓵", nfd: "⓵", nfkc: "⓵", nfkcCasefold: "⓵", korean: "⓵"),
    Hazard(row: "15", input: "정치·경제", nfc: "정치·경제", nfkc: "정치·경제", korean: "정치·경제"),
    Hazard(row: "16", input: "정치ㆍ경제", nfc: "정치ㆍ경제", nfkc: "정치\u{119E}경제", nfkcCasefold: "정치\u{119E}경제", korean: "정치·경제"),
    Hazard(row: "17", input: "a\u{30FB}b\u{2027}c\u{22C5}d\u{2219}e", nfc: "a\u{30FB}b\u{2027}c\u{22C5}d\u{2219}e",
           nfkc: "a\u{30FB}b\u{2027}c\u{22C5}d\u{2219}e", korean: "a·b·c·d·e"),
    Hazard(row: "17b", input: "a\u{FF65}b", nfkc: "a\u{30FB}b", korean: "a·b"),
    Hazard(row: "17c", input: "a\u{0387}b", nfc: "a\u{00B7}b", korean: "a·b"),
    Hazard(row: "18", input: "2010\u{2024}12\u{2024}1", nfc: "2010\u{2024}12\u{2024}1", nfkc: "2010.12.1", korean: "2010.12.1"),
    Hazard(row: "19", input: "\u{F914}\u{F95C}\u{F9BF}", nfc: "\u{6A02}\u{6A02}\u{6A02}", nfd: "\u{6A02}\u{6A02}\u{6A02}",
           nfkc: "\u{6A02}\u{6A02}\u{6A02}", korean: "\u{F914}\u{F95C}\u{F9BF}"),
    Hazard(row: "19'", input: "\u{F90A}\u{F9E1}\u{F9D1}\u{F901}\u{F967}\u{F9A8}\u{FA78}",
           nfc: "\u{91D1}\u{674E}\u{516D}\u{66F4}\u{4E0D}\u{4EE4}\u{559D}",
           korean: "\u{F90A}\u{F9E1}\u{F9D1}\u{F901}\u{F967}\u{F9A8}\u{FA78}"),
    Hazard(row: "20", input: "ＡＢＣ１２３（가）", nfc: "ＡＢＣ１２３（가）", nfkc: "ABC123(가)", nfkcCasefold: "abc123(가)", korean: "ABC123(가)"),
    Hazard(row: "21", input: "a\u{3000}b\u{00A0}c\u{202F}d", nfc: "a\u{3000}b\u{00A0}c\u{202F}d", nfkc: "a b c d", korean: "a b c d"),
    Hazard(row: "22", input: "가\u{200B}나\u{200D}다\u{FEFF}라", nfc: "가\u{200B}나\u{200D}다\u{FEFF}라",
           nfkc: "가\u{200B}나\u{200D}다\u{FEFF}라", nfkcCasefold: "가나다라", korean: "가나다라"),
    Hazard(row: "22'", input: "가\u{2060}나", nfkc: "가\u{2060}나", korean: "가나"),
    Hazard(row: "22b", input: "법\u{00AD}률", nfkc: "법\u{00AD}률", nfkcCasefold: "법률", korean: "법률"),
    Hazard(row: "23", input: "「민법」『헌법』", nfc: "「민법」『헌법』", nfd: "「\u{1106}\u{1175}\u{11AB}\u{1107}\u{1165}\u{11B8}」『\u{1112}\u{1165}\u{11AB}\u{1107}\u{1165}\u{11B8}』",
           nfkc: "「민법」『헌법』", nfkcCasefold: "「민법」『헌법』", korean: "「민법」『헌법』"),
    Hazard(row: "23b", input: "｢민법｣", nfc: "｢민법｣", nfkc: "「민법」", korean: "「민법」"),
    Hazard(row: "23c", input: "\u{2329}", nfc: "\u{3008}", korean: "\u{3008}"),
    Hazard(row: "23d", input: "“가”‘나’", nfc: "“가”‘나’", nfkc: "“가”‘나’", korean: "“가”‘나’"),
    Hazard(row: "24", input: "2010\u{223C}2012\u{FF5E}", nfc: "2010\u{223C}2012\u{FF5E}", nfkc: "2010\u{223C}2012~", korean: "2010~2012~"),
    Hazard(row: "25", input: "a\u{00B4}", nfc: "a\u{00B4}", nfkc: "a \u{0301}", korean: "a \u{0301}"),
    Hazard(row: "26", input: "㎡ ℃ Ⅳ ㍱", nfc: "㎡ ℃ Ⅳ ㍱", nfkc: "m2 °C IV hPa", nfkcCasefold: "m2 °c iv hpa", korean: "㎡ °C IV hPa"),
]

@Suite("KOREAN.md §2 hazards")
struct KoreanHazardTests {
    static let nfc = try! ICUNormalizer(.nfc)
    static let nfd = try! ICUNormalizer(.nfd)
    static let nfkc = try! ICUNormalizer(.nfkc)
    static let nfkcCasefold = try! ICUNormalizer(.nfkcCasefold)
    static let korean = KoreanNormalizer()

    @Test(arguments: hazards)
    func hazard(_ h: Hazard) throws {
        if let nfc = h.nfc { #expect(try Self.nfc.normalize(h.input).unicodeScalars.elementsEqual(nfc.unicodeScalars), "NFC") }
        if let nfd = h.nfd { #expect(try Self.nfd.normalize(h.input).unicodeScalars.elementsEqual(nfd.unicodeScalars), "NFD") }
        if let nfkc = h.nfkc { #expect(try Self.nfkc.normalize(h.input).unicodeScalars.elementsEqual(nfkc.unicodeScalars), "NFKC") }
        if let cf = h.nfkcCasefold {
            #expect(try Self.nfkcCasefold.normalize(h.input).unicodeScalars.elementsEqual(cf.unicodeScalars), "NFKC_CF")
        }
        let korean = try Self.korean.normalize(h.input)
        #expect(korean.unicodeScalars.elementsEqual(h.korean.unicodeScalars),
                "korean: got \(korean.unicodeScalars.map { String($0.value, radix: 16) })")
    }
}
