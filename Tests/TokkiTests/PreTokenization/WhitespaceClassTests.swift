import Testing
@testable import Tokki

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
