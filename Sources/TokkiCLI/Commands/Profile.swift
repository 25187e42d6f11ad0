import ArgumentParser
import Foundation
import Tokki
import TokkiData

/// `tokki profile`: distributions, script mix, rule hits, duplicates and samples of a corpus.
struct Profile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Profile a corpus: length, Hangul, repetition and token distributions, script mix, rule hits, duplicates, samples.",
        discussion: """
        Reads documents (one per line, or a JSONL field) from files or stdin,
        streaming, on all cores, and computes: histograms of length (characters),
        Hangul ratio (of letters), duplicate-line fraction and, with --model, tokens;
        the script mix; how many documents each quality rule of `tokki clean` would
        remove (its default thresholds) and how many none would; exact duplicates,
        per source (the input file, or --source-field); and the first documents kept
        and removed by each rule, for review. The summary goes to stdout; --json and
        --html write the whole profile (the HTML page has SVG charts and needs no
        network).

        Examples:
          tokki profile --input kolaw.txt --input kobill.txt --html profile.html
          tokki profile --input crawl.jsonl.zst --text-field text \\
              --source-field url --model ko.model --json profile.json
        """
    )

    @OptionGroup var documentInput: DocumentInputOptions

    @Option(help: "JSONL input: the field naming each document's source (default: the input file).")
    var sourceField: String?

    @Option(help: "Count tokens with this model (.model, tokenizer.json, .tiktoken, Tekken .json or a model folder).")
    var model: String?

    @Option(help: "Write the profile as JSON to this file.")
    var json: String?

    @Option(help: "Write a self-contained HTML report with charts and samples to this file.")
    var html: String?

    @Option(help: "Sample documents kept per rule (and of the kept ones).")
    var samples: Int = 5

    @Option(help: "The report's title.")
    var title: String = "Corpus profile"

    @OptionGroup var threading: ThreadOptions
    @OptionGroup var lineLimit: LineLimitOptions
    @OptionGroup var progressOptions: ProgressOptions

    func validate() throws {
        if samples < 0 { throw ValidationError("--samples must be 0 or more") }
        if sourceField != nil && documentInput.textField == nil { throw ValidationError("--source-field reads JSONL: give --text-field too") }
    }

    /// A document's facts, or the rule that makes a line no document.
    enum Outcome: Sendable {
        case success(DocumentFacts)
        case failure(String)
    }

    /// A document read, or why a line is none.
    enum Item: Sendable {
        case document(text: [UInt8], raw: [UInt8], source: String)
        case unreadable(String)
    }

    func run() throws {
        let tokenizer: (any Tokenizer)? = try model.map { try loadModel($0) }
        let workers = threading.workers
        let pool = OrderedWorkers<[Outcome]>(workers: workers)
        defer { pool.close() }
        let encoders = EncoderBox(tokenizer, count: pool.workers)
        let pipeline = QualityPipeline.recommended
        let sourceField = self.sourceField
        var reader = try CorpusRecordReader(inputs: documentInput.input, textField: documentInput.textField, strict: false)
        reader.maxLineBytes = lineLimit.maxLineBytes.value
        var profile = CorpusProfile(samplesPerRule: samples)
        let progress = progressOptions.progress()
        var pending: [Item] = []
        var pendingBytes = 0
        func consume(_ results: [[Outcome]]) {
            for group in results {
                for r in group {
                    switch r {
                    case .success(let f): profile.add(f)
                    case .failure(let rule): profile.unreadable[rule, default: 0] += 1
                    }
                }
            }
        }
        func flush() {
            guard !pending.isEmpty else { return }
            let items = pending
            pending = []
            pendingBytes = 0
            consume(pool.submit { w in
                items.map { item -> Outcome in
                    switch item {
                    case .unreadable(let rule): return .failure(rule)
                    case .document(let text, let raw, let file):
                        var source = file
                        if let sourceField, let s = try? JSONLines.stringField(sourceField, in: raw), let name = String(validating: s, as: UTF8.self) {
                            source = name
                        }
                        let count: (([UInt8]) -> Int?)? = encoders.slots[w].map { encoder in
                            { text in
                                do throws(TokkiError) { try encoder.encode(text); return encoder.ids.count } catch { return nil }
                            }
                        }
                        return .success(CorpusProfile.facts(text, source: source, pipeline: pipeline, tokenCount: count))
                    }
                }
            })
        }
        try reader.forEachRecord { (record) throws(ExitCode) in
            switch record.text {
            case .text(let t):
                pending.append(.document(text: t, raw: sourceField == nil ? [] : record.raw, source: record.source))
                pendingBytes += t.count
            case .rejected(let why):
                if why.rule != "empty" || documentInput.textField != nil { pending.append(.unreadable(why.rule)) }
            }
            if pending.count >= 512 || pendingBytes >= 1 << 20 {
                flush()
                if let total = reader.totalBytes, total > 0 { progress.report("profile", Double(record.offset) / Double(total)) }
            }
            return true
        }
        flush()
        consume(pool.finish())
        progress.finish()
        do {
            if let json {
                let f = try AtomicFile(path: json)
                try f.write(profile.json)
                try f.commit()
            }
            if let html {
                let f = try AtomicFile(path: html)
                try f.write(Array(profile.html(title: title).utf8))
                try f.commit()
            }
        } catch { throw fail(.cannotCreate, "\(error)") }
        var out = OutputWriter()
        try out.write(profile.summary)
        try out.flush()
    }
}

/// One ids encoder per worker (worker `w` uses only `slots[w]`).
final class EncoderBox: @unchecked Sendable {
    let slots: [TokenIDEncoder?]
    init(_ tokenizer: (any Tokenizer)?, count: Int) {
        slots = (0..<count).map { _ in tokenizer?.makeIDEncoder() }
    }
}
