import ArgumentParser
import Foundation
import Tokki
import TokkiData

/// `tokki compare`: several tokenizers on the same corpus, side by side.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare tokenizers on a corpus: tokens per character, eojeol and word, unknown and byte rates, vocabulary use, most split words.",
        discussion: """
        Encodes every line of the inputs (or stdin) with every --model and prints a
        table, one column per model: tokens per character (Unicode scalars, line ends
        excluded), per eojeol (a run without space or tab) and per word (a run of
        letters, digits and marks), the share of unknown tokens, of byte-fallback
        tokens (<0xNN>) and of partial-character tokens (a byte-level token holding
        part of a character), and how much of the vocabulary is used; then, per
        model, the frequent eojeols it splits into the most tokens (among the 2,000
        most frequent, each encoded alone).

        --json FILE writes the numbers as JSON; --html FILE a self-contained page
        with SVG bar charts (no network needed to view it).

        Examples:
          tokki compare --model Vocab/tokki-ko-bpe-16k.model \\
              --model models/llama2/tokenizer.model --input kolaw.txt
          tokki compare --model ko.model --model qwen3/ --name ko --name qwen3 \\
              --input bills.txt --html compare.html --json compare.json
        """
    )

    @Option(help: "A model (repeatable): .model, tokenizer.json, Tekken .json, .tiktoken or a model folder.")
    var model: [String] = []

    @Option(help: "A display name for the model in the same position (repeatable; default: the file name).")
    var name: [String] = []

    @Option(help: "Input file (repeatable; default: stdin).")
    var input: [String] = []

    @Option(help: "Write the numbers as JSON to this file.")
    var json: String?

    @Option(help: "Write a self-contained HTML report with charts to this file.")
    var html: String?

    @Option(help: "The report's title.")
    var title: String = "Tokenizer comparison"

    @Option(help: "How many most split eojeols to list per model.")
    var mostSplit: Int = 20

    @OptionGroup var threading: ThreadOptions
    @OptionGroup var invalidInput: InvalidUTF8Options
    @OptionGroup var lineLimit: LineLimitOptions
    @OptionGroup var progressOptions: ProgressOptions

    func validate() throws {
        if model.isEmpty { throw ValidationError("give at least one --model (two or more to compare)") }
        if !name.isEmpty && name.count != model.count { throw ValidationError("give one --name per --model (\(model.count)), or none") }
        if mostSplit < 0 { throw ValidationError("--most-split must be 0 or more") }
    }

    func run() throws {
        var tokenizers: [(name: String, tokenizer: any Tokenizer)] = []
        for (k, path) in model.enumerated() {
            let t = try loadModel(path)
            let label = name.isEmpty ? URL(fileURLWithPath: path).lastPathComponent : name[k]
            tokenizers.append((label, t.withoutStoredTruncationAndPadding()))
        }
        let workers = threading.workers
        let box = ComparisonBox(tokenizers, count: workers)
        let replace = invalidInput.replace
        try LinePipeline.run(inputs: input.isEmpty ? [nil] : input.map(Optional.some), maxLineBytes: lineLimit.maxLineBytes.value,
                             workers: workers, process: { (batch, w) -> LineFailure? in
            for k in 0..<batch.count {
                let failure: LineFailure? = batch.withLine(k) { raw -> LineFailure? in
                    if let bad = UTF8Validation.firstInvalidOffset(in: raw) {
                        guard replace else { return LineFailure(line: k, error: nil, invalidByte: bad) }
                        let repaired = Array(String(decoding: raw, as: UTF8.self).utf8)
                        do throws(TokkiError) { try box.slots[w].add(repaired) } catch { return LineFailure(line: k, error: error, invalidByte: 0) }
                        return nil
                    }
                    do throws(TokkiError) { try box.slots[w].add(raw) } catch { return LineFailure(line: k, error: error, invalidByte: 0) }
                    return nil
                }
                if let failure { return failure }
            }
            return nil
        }, consume: { (batch, failure) throws(ExitCode) in
            if let failure { throw failure.exit(batch) }
        })
        var total = box.slots[0]
        for w in 1..<workers { total.merge(box.slots[w]) }
        let report: TokenizerComparisonReport
        do { report = try total.report(mostSplit: mostSplit) } catch { throw fail(error) }
        do {
            if let json {
                let f = try AtomicFile(path: json)
                try f.write(report.json)
                try f.commit()
            }
            if let html {
                let f = try AtomicFile(path: html)
                try f.write(Array(report.html(title: title).utf8))
                try f.commit()
            }
        } catch { throw fail(.cannotCreate, "\(error)") }
        var out = OutputWriter()
        try out.write(report.table)
        try out.flush()
    }
}

/// One comparison per worker, each with its own encoders (worker `w` touches only
/// `slots[w]`, through raw memory, so the workers never share an array).
final class ComparisonBox: @unchecked Sendable {
    let slots: UnsafeMutableBufferPointer<TokenizerComparison>
    init(_ tokenizers: [(name: String, tokenizer: any Tokenizer)], count: Int) {
        slots = .allocate(capacity: max(1, count))
        guard let base = slots.baseAddress else { return }
        for k in 0..<slots.count {
            assert(k < slots.count, "a comparison slot past the buffer")
            (base + k).initialize(to: TokenizerComparison(tokenizers: tokenizers))
        }
    }
    deinit {
        slots.deinitialize()
        slots.deallocate()
    }
}
