import ArgumentParser
import Tokki

/// `tokki normalize`: normalize text line by line.
struct Normalize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "normalize",
        abstract: "Normalize UTF-8 text line by line (Korean-safe by default).",
        discussion: """
        Reads lines from --input or stdin and writes one normalized line per input line
        to stdout, streaming (memory is bounded by the longest line).

        Forms:
          korean   Korean-safe preset: keeps compatibility jamo (ㅋㅋ, ㄳ), circled
                   numbers (①), enclosed CJK (㈜ ㉠ ㉮) and CJK compatibility
                   ideographs; folds fullwidth ASCII, ｢｣, U+3000/NBSP, middle dots
                   and tildes; removes zero-width characters, the soft hyphen,
                   Hangul fillers and control characters.
          nfc, nfd, nfkc, nfkd, nfkc_cf   plain ICU normalization forms.

        Examples:
          tokki normalize --input statutes.txt > statutes.norm.txt
          echo '수고ㄳ ① ＡＢＣ' | tokki normalize --explain
          tokki normalize --form nfkc --invalid replace < mixed.txt
          echo '民法 第750條' | tokki normalize --hanja hangul   # 민법 제750조

        Hanja (--hanja): keep (default) leaves them; hangul replaces them
        by their readings, word by word from libhangul's dictionary, else
        character by character, with the initial-sound rule (歷史 → 역사)
        and 不 → 부/불; annotate writes each run of Hanja followed by its
        reading: 民法(민법). The korean form keeps CJK compatibility
        ideographs, which keep their own readings (U+F914 樂 → 낙); the
        nfkc forms fold them first.
        """
    )

    enum Form: String, ExpressibleByArgument, CaseIterable {
        case korean, nfc, nfd, nfkc, nfkd
        case nfkcCasefold = "nfkc_cf"
    }

    @Option(help: "Normalization form: \(Form.allCases.map(\.rawValue).joined(separator: ", ")).")
    var form: Form = .korean

    @Option(help: "Input file (default: stdin).")
    var input: String?

    @Flag(help: "Instead of the text, print for each changed line which characters changed into what.")
    var explain = false

    @Option(help: "Hanja: keep, hangul (民法 → 민법) or annotate (民法(민법)).")
    var hanja: HanjaNormalizer.Mode = .keep

    @OptionGroup var invalidInput: InvalidUTF8Options

    @OptionGroup var lineLimit: LineLimitOptions

    func makeNormalizer() throws(ExitCode) -> any Normalizer {
        let base = try makeFormNormalizer()
        return hanja == .keep ? base : NormalizerSequence([base, HanjaNormalizer(hanja)])
    }

    func makeFormNormalizer() throws(ExitCode) -> any Normalizer {
        do {
            switch form {
            case .korean: return KoreanNormalizer()
            case .nfc: return try ICUNormalizer(.nfc)
            case .nfd: return try ICUNormalizer(.nfd)
            case .nfkc: return try ICUNormalizer(.nfkc)
            case .nfkd: return try ICUNormalizer(.nfkd)
            case .nfkcCasefold: return try ICUNormalizer(.nfkcCasefold)
            }
        } catch {
            throw fail(error)
        }
    }

    func run() throws {
        let normalizer = try makeNormalizer()
        var reader = try LineReader.open(input, maxLineBytes: lineLimit.maxLineBytes.value)
        var out = OutputWriter()
        var lineNumber = 0
        let replace = invalidInput.replace
        let explain = self.explain
        let source = reader.displayName
        let hanja = self.hanja
        var unreadHanja = 0
        try reader.forEachLine { (line, lineEnd, lineOffset) throws(ExitCode) in
            lineNumber += 1
            var text: NormalizedText
            do {
                if let bad = UTF8Validation.firstInvalidOffset(in: line) {
                    guard replace else {
                        throw invalidUTF8(source, line: lineNumber, lineOffset: lineOffset, byteInLine: bad, text: Array(line))
                    }
                    text = try normalizer.normalize(bytes: UTF8Validation.repaired(Array(line)))
                } else {
                    text = try normalizer.normalize(utf8: line)
                }
            } catch let error as ExitCode {
                throw error
            } catch let error as TokkiError {
                throw fail(error)
            } catch {
                throw fail(.failure, "\(error)")
            }
            if explain {
                // Hanja that no table reads stay as they are: named, and counted.
                let unread = hanja == .keep ? [] : HanjaNormalizer.unreadable(in: text.string)
                unreadHanja += unread.count
                if text.isChanged || !unread.isEmpty {
                    try out.write(Explanation.describe(text, line: lineNumber))
                    for scalar in unread { try out.write("  \(Explanation.label(scalar)) → (no reading; kept)\n") }
                }
            } else {
                try text.normalized.withUnsafeBufferPointer { (b) throws(ExitCode) in try out.write(b) }
                if lineEnd != .none { try out.write(byte: 0x0A) }
            }
        }
        try out.flush()
        if explain && unreadHanja > 0 { printError("tokki normalize: \(unreadHanja) Hanja had no reading and were kept") }
    }
}

extension HanjaNormalizer.Mode: ExpressibleByArgument {}
