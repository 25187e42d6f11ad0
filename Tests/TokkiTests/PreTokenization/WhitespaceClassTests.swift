import Testing
@testable import Tokki
import TokkiTestSupport

/// `\s` in tokenizer patterns means the Unicode White_Space property in the references
/// (Oniguruma in `tokenizers`, Rust regex in tiktoken, Python `regex`): VT, NEL, U+2028 and
/// NBSP are whitespace, U+001C is not. Expected pieces from `tokenizers` 0.23.3's
/// `Split(Regex(r"\s+"), "isolated")` on the same string.
@Suite struct WhitespaceClassTests {
    @Test func backslashSMeansWhiteSpace() throws {
        let s = "a\u{0B}b\u{85}c\u{1C}d\u{2028}e\u{A0}f"
        let split = try RegexSplit(pattern: #"\s+"#, behavior: .isolated, dialect: .oniguruma)
        #expect(try split.pieces(s) == ["a", "\u{0B}", "b", "\u{85}", "c\u{1C}d", "\u{2028}", "e", "\u{A0}", "f"])
    }
}

/// A pathological pattern (exponential backtracking) from a file fails with a clear error
/// after a bounded time instead of hanging.
@Suite struct RegexTimeLimitTests {
    @Test func catastrophicBacktrackingIsAnError() throws {
        let split = try RegexSplit(pattern: "(a+)+b", behavior: .isolated)
        let text = Array(String(repeating: "a", count: 40).utf8)
        #expect {
            try text.withUnsafeBufferPointer { (b) throws(TokkiError) in _ = try split.regexMatches(b) }
        } throws: { ($0 as? TokkiError)?.description.contains("TIME_OUT") == true }
    }
}
