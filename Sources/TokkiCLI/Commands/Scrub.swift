import ArgumentParser
import Foundation
import Tokki
import TokkiData

/// `tokki scrub`: personal data replaced by typed placeholders.
struct Scrub: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scrub",
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

    /// Lines of one input, back to back in one buffer (no array per line), scrubbed on a
    /// worker thread while the next batch is read.
    final class ScrubBatch: @unchecked Sendable {
        /// Line `k` is `bytes[starts[k] ..< starts[k + 1]]`, without its line end.
        private(set) var bytes: [UInt8] = []
        private(set) var starts: [Int] = [0]
        /// Whether line `k` ended with CR LF.
        private(set) var crlf: [Bool] = []
        /// The input byte offset of each line.
        private(set) var offsets: [Int] = []
        /// The 1-based number of the first line in its input, and the input's name.
        var firstLine = 1
        var source = ""

        var count: Int { offsets.count }

        func append(_ line: UnsafeBufferPointer<UInt8>, crlf: Bool, offset: Int) {
            bytes.append(contentsOf: line)
            starts.append(bytes.count)
            self.crlf.append(crlf)
            offsets.append(offset)
        }

        func reset(firstLine: Int, source: String) {
            bytes.removeAll(keepingCapacity: true)
            starts.removeAll(keepingCapacity: true)
            starts.append(0)
            crlf.removeAll(keepingCapacity: true)
            offsets.removeAll(keepingCapacity: true)
            self.firstLine = firstLine
            self.source = source
        }
    }

    /// A batch's output and counts; with `failure`, the output covers the lines before it.
    struct BatchResult: Sendable {
        var bytes: [UInt8] = []
        var documents = 0
        var changed = 0
        var replacements = PIIScrubber.Counts()
        var invalidUTF8 = 0
        var invalidJSON = 0
        var missingField = 0
        /// `--strict`: the message for the first bad line.
        var failure: String?
    }

    struct Settings: Sendable {
        let scrubber: PIIScrubber
        let textField: String?
        let show: Bool
        let strict: Bool
        static let hint = "without --strict such lines are counted and reported"
    }

    static func isBlank(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        for c in b where c != 0x20 && c != 0x09 { return false }
        return true
    }

    /// Scrubs every line of `batch`: blank lines are copied; lines with invalid UTF-8 or (JSONL)
    /// invalid JSON or without the field are counted, or stop the batch with `--strict`.
    static func process(_ batch: ScrubBatch, _ settings: Settings) -> BatchResult {
        var r = BatchResult()
        r.bytes.reserveCapacity(batch.bytes.count + batch.count + 64)
        var scratch: [UInt8] = []
        var matches: [PIIScrubber.Match] = []
        let scrubber = settings.scrubber
        // Local copies: reading a class's stored properties in the loop costs an exclusivity check each.
        let starts = batch.starts, crlf = batch.crlf, offsets = batch.offsets, source = batch.source, firstLine = batch.firstLine
        batch.bytes.withUnsafeBufferPointer { all in
            for k in 0..<offsets.count {
                let lo = starts[k], hi = starts[k + 1]
                assert(0 <= lo && lo <= hi && hi <= all.count)
                let line = UnsafeBufferPointer(rebasing: all[lo..<hi])
                let number = firstLine + k
                r.documents += 1
                func copyLine() {
                    r.bytes.append(contentsOf: line)
                    if crlf[k] { r.bytes.append(0x0D) }
                    r.bytes.append(0x0A)
                }
                if let bad = UTF8Validation.firstInvalidOffset(in: line) {
                    if settings.strict {
                        r.failure = "\(source): line \(number): invalid UTF-8 at byte offset \(offsets[k] + bad) (byte \(bad + 1) of the line); \(Settings.hint)"
                        r.documents -= 1
                        return
                    }
                    r.invalidUTF8 += 1
                    continue
                }
                if isBlank(line) {
                    if !settings.show { copyLine() }
                    continue
                }
                scratch.removeAll(keepingCapacity: true)
                matches.removeAll(keepingCapacity: true)
                guard let field = settings.textField else {
                    // Plain text: scrubbed straight from the batch buffer.
                    if settings.show {
                        let counts = scrubber.scrub(utf8: line, into: &scratch, matches: &matches)
                        r.replacements += counts
                        if counts.total > 0 { r.changed += 1 }
                        for m in matches { appendShown(m, UnsafeBufferPointer(rebasing: line[m.range]), source: source, line: number, to: &r.bytes) }
                    } else {
                        let counts = scrubber.scrub(utf8: line, into: &r.bytes)
                        r.replacements += counts
                        if counts.total > 0 { r.changed += 1 }
                        if crlf[k] { r.bytes.append(0x0D) }
                        r.bytes.append(0x0A)
                    }
                    continue
                }
                let raw = Array(line)
                let found: (value: [UInt8], literal: Range<Int>)?
                do throws(TokkiError) {
                    found = try JSONLines.stringFieldAndLiteral(field, in: raw)
                } catch {
                    if settings.strict {
                        r.failure = "\(source): line \(number): \(error.description); \(Settings.hint)"
                        r.documents -= 1
                        return
                    }
                    r.invalidJSON += 1
                    continue
                }
                guard let (value, literal) = found else {
                    if settings.strict {
                        r.failure = "\(source): line \(number): no string field '\(field)'; \(Settings.hint)"
                        r.documents -= 1
                        return
                    }
                    r.missingField += 1
                    continue
                }
                let counts = value.withUnsafeBufferPointer { scrubber.scrub(utf8: $0, into: &scratch, matches: &matches) }
                r.replacements += counts
                if counts.total > 0 { r.changed += 1 }
                if settings.show {
                    value.withUnsafeBufferPointer { v in
                        for m in matches { appendShown(m, UnsafeBufferPointer(rebasing: v[m.range]), source: source, line: number, to: &r.bytes) }
                    }
                } else if counts.total == 0 {
                    copyLine()
                } else {
                    assert(literal.lowerBound >= 0 && literal.upperBound <= raw.count)
                    r.bytes += raw[..<literal.lowerBound]
                    JSONText.appendString(scratch, to: &r.bytes)
                    r.bytes += raw[literal.upperBound...]
                    if crlf[k] { r.bytes.append(0x0D) }
                    r.bytes.append(0x0A)
                }
            }
        }
        return r
    }

    /// `input:line: kind: text` and a line feed.
    static func appendShown(_ m: PIIScrubber.Match, _ text: UnsafeBufferPointer<UInt8>, source: String, line: Int, to out: inout [UInt8]) {
        out += Array("\(source):\(line): \(m.kind.rawValue): ".utf8)
        out.append(contentsOf: text)
        out.append(0x0A)
    }

    func run() throws {
        let scrubber = try self.scrubber()
        let inputs = documents.input.isEmpty ? ["-"] : documents.input
        var total: Int? = 0
        for p in inputs {
            guard p != "-" else { total = nil; continue }
            guard let a = try? FileManager.default.attributesOfItem(atPath: p), let size = a[.size] as? NSNumber else {
                throw fail(.noInput, "cannot open input file '\(p)': no such file")
            }
            total = total.map { $0 + size.intValue }
        }
        let file: AtomicFile?
        do { file = try output.flatMap { (p) throws(DataError) in p == "-" ? nil : try AtomicFile(path: p) } } catch {
            throw fail(.cannotCreate, error.description)
        }
        var stdout = OutputWriter()
        let progress = progressOptions.progress()
        let settings = Settings(scrubber: scrubber, textField: documents.textField, show: show, strict: strict)
        let pool = OrderedWorkers<(ScrubBatch, BatchResult)>(workers: threading.workers)
        defer { pool.close() }
        var byInput: [ScrubReport.Input] = []
        var index: [String: Int] = [:]
        var spare: [ScrubBatch] = []
        var filling = ScrubBatch()
        var done = 0
        func consume(_ results: [(ScrubBatch, BatchResult)]) throws(ExitCode) {
            for (batch, r) in results {
                if let file {
                    do { try file.write(r.bytes) } catch { throw fail(.ioError, error.description) }
                } else {
                    try stdout.write(r.bytes)
                }
                let k: Int
                if let i = index[batch.source] { k = i } else {
                    k = byInput.count
                    index[batch.source] = k
                    byInput.append(ScrubReport.Input(name: batch.source))
                }
                byInput[k].documents += r.documents
                byInput[k].changed += r.changed
                byInput[k].replacements += r.replacements
                for (rule, n) in [("invalid_utf8", r.invalidUTF8), ("invalid_json", r.invalidJSON), ("missing_field", r.missingField)] where n > 0 {
                    byInput[k].removedByRule[rule, default: 0] += n
                }
                if let failure = r.failure { throw fail(.dataError, failure) }
                spare.append(batch)
            }
        }
        func submit() throws(ExitCode) {
            guard filling.count > 0 else { return }
            let batch = filling
            filling = spare.popLast() ?? ScrubBatch()
            try consume(pool.submit { _ in (batch, Self.process(batch, settings)) })
            if let total, total > 0 { progress.report("scrub", Double(done) / Double(total)) }
        }
        do {
            for path in inputs {
                var reader = try LineReader.open(path == "-" ? nil : path, maxLineBytes: lineLimit.maxLineBytes.value)
                let source = reader.displayName
                var number = 0
                let base = done
                filling.reset(firstLine: 1, source: source)
                try reader.forEachLine { (line, end, offset) throws(ExitCode) in
                    number += 1
                    filling.append(line, crlf: end == .crlf, offset: offset)
                    done = base + offset + line.count + end.byteCount
                    if filling.count >= 2048 || filling.bytes.count >= 1 << 18 {
                        try submit()
                        filling.reset(firstLine: number + 1, source: source)
                    }
                }
                try submit()
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
