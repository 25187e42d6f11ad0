import ArgumentParser
import Foundation
import Tokki
import TokkiData

/// One input record: its original line, where it came from, and its text (or why it has none).
struct CorpusRecord {
    /// The line as read, without its line end but with the CR of a CRLF line end, so that a
    /// kept record is written back byte for byte.
    var raw: [UInt8]
    var source: String
    var line: Int
    /// Byte offset of the line in the concatenated inputs (for `--shard`).
    var offset: Int
    /// The text, or the rule that rejects the record before any filter (`invalid_utf8`,
    /// `invalid_json`, `missing_field`, `empty`).
    var text: RecordText
    /// The index of the input it is in.
    var file = 0
}

/// A record's text, or why it has none.
enum RecordText {
    case text([UInt8])
    case rejected(Rejection)
}

/// Reads records (lines, or a JSONL field) from files or stdin in order, for every command that
/// reads documents: `batch`, `prepare`, `clean`, `dedup`.
struct CorpusRecordReader {
    /// What happens to a kind of bad record.
    enum Handling {
        /// Counted as a rule of its own (the record has no text).
        case count
        /// An error; the hint says how to avoid it.
        case fail(hint: String)
        /// Invalid UTF-8 only: U+FFFD substituted.
        case replace
    }

    let inputs: [String]
    let textField: String?
    let totalBytes: Int?
    /// Whether an input is compressed or converted from another charset (offsets then count
    /// decoded text, whose size is not known in advance).
    private(set) var decoded = false
    var invalidUTF8 = Handling.count
    var invalidJSON = Handling.count
    var missingField = Handling.count
    /// The longest line accepted (`--max-line-bytes`).
    var maxLineBytes = LineReader.defaultMaxLineBytes

    /// For `clean` and `dedup`: bad records are counted, or errors with `--strict`.
    init(inputs: [String], textField: String?, strict: Bool) throws(ExitCode) {
        try self.init(inputs: inputs, textField: textField)
        if strict {
            let hint = "without --strict such lines are counted and reported"
            invalidUTF8 = .fail(hint: hint); invalidJSON = .fail(hint: hint); missingField = .fail(hint: hint)
        }
    }

    /// For `batch` and `prepare`: invalid UTF-8 is an error (or replaced), invalid JSON an error,
    /// lines without the field are counted.
    init(inputs: [String], textField: String?, replaceInvalid: Bool) throws(ExitCode) {
        try self.init(inputs: inputs, textField: textField)
        invalidUTF8 = replaceInvalid ? .replace : .fail(hint: "use --invalid replace to substitute U+FFFD")
        invalidJSON = .fail(hint: "fix the line or drop it")
    }

    private init(inputs: [String], textField: String?) throws(ExitCode) {
        self.inputs = inputs.isEmpty ? ["-"] : inputs
        self.textField = textField
        var total = 0
        var known = true
        for p in self.inputs {
            if p == "-" { known = false; continue }
            guard let a = try? FileManager.default.attributesOfItem(atPath: p), let s = a[.size] as? NSNumber else {
                throw fail(.noInput, "cannot open input file '\(p)': no such file")
            }
            total += s.intValue
            // Offsets count decoded text: a compressed file's size says nothing about them.
            if Self.isCompressed(p) { known = false; decoded = true }
        }
        if InputSettings.decoding.encoding != nil { known = false; decoded = true }
        totalBytes = known ? total : nil
    }

    /// Whether the file starts with the gzip or zstd magic bytes.
    static func isCompressed(_ path: String) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        let head = [UInt8](h.readData(ofLength: 4))
        return head.starts(with: [0x1F, 0x8B]) || head == [0x28, 0xB5, 0x2F, 0xFD]
    }

    /// Calls `body` with every record in order; `body` returns false to stop reading.
    ///
    /// With `range`, only the lines whose first byte (in the concatenated inputs) is in it, read
    /// from a seek to just before it (plain input files only): line numbers then count from the
    /// first such line of each file, and `file` says which input a record is in.
    func forEachRecord(in range: Range<Int>? = nil, _ body: (CorpusRecord) throws(ExitCode) -> Bool) throws(ExitCode) {
        var base = 0
        for (index, path) in inputs.enumerated() {
            let known = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber
            var start = 0
            if let range, let known {
                if base >= range.upperBound { return }
                // The line holding the byte before the range belongs to the previous part.
                start = max(0, range.lowerBound - base - 1)
                if start >= known.intValue { base += known.intValue; continue }
            }
            var reader: LineReader
            if start > 0 {
                do { reader = try LineReader(path: path, maxLineBytes: maxLineBytes, startingAt: start) } catch { throw fail(error) }
            } else {
                reader = try LineReader.open(path == "-" ? nil : path, maxLineBytes: maxLineBytes)
            }
            let name = reader.displayName
            var number = 0
            var size = 0
            var stopped = false
            var partial = start > 0
            try reader.forEachLine { (line, lineEnd, offset) throws(ExitCode) in
                guard !stopped else { return }
                if partial { partial = false; return }
                if let range {
                    if base + offset >= range.upperBound { stopped = true; return }
                    if base + offset < range.lowerBound { return }
                }
                number += 1
                size = offset + line.count + lineEnd.byteCount
                // The text leaves out the CR of a CRLF line end; the record keeps it, so kept
                // lines are written back byte for byte.
                var r = try record(Array(line), source: name, line: number, offset: base + offset)
                r.file = index
                if lineEnd == .crlf { r.raw.append(0x0D) }
                if try !body(r) { stopped = true }
            }
            if stopped { return }
            if let known { base += known.intValue } else { base += size }
        }
    }

    /// Calls `body` with batches of up to 4096 records (of `range`, as ``forEachRecord(in:_:)``)
    /// and the bytes read so far.
    func forEachBatch(in range: Range<Int>? = nil, _ body: ([CorpusRecord], Int) throws(ExitCode) -> Void) throws(ExitCode) {
        var batch: [CorpusRecord] = []
        var done = 0
        try forEachRecord(in: range) { (r) throws(ExitCode) in
            batch.append(r)
            done = r.offset + r.raw.count + 1
            if batch.count >= 4096 {
                try body(batch, done)
                batch.removeAll(keepingCapacity: true)
            }
            return true
        }
        if !batch.isEmpty { try body(batch, range?.upperBound ?? totalBytes ?? done) }
    }

    /// The record of one line (CR removed): its text, or the rule that rejects it.
    func record(_ raw: [UInt8], source: String, line: Int, offset: Int) throws(ExitCode) -> CorpusRecord {
        var r = CorpusRecord(raw: raw, source: source, line: line, offset: offset, text: .text(raw))
        var text = raw
        if let bad = UTF8Validation.firstInvalidOffset(in: raw) {
            switch invalidUTF8 {
            case .fail(let hint):
                throw fail(.dataError, "\(source): line \(line): invalid UTF-8 at byte offset \(offset + bad) (byte \(bad + 1) of the line); \(hint)"
                           + InputSettings.legacyHint(raw))
            case .count:
                r.text = .rejected(Rejection(rule: "invalid_utf8", detail: "invalid UTF-8 at byte \(bad) of the line" + InputSettings.legacyHint(raw)))
                return r
            case .replace:
                text = Array(String(decoding: raw, as: UTF8.self).utf8)
            }
        }
        if let field = textField {
            if text.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                r.text = .rejected(Rejection(rule: "empty", detail: "blank line"))
                return r
            }
            do {
                guard let value = try JSONLines.stringField(field, in: text) else {
                    if case .fail(let hint) = missingField { throw fail(.dataError, "\(source): line \(line): no string field '\(field)'; \(hint)") }
                    r.text = .rejected(Rejection(rule: "missing_field", detail: "no string field '\(field)'"))
                    return r
                }
                text = value
            } catch let e as TokkiError {
                if case .fail(let hint) = invalidJSON { throw fail(.dataError, "\(source): line \(line): \(e.description); \(hint)") }
                r.text = .rejected(Rejection(rule: "invalid_json", detail: e.description))
                return r
            } catch let e as ExitCode {
                throw e
            } catch {
                throw fail(.failure, "\(error)")
            }
        }
        if text.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            r.text = .rejected(Rejection(rule: "empty", detail: "no text"))
        } else {
            r.text = .text(text)
        }
        return r
    }
}

/// Where `clean` and `dedup` put kept records, rejected records and the report.
final class CleaningOutputs {
    let kept: AtomicFile?
    var stdout = OutputWriter()
    let rejected: AtomicFile?
    let reportPath: String?
    var counts: [String: Int] = [:]
    var documents = 0
    var keptCount = 0

    init(output: String?, rejected: String?, report: String?) throws(ExitCode) {
        do {
            kept = try output.flatMap { (p) throws(DataError) in p == "-" ? nil : try AtomicFile(path: p) }
            self.rejected = try rejected.map { (p) throws(DataError) in try AtomicFile(path: p) }
        } catch {
            throw fail(.cannotCreate, error.description)
        }
        reportPath = report
    }

    func keep(_ r: CorpusRecord) throws(ExitCode) {
        documents += 1
        keptCount += 1
        if let kept {
            do { try kept.write(r.raw); try kept.write([0x0A]) } catch { throw fail(.ioError, error.description) }
        } else {
            try stdout.write(r.raw)
            try stdout.write(byte: 0x0A)
        }
    }

    /// Counts a kept record given as its line (without the line feed, which is added).
    func keepLine(_ line: ArraySlice<UInt8>, carriageReturn: Bool) throws(ExitCode) {
        documents += 1
        keptCount += 1
        if let kept {
            do {
                try kept.write(line)
                try kept.write(carriageReturn ? [0x0D, 0x0A] : [0x0A])
            } catch { throw fail(.ioError, error.description) }
        } else {
            try line.withUnsafeBufferPointer { (b) throws(ExitCode) in try stdout.write(b) }
            if carriageReturn { try stdout.write(byte: 0x0D) }
            try stdout.write(byte: 0x0A)
        }
    }

    /// Counts a removed record and writes it to the rejected file; `extra` = more members (JSON
    /// values).
    func reject(_ r: CorpusRecord, _ why: Rejection, extra: [(String, [UInt8])] = []) throws(ExitCode) {
        documents += 1
        counts[why.rule, default: 0] += 1
        guard let rejected else { return }
        var line: [UInt8] = Array("{\"rule\":".utf8)
        JSONText.appendString(why.rule, to: &line)
        line += Array(",\"detail\":".utf8); JSONText.appendString(why.detail, to: &line)
        line += Array(",\"source\":".utf8); JSONText.appendString(r.source, to: &line)
        line += Array(",\"line\":".utf8); JSONText.appendInteger(r.line, to: &line)
        for (k, v) in extra { line += Array(",\"\(k)\":".utf8); line += v }
        if why.rule == "invalid_utf8" {
            // The exact bytes, since the text below had to replace them.
            let hex = Array("0123456789abcdef".utf8)
            line += Array(",\"hex\":\"".utf8)
            for b in r.raw { line.append(hex[Int(b >> 4)]); line.append(hex[Int(b & 15)]) }
            line.append(0x22)
        }
        line += Array(",\"text\":".utf8); JSONText.appendString(String(decoding: r.raw, as: UTF8.self), to: &line)
        line += [0x7D, 0x0A]
        do { try rejected.write(line) } catch { throw fail(.ioError, error.description) }
    }

    /// The report's counts so far, for `command` over `inputs`.
    func report(command: String, inputs: [String]) -> CleaningReport {
        CleaningReport(command: command, inputs: inputs, documents: documents, kept: keptCount, removedByRule: counts)
    }

    /// Commits the files and writes the report (when asked for).
    func finish(_ report: CleaningReport) throws(ExitCode) {
        do {
            try stdout.flush()
            try kept?.commit()
            try rejected?.commit()
            if let reportPath {
                let f = try AtomicFile(path: reportPath)
                try f.write(report.json)
                try f.commit()
            }
        } catch let e as DataError {
            abort()
            throw fail(.ioError, e.description)
        } catch let e as ExitCode {
            abort()
            throw e
        } catch {
            abort()
            throw fail(.failure, "\(error)")
        }
    }

    func abort() {
        kept?.abort()
        rejected?.abort()
    }
}

/// `--source-field`, `--mix GROUP=WEIGHT` and `--mix-seed` of `prepare` and `batch`: a
/// deterministic mixture of sources.
struct MixOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Mix sources in these shares of the output bytes (repeatable): GROUP is a source pattern (a name or glob, domain:HOST, re:REGEX; first match wins), e.g. --mix law=0.7 --mix 'domain:news.kr=0.3'; GROUP=SIZE (a unit B, K, M, G, T: --mix law=500M) is a quota, at most that many bytes of the group's text. Needs input files (read twice).", valueName: "GROUP=WEIGHT|SIZE"))
    var mix: [String] = []

    @Option(help: "JSONL input: the field naming each document's source (default: the input file).")
    var sourceField: String?

    @Option(help: "The seed of the mixture's sampling.")
    var mixSeed: UInt64 = 0
}

/// Applies a ``SourceMix`` to records read in order: a first pass over the inputs measures each
/// group's bytes, then each document gets its number of copies (0 for a document of no group).
final class SourceMixer {
    private(set) var mix: SourceMix
    let field: String?
    private var index = 0
    /// Documents left out because their source is in no group.
    private(set) var ungrouped = 0
    /// Documents and bytes per group in the input.
    private(set) var inputDocuments: [Int], inputBytes: [Int]
    /// Copies written per group.
    private(set) var written: [Int]
    /// Bytes of text written per group.
    private(set) var writtenBytes: [Int]

    /// Nil when `options` ask for no mixture.
    init?(_ options: MixOptions, reader: CorpusRecordReader) throws(ExitCode) {
        guard !options.mix.isEmpty else {
            if options.sourceField != nil { throw fail(.usage, "--source-field names the groups of --mix: give --mix GROUP=WEIGHT too") }
            return nil
        }
        do { mix = try SourceMix(options.mix, seed: options.mixSeed) } catch { throw fail(.usage, error.description) }
        if reader.inputs.contains("-") { throw fail(.usage, "--mix reads the inputs twice (to measure each source): give input files, not stdin") }
        field = options.sourceField
        inputDocuments = mix.groups.map { _ in 0 }
        inputBytes = mix.groups.map { _ in 0 }
        written = mix.groups.map { _ in 0 }
        writtenBytes = written
        var docs = inputDocuments, bytes = inputBytes
        let m = mix, f = field
        try reader.forEachRecord { (record) throws(ExitCode) in
            guard case .text(let text) = record.text else { return true }
            if let g = m.group(of: Self.source(record, field: f)) {
                docs[g] += 1
                bytes[g] += text.count
            }
            return true
        }
        inputDocuments = docs
        inputBytes = bytes
        mix.setRates(bytes: bytes)
    }

    /// A record's source: its `field` (JSONL), else the input's name.
    static func source(_ record: CorpusRecord, field: String?) -> String {
        guard let field else { return record.source }
        if let s = try? JSONLines.stringField(field, in: record.raw), let text = String(validating: s, as: UTF8.self) { return text }
        return ""
    }

    /// The copies of the next document (call once per document with text, in input order).
    func copies(_ record: CorpusRecord) -> Int {
        defer { index += 1 }
        guard let g = mix.group(of: Self.source(record, field: field)) else { ungrouped += 1; return 0 }
        let bytes = if case .text(let t) = record.text { t.count } else { 0 }
        let n = mix.copies(group: g, index: index, bytes: bytes, written: writtenBytes[g])
        written[g] += n
        writtenBytes[g] += n * bytes
        return n
    }

    /// A one-line summary: per group, documents in and copies out.
    var summary: String {
        var parts: [String] = []
        for (g, group) in mix.groups.enumerated() {
            var part = "\(group.pattern.description): \(inputDocuments[g]) → \(written[g]) (×\(TokenizerComparisonReport.fixed(mix.rates[g], 3)))"
            if let q = group.quota { part += " \(writtenBytes[g]) of \(q) bytes" }
            parts.append(part)
        }
        if ungrouped > 0 { parts.append("\(ungrouped) documents of no group left out") }
        return "mix " + parts.joined(separator: ", ")
    }
}
