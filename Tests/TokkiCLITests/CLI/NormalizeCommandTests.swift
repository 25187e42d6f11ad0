import Foundation
import Testing
import Tokki
import TokkiTestSupport


@Suite("tokki normalize")
struct NormalizeCommandTests {
    @Test func hazardLinesKoreanDefault() throws {
        let input = "ㅋㅋㅋ 수고ㄳ ㄱㅏ\n\u{1100}\u{1161}\u{11A8} ᄒᆞᆫ글\n① ⑳ ㉠ ㉮ ㈜ ㈔\n\u{F914}\u{F95C}\u{F9BF}\nＡＢＣ ｢민법｣\u{3000}정치ㆍ경제 2010∼2012\n가\u{200B}나\u{00AD}다\u{3164}\u{01}"
        let r = try TokkiExecutable.run(["normalize"], stdin: Data(input.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        let expected = "ㅋㅋㅋ 수고ㄳ ㄱㅏ\n각 ᄒᆞᆫ글\n① ⑳ ㉠ ㉮ ㈜ ㈔\n\u{F914}\u{F95C}\u{F9BF}\nABC 「민법」 정치·경제 2010~2012\n가나다"
        #expect(r.stdout == Data(expected.utf8))  // byte comparison: no trailing newline added
    }

    /// --hanja: hangul reads Hanja word by word (with the Korean preset first, which keeps
    /// the compatibility ideographs and their own readings), annotate adds the reading after
    /// each run, keep changes nothing; with --form nfkc the compatibility ideographs are folded
    /// first and lose their reading.
    @Test func hanjaModes() throws {
        let input = "民法 第750條에 따르면\n大法院 判決, 不動産 \u{F914}園\n한글만\n"
        let hangul = try TokkiExecutable.run(["normalize", "--hanja", "hangul"], stdin: Data(input.utf8))
        #expect(hangul.status == 0, "\(hangul.stderr)")
        #expect(hangul.text == "민법 제750조에 따르면\n대법원 판결, 부동산 낙원\n한글만\n")
        let annotate = try TokkiExecutable.run(["normalize", "--hanja", "annotate"], stdin: Data("民法 第750條\n".utf8))
        #expect(annotate.text == "民法(민법) 第(제)750條(조)\n")
        let keep = try TokkiExecutable.run(["normalize", "--hanja", "keep"], stdin: Data(input.utf8))
        #expect(keep.text == input)
        // U+F95C is 樂 encoded for the reading 락: kept by the Korean preset, folded to the
        // unified 樂 by NFKC (and then read as the dictionary word 樂園).
        let korean = try TokkiExecutable.run(["normalize", "--hanja", "hangul"], stdin: Data("\u{F95C}園\n".utf8))
        #expect(korean.text == "락원\n")
        let nfkc = try TokkiExecutable.run(["normalize", "--form", "nfkc", "--hanja", "hangul"], stdin: Data("\u{F95C}園\n".utf8))
        #expect(nfkc.text == "낙원\n")
        // A Hanja no table reads is kept, named by --explain and counted on stderr.
        let unread = try #require((0x4E00...0x9FFF).lazy.compactMap { Unicode.Scalar(UInt32($0)) }
            .first { !HanjaNormalizer.unreadable(in: String($0)).isEmpty })
        let explained = try TokkiExecutable.run(["normalize", "--hanja", "hangul", "--explain"],
                                                stdin: Data("民\(String(unread))\n그대로\n".utf8))
        #expect(explained.status == 0)
        #expect(explained.text.contains("line 1: 民\(String(unread)) → 민\(String(unread))"), "\(explained.text)")
        #expect(explained.text.contains("→ (no reading; kept)"))
        #expect(!explained.text.contains("line 2"))
        #expect(explained.stderr.contains("1 Hanja had no reading and were kept"), "\(explained.stderr)")
        let bad = try TokkiExecutable.run(["normalize", "--hanja", "hanja"], stdin: Data())
        #expect(bad.status != 0)
    }

    @Test func nfkcFormFromFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tokki-nfkc-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("수고ㄳ ①\n㈜\n".utf8).write(to: url)
        let r = try TokkiExecutable.run(["normalize", "--form", "nfkc", "--input", url.path])
        #expect(r.status == 0)
        #expect(r.text == "수곣 1\n(주)\n")
    }

    @Test func explainNamesTheCharacters() throws {
        let r = try TokkiExecutable.run(["normalize", "--explain"], stdin: Data("그대로\nＡ가\u{200B}\n".utf8))
        #expect(r.status == 0)
        #expect(!r.text.contains("line 1"))
        #expect(r.text.contains("line 2: "))
        #expect(r.text.contains("U+FF21 FULLWIDTH LATIN CAPITAL LETTER A → U+0041 LATIN CAPITAL LETTER A"))
        #expect(r.text.contains("U+200B ZERO WIDTH SPACE → (removed)"))
    }

    @Test func invalidUTF8StopsWithLineAndOffset() throws {
        let r = try TokkiExecutable.run(["normalize"], stdin: Data([0x6F, 0x6B, 0x0A, 0x62, 0x61, 0x64, 0xFF, 0x0A]))
        #expect(r.status == 65)
        #expect(r.stderr.contains("line 2"))
        #expect(r.stderr.contains("byte offset 6"))
        let replaced = try TokkiExecutable.run(["normalize", "--invalid", "replace"],
                                               stdin: Data([0x6F, 0x6B, 0x0A, 0x62, 0x61, 0x64, 0xFF, 0x0A]))
        #expect(replaced.status == 0)
        #expect(replaced.text == "ok\nbad\u{FFFD}\n")
    }

    @Test func missingInputAndBadUsage() throws {
        let missing = try TokkiExecutable.run(["normalize", "--input", "/nonexistent/tokki-input.txt"])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("/nonexistent/tokki-input.txt"))
        let usage = try TokkiExecutable.run(["normalize", "--form", "nfx"])
        #expect(usage.status == 64)
    }

    @Test func emptyInputGivesEmptyOutput() throws {
        let r = try TokkiExecutable.run(["normalize"])
        #expect(r.status == 0)
        #expect(r.stdout.isEmpty)
    }

    @Test func longInputStreamsThrough() throws {
        // 200k lines (~6 MB) crossing many read-buffer boundaries; every line must come back.
        var input = ""
        for i in 0..<200_000 { input += "제\(i)조 ① ＡＢ\n" }
        let r = try TokkiExecutable.run(["normalize"], stdin: Data(input.utf8))
        #expect(r.status == 0)
        let lines = r.text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 200_001)
        #expect(lines[123_456] == "제123456조 ① AB")
    }
}
