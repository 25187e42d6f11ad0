import ArgumentParser
import Tokki

/// `tokki decode`: lines of ids → text.
struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode lines of space-separated token ids into text.",
        discussion: """
        Each input line holds ids separated by spaces; each output line is the decoded
        text, exactly as the reference decodes it.

        Examples:
          tokki encode --model ko.model --input corpus.txt \\
            | tokki decode --model ko.model
          echo '1 298 314 339 2' | tokki decode --model ko.model
          echo '9906 1917' | tokki decode --model llama3.tiktoken
          tokki encode --model tokenizer.json --text '대한민국' \\
            | tokki decode --model tokenizer.json
        """
    )

    @Option(help: "The model: a SentencePiece .model, a tokenizer.json, a Tekken .json or a tiktoken rank file.")
    var model: String?

    @Option(help: "Input file of id lines (default: stdin).")
    var input: String?

    @Flag(help: "Write special tokens' text (default: as the reference decodes; SentencePiece always leaves out control pieces).")
    var keepSpecialTokens = false

    @Flag(help: "Leave out special tokens (default: as the reference decodes: tiktoken keeps them, the others leave them out).")
    var skipSpecialTokens = false

    func validate() throws {
        if keepSpecialTokens && skipSpecialTokens { throw ValidationError("give --keep-special-tokens or --skip-special-tokens, not both") }
    }

    @OptionGroup var lineLimit: LineLimitOptions
    @OptionGroup var specialTokens: SpecialTokenOptions

    func run() throws {
        let tokenizer = try loadModel(model, decodeOnly: true, specialTokens: specialTokens.parsed())
        let skipSpecial: Bool? = keepSpecialTokens ? false : skipSpecialTokens ? true : nil
        var reader = try LineReader.open(input, maxLineBytes: lineLimit.maxLineBytes.value)
        let source = reader.displayName
        var out = OutputWriter()
        var lineNumber = 0
        var ids: [Int] = []
        try reader.forEachLine { (line, _, _) throws(ExitCode) in
            lineNumber += 1
            ids.removeAll(keepingCapacity: true)
            var value = 0, inNumber = false, negative = false, column = 0
            for (k, b) in line.enumerated() {
                column = k + 1
                switch b {
                case 0x30...0x39:
                    if value > Int.max / 20 {
                        throw fail(.dataError, "\(source): line \(lineNumber), column \(column): id too large")
                    }
                    value = value * 10 + Int(b - 0x30); inNumber = true
                case 0x2D where !inNumber && !negative:
                    negative = true
                case 0x20, 0x09, 0x0D, 0x2C:
                    if inNumber { ids.append(negative ? -value : value) } else if negative {
                        throw fail(.dataError, "\(source): line \(lineNumber), column \(column): '-' without digits")
                    }
                    value = 0; inNumber = false; negative = false
                default:
                    throw fail(.dataError, "\(source): line \(lineNumber), column \(column): expected token ids (digits separated by spaces)")
                }
            }
            if inNumber { ids.append(negative ? -value : value) }
            do {
                try out.write(try skipSpecial.map { (skip) throws(TokkiError) in try tokenizer.decode(ids, skipSpecialTokens: skip) }
                    ?? tokenizer.decode(ids))
            } catch let e as TokkiError {
                throw fail(.dataError, "\(source): line \(lineNumber): \(e.description)")
            } catch let e as ExitCode {
                throw e
            } catch {
                throw fail(.failure, "\(error)")
            }
            try out.write(byte: 0x0A)
        }
        try out.flush()
    }
}
