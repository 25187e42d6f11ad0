import Foundation
import Testing
@testable import TokkiData
import TokkiTestSupport

@Suite("PII scrubber")
struct PIIScrubberTests {
    static let scrubber = PIIScrubber()

    /// Personal data and what it becomes (written by hand; card numbers are the issuers' Luhn
    /// test numbers, the bare registration number's check digit computed separately).
    static let positives: [(String, String)] = [
        // Registration numbers.
        ("주민등록번호 800101-1234567", "주민등록번호 <|rrn|>"),
        ("피고인(800101-1234567)은", "피고인(<|rrn|>)은"),
        ("외국인등록번호: 020304-5123456.", "외국인등록번호: <|rrn|>."),
        ("2000년생 000229-3123456", "2000년생 <|rrn|>"),          // 2000-02-29 exists
        ("800101-1******", "<|rrn|>"),                              // masked tail
        ("번호 8001011234560 기재", "번호 <|rrn|> 기재"),           // bare, check digit holds
        ("주민등록번호8001011234567", "주민등록번호<|rrn|>"),       // bare, keyword before
        // Phones.
        ("연락처 010-1234-5678로 연락", "연락처 <|phone|>로 연락"),
        ("010.1234.5678", "<|phone|>"),
        ("010 1234 5678", "<|phone|>"),
        ("01012345678", "<|phone|>"),
        ("011-123-4567", "<|phone|>"),
        ("전화 02-123-4567", "전화 <|phone|>"),
        ("02-1234-5678번", "<|phone|>번"),
        ("031-123-4567, 064-712-3456", "<|phone|>, <|phone|>"),
        ("(02) 123-4567", "<|phone|>"),
        ("(031)123-4567", "<|phone|>"),
        ("+82 10-1234-5678", "<|phone|>"),
        ("+82-2-123-4567", "<|phone|>"),
        ("+82 (0)10 1234 5678", "<|phone|>"),
        ("+821012345678", "<|phone|>"),
        ("070-1234-5678", "<|phone|>"),
        ("0505-123-4567", "<|phone|>"),
        ("고객센터 1588-1234", "고객센터 <|phone|>"),
        ("HP:010-1234-5678", "HP:<|phone|>"),
        ("010-1234-5678/010-2345-6789", "<|phone|>/<|phone|>"),
        // E-mail.
        ("메일 hong.gildong+law@example.co.kr 로", "메일 <|email|> 로"),
        ("<a_b-c%d@mail.example.com>", "<<|email|>>"),
        ("연락은 kim@law.go.kr.", "연락은 <|email|>."),
        // Cards.
        ("카드 4111-1111-1111-1111 결제", "카드 <|card|> 결제"),
        ("5500 0000 0000 0004", "<|card|>"),
        ("3782-822463-10005", "<|card|>"),
        ("4111111111111111", "<|card|>"),
        ("6011111111111117", "<|card|>"),
        // Accounts.
        ("국민은행 123456-01-234567", "국민은행 <|account|>"),
        ("신한은행 계좌번호: 110-123-456789", "신한은행 계좌번호: <|account|>"),
        ("농협 302-1234-5678-11", "농협 <|account|>"),
        ("카카오뱅크 3333-01-1234567", "카카오뱅크 <|account|>"),
        ("신한 110-123-456789로 송금", "신한 <|account|>로 송금"),
        ("예금주 홍길동, 12345678901234", "예금주 홍길동, <|account|>"),
        // IP addresses.
        ("접속 IP 192.168.0.1에서", "접속 IP <|ip|>에서"),
        ("10.0.0.255:8080", "<|ip|>:8080"),
        ("2001:db8::1", "<|ip|>"),
        ("fe80::1ff:fe23:4567:890a 주소", "<|ip|> 주소"),
        ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "<|ip|>"),
        // As written in judgments and filings.
        ("☎ 02-3480-1100", "☎ <|phone|>"),
        ("010-1234-5678(휴대전화)", "<|phone|>(휴대전화)"),
        ("E-mail: kim_lawyer@naver.com", "E-mail: <|email|>"),
        ("계좌번호 110123456789 (신한)", "계좌번호 <|account|> (신한)"),
        ("피해자 김○○(여, 850315-2******)", "피해자 김○○(여, <|rrn|>)"),
    ]

    /// Legal text that must come out unchanged.
    static let negatives: [String] = [
        "민법 제750조", "법률 제17219호", "대통령령 제12345호", "제3조제1항제2호", "제1조의2",
        "대법원 2019다12345 판결", "서울중앙지방법원 2021가합512345", "2020고단1234", "2018도12345",
        "2020. 3. 14. 선고", "2020.3.14", "2020-03-14", "2020년 3월 14일", "1,000,000원", "금 12,345,678원",
        "2020년", "제1234567890호", "제 2019-12345호", "1876-1910", "1592-1598년", "1.2.3.4.5", "버전 1.2.3.4.5.6",
        "v1.2.3.4", "256.1.1.1", "10:30:45", "p. 123-145", "123-4567", "02-123-45678", "010-1234-567",
        "010-1234.5678", "4111-1111-1111-1112", "1234 5678 9012 3456", "8001011234567",
        "880101-9234567", "801301-1234567", "800230-1234567", "990229-1234567", "123456-01-234567",
        "2019다12345, 2019다12346", "사건번호 2021나2012345", "std::vector", "a::b", "f(x)::g",
        "hong@localhost", "@handle", "a@b.c", "이메일@주소.한국", "전화 010-1234-5678-1", "x010-1234-5678",
        "제010-1234-5678호", "010-1234-5678년", "기간 2000. 1. 1.부터 2000. 12. 31.까지", "1.1.1",
        "국민 123456-01-234567", "은행 2020. 3. 14.", "계좌 1,000,000원", "우리은행 2020-03-14",
        "의안번호 1809890", "1994. 12. 22. 법률 제4801호로 개정", "서울고등법원 2020나2012345", "우편번호 04520",
        "시행일 2021-01-01", "제2020-1234호", "2020.03.14.", "19:00~21:00", "3.5%", "1.5배", "제1항 내지 제3항",
        "10.1.1 목차", "3.2.2.1. Grid mode", "  3.12.5.2. Options", "LibreOffice 7.4.1.2", "git clone git@gitlab.gnome.org:GNOME/gimp-help.git",
    ]

    @Test(arguments: positives)
    func replacesPersonalData(_ input: String, _ expected: String) {
        #expect(Self.scrubber.scrub(input) == expected)
    }

    @Test(arguments: negatives)
    func leavesLegalTextAlone(_ input: String) {
        #expect(Self.scrubber.scrub(input) == input)
        #expect(Self.scrubber.matches(in: input).isEmpty)
    }

    @Test(arguments: positives)
    func scrubbingIsIdempotent(_ input: String, _ expected: String) throws {
        #expect(Self.scrubber.scrub(expected) == expected)
        let bracketed = try PIIScrubber(template: "[{KIND}]")
        let once = bracketed.scrub(input)
        #expect(bracketed.scrub(once) == once)
    }

    @Test func matchesAndCounts() {
        let text = "홍길동(800101-1234567), 010-1234-5678, 02-123-4567, hong@example.com, 192.168.0.1"
        let m = Self.scrubber.matches(in: text)
        #expect(m.map(\.kind) == [.rrn, .phone, .phone, .email, .ip])
        let bytes = Array(text.utf8)
        #expect(String(decoding: bytes[m[0].range], as: UTF8.self) == "800101-1234567")
        #expect(String(decoding: bytes[m[3].range], as: UTF8.self) == "hong@example.com")
        var counts = PIIScrubber.Counts()
        _ = Self.scrubber.scrub(text, counts: &counts)
        _ = Self.scrubber.scrub("010-9999-8888", counts: &counts)
        #expect(counts[.phone] == 3 && counts[.rrn] == 1 && counts[.email] == 1 && counts[.ip] == 1 && counts[.card] == 0)
        #expect(counts.total == 6)
    }

    /// An IPv6 address ending in `::` is glued to a registration number: the number's digits
    /// hide the address until the number is replaced, so a second scan finds it. Both matches
    /// are reported as ranges of the input.
    @Test func replacementsRevealingMatchesAreScannedAgain() {
        let text = "2001:db8::800101-1234567 끝"
        #expect(Self.scrubber.scrub(text) == "<|ip|><|rrn|> 끝")
        let m = Self.scrubber.matches(in: text)
        #expect(m == [PIIScrubber.Match(kind: .ip, range: 0..<10), PIIScrubber.Match(kind: .rrn, range: 10..<24)])
        var counts = PIIScrubber.Counts()
        _ = Self.scrubber.scrub("가 " + text, counts: &counts)
        #expect(counts[.ip] == 1 && counts[.rrn] == 1 && counts.total == 2)
    }

    /// The README's library example.
    @Test func readmeExample() throws {
        let scrubber = PIIScrubber()
        #expect(scrubber.scrub("연락처 010-1234-5678, hong@example.com") == "연락처 <|phone|>, <|email|>")
        #expect(scrubber.scrub("민법 제750조, 2019다12345, 1,000,000원") == "민법 제750조, 2019다12345, 1,000,000원")
        let custom = try PIIScrubber(kinds: [.rrn, .phone], template: "[{KIND}]")
        #expect(custom.scrub("800101-1234567 / 02-123-4567") == "[RRN] / [PHONE]")
        var counts = PIIScrubber.Counts()
        _ = scrubber.scrub("국민은행 123456-01-234567", counts: &counts)
        #expect(counts[.account] == 1)
        #expect(scrubber.matches(in: "IP 192.168.0.1") == [PIIScrubber.Match(kind: .ip, range: 3..<14)])
    }

    @Test func kindsCanBeTurnedOff() {
        let text = "010-1234-5678 hong@example.com 800101-1234567"
        let phonesOnly = PIIScrubber(kinds: [.phone])
        #expect(phonesOnly.scrub(text) == "<|phone|> hong@example.com 800101-1234567")
        #expect(PIIScrubber(kinds: []).scrub(text) == text)
        let noPhone = PIIScrubber(kinds: Set(PIIScrubber.Kind.allCases).subtracting([.phone]))
        #expect(noPhone.scrub(text) == "010-1234-5678 <|email|> <|rrn|>")
    }

    @Test func customTemplates() throws {
        let upper = try PIIScrubber(template: "[{KIND}]")
        #expect(upper.scrub("전화 010-1234-5678, 메일 a@b.kr") == "전화 [PHONE], 메일 [EMAIL]")
        #expect(upper.placeholder(for: .account) == "[ACCOUNT]")
        let same = try PIIScrubber(template: "<개인정보>")
        #expect(same.scrub("010-1234-5678 a@b.kr") == "<개인정보> <개인정보>")
        #expect(Self.scrubber.placeholder(for: .rrn) == "<|rrn|>")
        #expect(throws: PIIScrubber.TemplateError.length(0)) { try PIIScrubber(template: "") }
        #expect(throws: PIIScrubber.TemplateError.forbiddenCharacter("1")) { try PIIScrubber(template: "[PHONE1]") }
        #expect(throws: PIIScrubber.TemplateError.forbiddenCharacter("@")) { try PIIScrubber(template: "[@]") }
        #expect(throws: PIIScrubber.TemplateError.edge("PHONE")) { try PIIScrubber(template: "PHONE") }
        #expect(throws: PIIScrubber.TemplateError.edge(".x.")) { try PIIScrubber(template: ".x.") }
    }

    @Test func invalidUTF8IsCopied() {
        var out: [UInt8] = [0x41]
        let input: [UInt8] = [0xFF] + Array(" 010-1234-5678 ".utf8) + [0xE1, 0x80]
        let counts = input.withUnsafeBufferPointer { Self.scrubber.scrub(utf8: $0, into: &out) }
        #expect(counts[.phone] == 1)
        #expect(out == [0x41, 0xFF] + Array(" <|phone|> ".utf8) + [0xE1, 0x80])
    }

    /// Random mixes of personal data, legal numbers, Hangul and punctuation: scrubbing twice
    /// equals scrubbing once; text without digits, `@` or `:` is never changed.
    @Test func randomTextIsIdempotent() throws {
        var rng = SplitMix64(seed: 18)
        let pieces = ["010-1234-5678", "800101-1234567", "a@b.kr", "4111 1111 1111 1111", "192.168.0.1", "::1", "2001:db8::",
                      "국민은행", "계좌", "제750조", "2019다12345", "1,000,000원", " ", ".", "-", "(", ")", "+82", "1", "12", "@",
                      ":", "가", "x", "ab", "*", "_", "\n", "0", "5"]
        let upper = try PIIScrubber(template: "[{KIND}]")
        for _ in 0..<3000 {
            var s = ""
            for _ in 0..<Int(rng.next() % 12) { s += pieces[Int(rng.next() % UInt64(pieces.count))] }
            for scrubber in [Self.scrubber, upper] {
                let once = scrubber.scrub(s)
                #expect(scrubber.scrub(once) == once, "\(s.debugDescription) → \(once.debugDescription)")
            }
        }
    }
}
