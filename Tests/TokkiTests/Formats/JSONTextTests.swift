import Foundation
import Testing
import Tokki
import TokkiTestSupport

@Suite("JSON text")
struct JSONTextTests {
    /// Every ASCII byte (controls, quote, backslash, DEL) and multi-byte UTF-8 survive
    /// `appendString` as a JSON string that Foundation's parser reads back unchanged, through
    /// both the copy-at-once path (nothing to escape) and the escaping one.
    @Test func stringsReadBackUnchanged() throws {
        var texts = (0..<128).map { String(UnicodeScalar(UInt8($0))) }
        texts += ["", "민법 제1조", "a\"b\\c", "탭\t줄\n끝", "\u{7F}", "▁대한민국", String(repeating: "가나다", count: 100) + "\u{1}"]
        for text in texts {
            var out: [UInt8] = Array("[".utf8)
            JSONText.appendString(text, to: &out)
            out.append(contentsOf: Array("]".utf8))
            let parsed = try JSONSerialization.jsonObject(with: Data(out)) as? [String]
            #expect(parsed == [text], "\(Array(text.utf8))")
            // Controls and DEL never appear raw.
            #expect(!out.contains { $0 < 0x20 || $0 == 0x7F })
        }
        var escaped: [UInt8] = []
        JSONText.appendString("\u{1}\"", to: &escaped)
        #expect(String(decoding: escaped, as: UTF8.self) == "\"\\u0001\\\"\"")
    }
}
