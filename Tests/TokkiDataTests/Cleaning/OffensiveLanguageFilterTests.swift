import Foundation
import Testing
@testable import TokkiData

/// The `offensive` rule: a table of texts it must catch (spacing, punctuation, jamo tricks) and
/// of ordinary Korean it must leave alone (legal text above all).
struct OffensiveLanguageFilterTests {
    static let filter = OffensiveLanguageFilter()

    static func hit(_ text: String) -> String? {
        filter.evaluate(TextProfile(Array(text.utf8)))?.detail
    }

    @Test(arguments: [
        ("이런 시발 진짜", "시발"), ("씨발", "씨발"), ("씨 발", "씨발"), ("씨.발", "씨발"), ("씨1발놈아", "씨발"),
        ("야 ㅅㅂ 뭐해", "ㅅㅂ"), ("ㅅ ㅂ", "ㅅㅂ"), ("ㅅㅣ발", "시발"), ("개새끼야 꺼져", "개새끼"), ("병.신같은", "병신"),
        ("너 진짜 ㅂㅅ이냐", "ㅂㅅ"), ("좆같네", "좆"), ("존나 싫다", "존나"), ("지랄하지 마", "지랄"), ("미친놈이", "미친놈"),
        ("씨 발 놈", "씨발"), ("SIBAL 씨~발!!", "씨발"), ("시발점에서 씨발", "씨발"),
    ] as [(String, String)])
    func catches(_ text: String, _ word: String) {
        let detail = Self.hit(text)
        #expect(detail?.contains("\"\(word)\"") == true, "\(text) → \(detail ?? "nil")")
    }

    @Test(arguments: [
        "시발점과 종착점", "시발역에서 출발한다", "사고 발생 시 발견된 경우에는", "병신년(1956년)에 제정된 법률",
        "보지 아니하고 처분한다", "껌을 씹는 행위", "끈을 졸라매다", "염병은 법정 감염병이다", "사범대학 ㅅ자 모양", "시 발표회",
        "가시 발톱", "관리인 지정 랄프 씨", "대한민국 헌법 제1조", "미친 듯이 일했다", "존 나이트 경", "개 새 한 마리",
        "이 법은 공포한 날부터 시행한다.", "시행 시 발효된다",
    ])
    func leavesOrdinaryKoreanAlone(_ text: String) {
        #expect(Self.hit(text) == nil, "\(text) → \(Self.hit(text) ?? "")")
    }

    @Test func lexiconFileAddsWordsAndAllowedWords() throws {
        let f = try OffensiveLanguageFilter(file: Array("# more\n멍청이\nallow:멍청이과\n\n".utf8), source: "lex.txt")
        #expect(f.evaluate(TextProfile(Array("이 멍청이야".utf8)))?.rule == "offensive")
        #expect(f.evaluate(TextProfile(Array("멍청이과 식물".utf8))) == nil)
        #expect(throws: DataError.self) { try OffensiveLanguageFilter(file: [0x41, 0xFF, 0x0A], source: "bad.txt") }
    }

    @Test func emptyAndNonKoreanText() {
        #expect(Self.hit("") == nil && Self.hit("Hello, world! 12345") == nil && Self.hit("ㅋㅋㅋㅋ ㅎㅎ") == nil)
    }
}
