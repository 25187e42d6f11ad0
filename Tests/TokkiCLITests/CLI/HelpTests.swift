import Foundation
import Testing
import TokkiTestSupport

/// `--help` of every command: an example, and a description that reads well on an
/// 80-column terminal.
@Suite("tokki --help")
struct HelpTests {
    static let commands = ["", "normalize", "encode", "decode", "inspect", "convert", "train", "stats",
                           "batch", "prepare", "merge", "clean", "dedup", "scrub", "charsmap", "template", "instruct", "compare", "profile", "extend"]

    /// Terminal columns of `line`: Hangul, CJK and fullwidth forms take two.
    static func columns(_ line: Substring) -> Int {
        line.unicodeScalars.reduce(0) { n, s in
            let v = s.value
            let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFF00...0xFF60).contains(v)
            return n + (wide ? 2 : 1)
        }
    }

    /// ArgumentParser wraps each line of a description to the terminal but keeps its line
    /// breaks, so a source line longer than the terminal leaves a ragged stub. Shown
    /// unwrapped (COLUMNS=1000), every description line fits in 80 columns, and an
    /// `Examples:` section shows `tokki` itself ("": the top-level help).
    @Test(arguments: commands)
    func descriptionFitsAndHasExamples(_ command: String) throws {
        let r = try TokkiExecutable.run(command.isEmpty ? ["--help"] : [command, "--help"], environment: ["COLUMNS": "1000"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.text.split(separator: "\n", omittingEmptySubsequences: false)
        // The description: after the OVERVIEW paragraph, up to USAGE.
        let usage = try #require(lines.firstIndex { $0.hasPrefix("USAGE:") })
        let overviewEnd = lines.firstIndex { $0.isEmpty } ?? usage
        let description = lines[overviewEnd..<usage]
        for line in description { #expect(Self.columns(line) <= 80, "\(command): \(line)") }
        let examples = try #require(description.firstIndex { $0.hasPrefix("Examples:") }, "\(command) has no examples")
        #expect(description[(examples + 1)...].contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("tokki ") || $0.contains("| tokki ") })
    }
}
