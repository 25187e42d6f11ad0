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
    static let table: [(String, String)] = [
        // Statutes and their parts.
        ("民法", "민법"), ("刑法", "형법"), ("憲法", "헌법"), ("商法", "상법"), ("民事訴訟法", "민사소송법"),
        ("刑事訴訟法", "형사소송법"), ("行政法", "행정법"), ("勞動法", "노동법"), ("勤勞基準法", "근로기준법"),
        ("著作權法", "저작권법"), ("特許法", "특허법"), ("國籍法", "국적법"), ("法律", "법률"), ("法令", "법령"),
        ("命令", "명령"), ("規則", "규칙"), ("條例", "조례"), ("條約", "조약"), ("附則", "부칙"), ("本則", "본칙"),
        ("條項", "조항"), ("但書", "단서"), ("施行令", "시행령"), ("施行規則", "시행규칙"), ("改正", "개정"),
        ("制定", "제정"), ("廢止", "폐지"), ("公布", "공포"), ("施行", "시행"), ("第", "제"), ("條", "조"),
        ("項", "항"), ("號", "호"), ("款", "관"), ("目", "목"), ("章", "장"), ("節", "절"), ("編", "편"),
        // Courts and procedure.
        ("大法院", "대법원"), ("憲法裁判所", "헌법재판소"), ("高等法院", "고등법원"), ("地方法院", "지방법원"),
        ("家庭法院", "가정법원"), ("行政法院", "행정법원"), ("特許法院", "특허법원"), ("判決", "판결"), ("判例", "판례"),
        ("決定", "결정"), ("命令書", "명령서"), ("原告", "원고"), ("被告", "피고"), ("被告人", "피고인"),
        ("檢事", "검사"), ("辯護士", "변호사"), ("判事", "판사"), ("裁判", "재판"), ("裁判官", "재판관"),
        ("上告", "상고"), ("抗訴", "항소"), ("抗告", "항고"), ("再審", "재심"), ("棄却", "기각"), ("却下", "각하"),
        ("破棄", "파기"), ("還送", "환송"), ("訴訟", "소송"), ("訴狀", "소장"), ("答辯書", "답변서"),
        ("證據", "증거"), ("證人", "증인"), ("鑑定", "감정"), ("宣告", "선고"), ("執行", "집행"), ("執行猶豫", "집행유예"),
        ("懲役", "징역"), ("禁錮", "금고"), ("罰金", "벌금"), ("科料", "과료"), ("沒收", "몰수"), ("追徵", "추징"),
        ("拘束", "구속"), ("逮捕", "체포"), ("起訴", "기소"), ("公訴", "공소"), ("控訴", "공소"), ("告訴", "고소"),
        ("告發", "고발"), ("搜査", "수사"), ("搜索", "수색"), ("押收", "압수"), ("令狀", "영장"), ("辯論", "변론"),
        ("陳述", "진술"), ("供述", "공술"), ("自白", "자백"), ("和解", "화해"), ("調停", "조정"), ("仲裁", "중재"),
        // Civil law.
        ("損害賠償", "손해배상"), ("不法行爲", "불법행위"), ("債權", "채권"), ("債務", "채무"), ("債務不履行", "채무불이행"),
        ("契約", "계약"), ("解除", "해제"), ("解止", "해지"), ("取消", "취소"), ("無效", "무효"), ("所有權", "소유권"),
        ("占有", "점유"), ("抵當權", "저당권"), ("傳貰權", "전세권"), ("地上權", "지상권"), ("留置權", "유치권"),
        ("質權", "질권"), ("相續", "상속"), ("遺言", "유언"), ("遺留分", "유류분"), ("婚姻", "혼인"), ("離婚", "이혼"),
        ("親權", "친권"), ("扶養", "부양"), ("時效", "시효"), ("消滅時效", "소멸시효"), ("善意", "선의"), ("惡意", "악의"),
        ("過失", "과실"), ("故意", "고의"), ("代理", "대리"), ("代理人", "대리인"), ("委任", "위임"), ("賃貸借", "임대차"),
        ("賣買", "매매"), ("贈與", "증여"), ("請求", "청구"), ("請求權", "청구권"), ("權利", "권리"), ("義務", "의무"),
        ("利益", "이익"), ("不當利得", "부당이득"), ("相殺", "상쇄"), ("辨濟", "변제"), ("供託", "공탁"), ("保證", "보증"),
        ("連帶", "연대"), ("連帶保證", "연대보증"), ("法人", "법인"), ("社團法人", "사단법인"), ("財團法人", "재단법인"),
        ("會社", "회사"), ("株式會社", "주식회사"), ("理事", "이사"), ("理事會", "이사회"), ("監事", "감사"),
        // Criminal law.
        ("殺人", "살인"), ("强盜", "강도"), ("竊盜", "절도"), ("詐欺", "사기"), ("橫領", "횡령"), ("背任", "배임"),
        ("暴行", "폭행"), ("傷害", "상해"), ("脅迫", "협박"), ("恐喝", "공갈"), ("放火", "방화"), ("僞證", "위증"),
        ("賂物", "뇌물"), ("未遂", "미수"), ("共犯", "공범"), ("正犯", "정범"), ("敎唆", "교사"),
        ("幇助", "방조"), ("正當防衛", "정당방위"), ("緊急避難", "긴급피난"), ("累犯", "누범"), ("量刑", "양형"),
        // The initial-sound rule at a word's start, and not inside.
        ("歷史", "역사"), ("勞動", "노동"), ("女子", "여자"), ("來日", "내일"), ("良心", "양심"), ("理由", "이유"),
        ("論理", "논리"), ("老人", "노인"), ("年金", "연금"), ("年齡", "연령"), ("流通", "유통"), ("陸地", "육지"),
        ("倫理", "윤리"), ("利用", "이용"), ("林野", "임야"), ("立法", "입법"), ("領土", "영토"), ("禮儀", "예의"),
        ("兩院", "양원"), ("料金", "요금"), ("龍", "용"), ("樓閣", "누각"), ("羅列", "나열"), ("洛東江", "낙동강"), ("論文", "논문"),
        ("先例", "선례"), ("男女", "남녀"), ("事例", "사례"), ("經歷", "경력"), ("協力", "협력"), ("心理", "심리"),
        ("道理", "도리"), ("管理", "관리"), ("處理", "처리"), ("審理", "심리"), ("結論", "결론"),
        ("老少", "노소"), ("男女老少", "남녀노소"), ("家內勞動", "가내노동"), ("新女性", "신여성"),
        // 렬/률 after a vowel or ㄴ, and after other finals.
        ("規律", "규율"), ("比率", "비율"), ("確率", "확률"), ("法律", "법률"), ("旋律", "선율"), ("韻律", "운율"),
        ("百分率", "백분율"), ("出生率", "출생률"), ("合格率", "합격률"), ("效率", "효율"), ("稅率", "세율"),
        ("利率", "이율"), ("强烈", "강렬"), ("羅列", "나열"), ("分裂", "분열"), ("先烈", "선열"), ("行列", "행렬"),
        ("序列", "서열"), ("陳列", "진열"), ("決裂", "결렬"),
        // 不: 부 before ㄷ/ㅈ, 불 otherwise.
        ("不當", "부당"), ("不動産", "부동산"), ("不足", "부족"), ("不正", "부정"), ("不在", "부재"), ("不法", "불법"),
        ("不安", "불안"), ("不利", "불리"), ("不便", "불편"), ("不服", "불복"), ("不起訴", "불기소"), ("不良", "불량"),
        ("不可能", "불가능"), ("不適法", "부적법"), ("不動", "부동"), ("不得已", "부득이"), ("不渡", "부도"),
        // Characters with several readings.
        ("音樂", "음악"), ("樂園", "낙원"), ("快樂", "쾌락"), ("娛樂", "오락"), ("樂器", "악기"), ("金錢", "금전"),
        ("金額", "금액"), ("金融", "금융"), ("料金", "요금"), ("引率", "인솔"), ("便利", "편리"), ("便所", "변소"),
        ("更新", "갱신"), ("變更", "변경"), ("復活", "부활"), ("回復", "회복"), ("說明", "설명"), ("遊說", "유세"),
        ("殺害", "살해"), ("銀行", "은행"), ("行爲", "행위"), ("貿易", "무역"), ("容易", "용이"), ("惡法", "악법"),
        ("憎惡", "증오"), ("自動車", "자동차"), ("自轉車", "자전거"), ("切斷", "절단"),
        ("開拓", "개척"), ("住宅", "주택"), ("降伏", "항복"), ("下降", "하강"), ("暴力", "폭력"), ("暴惡", "포악"),
        ("洞察", "통찰"), ("知識", "지식"), ("標識", "표지"), ("要塞", "요새"), ("狀況", "상황"), ("賞狀", "상장"),
        ("省略", "생략"), ("反省", "반성"), ("否認", "부인"), ("雪糖", "설탕"), ("糖分", "당분"), ("紅茶", "홍차"),
        ("敗北", "패배"), ("北韓", "북한"), ("謁見", "알현"), ("意見", "의견"),
        // General words.
        ("大韓民國", "대한민국"), ("國會", "국회"), ("政府", "정부"), ("國民", "국민"), ("國家", "국가"), ("自由", "자유"),
        ("平等", "평등"), ("正義", "정의"), ("人權", "인권"), ("選擧", "선거"), ("大統領", "대통령"), ("國務總理", "국무총리"),
        ("長官", "장관"), ("公務員", "공무원"), ("地方自治", "지방자치"), ("學校", "학교"), ("大學校", "대학교"),
        ("社會", "사회"), ("經濟", "경제"), ("文化", "문화"), ("民主主義", "민주주의"), ("財産", "재산"), ("稅金", "세금"),
    ]

    static func hangul(_ s: String) throws -> String { try HanjaNormalizer(.hangul).normalize(s) }

    @Test func theTableReadsAsTheStandardDictionary() throws {
        #expect(Self.table.count >= 200)
        var wrong: [String] = []
        for (word, reading) in Self.table where try Self.hangul(word) != reading {
            wrong.append("\(word): \(try Self.hangul(word)) (expected \(reading))")
        }
        #expect(wrong.isEmpty, "\(wrong.count) wrong: \(wrong.joined(separator: "; "))")
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
