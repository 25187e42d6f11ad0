import ArgumentParser
import Foundation
import Tokki
import TokkiData

/// `tokki scrub`: personal data replaced by typed placeholders.
struct Scrub: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replace personal data with typed placeholders: registration, phone, card and account numbers, e-mails, IP addresses.",
        discussion: """
        Reads documents (one per line, or the --text-field of JSONL lines) and writes
        them in order to --output (default: stdout) with personal data replaced by
        placeholders (<|rrn|>, <|phone|>, <|email|>, <|card|>, <|account|>, <|ip|>).
        JSONL records keep every other byte; only the text field is written anew,
        and only when something in it was replaced. Blank lines are copied. Lines
        with invalid UTF-8, invalid JSON or without the field are left out and
        counted in --report (or stop the run with --strict).

        Kinds (--kinds, default all):
          rrn      resident/foreign registration numbers YYMMDD-NNNNNNN (valid
                   date, 7th digit 1-8; masked tails 800101-1******; 13 bare
                   digits only with the check digit or 주민/등록번호 before)
          phone    010/011/016-019, 02, 031-064, 070, 080, 0502-0508 with - . or
                   space; (02) 123-4567; +82 10-1234-5678; 1588-1234
          email    local@domain.tld
          card     13-19 digits in groups of four (or 4-6-5) passing Luhn
          account  10-14 digits after 은행, 뱅크, 계좌, 예금주, 통장, 농협, … (20
                   characters before at most)
          ip       IPv4 and IPv6
        Left alone: statute and case numbers (제750조, 법률 제17219호, 2019다12345),
        dates (2020. 3. 14.), amounts (1,000,000원), numbers glued to letters,
        digits, 제 or a counter (호 조 항 원 년 월 일 쪽 권 회 차).

        Examples:
          tokki scrub --input judgments.txt --output scrubbed.txt --report pii.json
          tokki scrub --input court.jsonl --text-field text --kinds rrn,phone,email \\
              --placeholder '[{KIND}]' --output court.scrubbed.jsonl
          tokki scrub --input kobill.txt --show     # review: input:line: kind: text
          echo '연락처 010-1234-5678' | tokki scrub
        """
    )

    @OptionGroup var documents: DocumentInputOptions
    @Option(help: "Scrubbed documents (default: stdout).")
    var output: String?
    @Option(help: "Write a JSON report here (replacements per kind and per input, lines left out per rule).")
    var report: String?
    @Option(help: "Kinds to replace, comma-separated: \(PIIScrubber.Kind.allCases.map(\.rawValue).joined(separator: ", ")) (default: all).")
    var kinds: String?
    @Option(help: "Placeholder template: {kind} is the kind (phone), {KIND} in capitals (PHONE).")
    var placeholder: String = PIIScrubber.defaultTemplate
    @Flag(help: "Instead of the text, list every replacement as input:line: kind: text (for review).")
    var show = false
    @Flag(help: "Stop at invalid UTF-8, invalid JSON or a missing field instead of counting it.")
    var strict = false
    @OptionGroup var threading: ThreadOptions
    @OptionGroup var progressOptions: ProgressOptions
    @OptionGroup var lineLimit: LineLimitOptions

    func selectedKinds() throws -> Set<PIIScrubber.Kind> {
        guard let kinds else { return Set(PIIScrubber.Kind.allCases) }
        var set = Set<PIIScrubber.Kind>()
        for name in kinds.split(separator: ",", omittingEmptySubsequences: true) {
            let name = name.trimmingCharacters(in: .whitespaces)
            guard let k = PIIScrubber.Kind(rawValue: name) else {
                throw ValidationError("unknown kind '\(name)' for --kinds (kinds: \(PIIScrubber.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            set.insert(k)
        }
        guard !set.isEmpty else { throw ValidationError("--kinds names no kind") }
        return set
    }

    func scrubber() throws -> PIIScrubber {
        do { return try PIIScrubber(kinds: selectedKinds(), template: placeholder) } catch let e as PIIScrubber.TemplateError {
            throw ValidationError("--placeholder: \(e.description)")
        }
    }

    func validate() throws { _ = try scrubber() }

    /// What became of one record.
    enum Outcome: Sendable {
        /// Written (`counts` replacements).
        case written(PIIScrubber.Counts)
        /// Copied (a blank line).
        case blank
        /// Left out by this rule.
        case removed(String)
    }

    /// One batch's output bytes and each record's outcome.
    struct BatchResult: Sendable {
        var bytes: [UInt8] = []
        var outcomes: [(source: String, outcome: Outcome)] = []
    }

    static func process(_ batch: [CorpusRecord], _ scrubber: PIIScrubber, textField: String?, show: Bool) -> BatchResult {
        var r = BatchResult()
        r.outcomes.reserveCapacity(batch.count)
        var scratch: [UInt8] = []
        var matches: [PIIScrubber.Match] = []
        for rec in batch {
            switch rec.text {
            case .rejected(let why):
                if why.rule == "empty" {
                    if !show { r.bytes += rec.raw; r.bytes.append(0x0A) }
                    r.outcomes.append((rec.source, .blank))
                } else {
                    r.outcomes.append((rec.source, .removed(why.rule)))
                }
            case .text(let text):
                scratch.removeAll(keepingCapacity: true)
                matches.removeAll(keepingCapacity: true)
                let counts = text.withUnsafeBufferPointer { scrubber.scrub(utf8: $0, into: &scratch, matches: &matches) }
                if show {
                    for m in matches {
                        r.bytes += Array("\(rec.source):\(rec.line): \(m.kind.rawValue): ".utf8)
                        r.bytes += text[m.range]
                        r.bytes.append(0x0A)
                    }
                } else if counts.total == 0 {
                    r.bytes += rec.raw
                    r.bytes.append(0x0A)
                } else if textField == nil {
                    r.bytes += scratch
                    // The CR of a CRLF line end, which the text leaves out.
                    if rec.raw.count == text.count + 1 && rec.raw.last == 0x0D { r.bytes.append(0x0D) }
                    r.bytes.append(0x0A)
                } else if let field = textField, let literal = try? JSONLines.stringFieldLiteral(field, in: rec.raw) {
                    assert(literal.lowerBound >= 0 && literal.upperBound <= rec.raw.count)
                    r.bytes += rec.raw[..<literal.lowerBound]
                    JSONText.appendString(scratch, to: &r.bytes)
                    r.bytes += rec.raw[literal.upperBound...]
                    r.bytes.append(0x0A)
                } else {
                    // Unreachable: the reader found the field in this line.
                    r.outcomes.append((rec.source, .removed("invalid_json")))
                    continue
                }
                r.outcomes.append((rec.source, .written(counts)))
            }
        }
        return r
    }

    func run() throws {
        let scrubber = try self.scrubber()
        var reader = try CorpusRecordReader(inputs: documents.input, textField: documents.textField, strict: strict)
        reader.maxLineBytes = lineLimit.maxLineBytes.value
        let file: AtomicFile?
        do { file = try output.flatMap { (p) throws(DataError) in p == "-" ? nil : try AtomicFile(path: p) } } catch {
            throw fail(.cannotCreate, error.description)
        }
        var stdout = OutputWriter()
        let progress = progressOptions.progress()
        let pool = OrderedWorkers<BatchResult>(workers: threading.workers)
        defer { pool.close() }
        var byInput: [ScrubReport.Input] = []
        var index: [String: Int] = [:]
        func consume(_ results: [BatchResult]) throws(ExitCode) {
            for r in results {
                if let file {
                    do { try file.write(r.bytes) } catch { throw fail(.ioError, error.description) }
                } else {
                    try stdout.write(r.bytes)
                }
                for (source, outcome) in r.outcomes {
                    let k: Int
                    if let i = index[source] { k = i } else {
                        k = byInput.count
                        index[source] = k
                        byInput.append(ScrubReport.Input(name: source))
                    }
                    byInput[k].documents += 1
                    switch outcome {
                    case .written(let c):
                        if c.total > 0 { byInput[k].changed += 1 }
                        byInput[k].replacements += c
                    case .blank: break
                    case .removed(let rule): byInput[k].removedByRule[rule, default: 0] += 1
                    }
                }
            }
        }
        let textField = documents.textField, show = self.show
        do {
            try reader.forEachBatch { (batch, done) throws(ExitCode) in
                try consume(pool.submit { _ in Self.process(batch, scrubber, textField: textField, show: show) })
                if let total = reader.totalBytes, total > 0 { progress.report("scrub", Double(done) / Double(total)) }
            }
            try consume(pool.finish())
            try stdout.flush()
            do { try file?.commit() } catch { throw fail(.ioError, error.description) }
            let report = ScrubReport(inputs: documents.input, byInput: byInput, kinds: scrubber.kinds, template: scrubber.template)
            if let path = self.report {
                do {
                    let f = try AtomicFile(path: path)
                    try f.write(report.json)
                    try f.commit()
                } catch { throw fail(.cannotCreate, error.description) }
            }
            progress.report("scrub", 1)
            progress.finish()
            if !progressOptions.quiet {
                let c = report.replacements
                let kinds = PIIScrubber.Kind.allCases.filter { scrubber.kinds.contains($0) }.map { "\($0.rawValue) \(c[$0])" }.joined(separator: ", ")
                var line = "tokki scrub: \(c.total) replacements (\(kinds)) in \(report.changed) of \(report.documents) documents"
                if report.removed > 0 {
                    line += "; left out " + report.removedByRule.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                }
                printError(line)
            }
        } catch {
            file?.abort()
            progress.finish()
            throw error
        }
    }
}
