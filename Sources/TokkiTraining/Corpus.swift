import Foundation
import Tokki

/// Where training text comes from and how it is read (`--input`, `--text-field`,
/// `--input-sentence-size`, `--strict`).
public struct CorpusOptions: Sendable {
    /// Files to read; `-` (or none) reads standard input.
    public var inputs: [String]
    /// For JSONL input: the string field holding the text; nil: plain text, one line each.
    public var textField: String?
    /// When > 0, train on this many lines sampled uniformly (seeded reservoir).
    public var inputSentenceSize: Int
    /// The sampling seed.
    public var seed: UInt64
    /// Stop at the first invalid UTF-8 line instead of skipping and counting it.
    public var strict: Bool
    /// The longest line accepted, in bytes; a longer one stops reading with
    /// `TokkiError.lineTooLong(source:line:byteOffset:limit:)`.
    public var maxLineBytes: Int
    /// How the inputs are decoded (gzip/zstd, a legacy charset); by default compressed input
    /// is recognised and text is UTF-8.
    public var decoding = InputDecoding()
    /// What becomes of Hanja before training (`--hanja`): `.hangul` reads them in Hangul with
    /// ``HanjaNormalizer`` (word by word, with the initial-sound rule), so the vocabulary is
    /// learnt on Hangul. The model's own normalizer does not read Hanja — its charsmap
    /// matches character strings without the left context the rules need — so text to
    /// encode must go through the same stage first (`tokki normalize --hanja hangul`).
    public var hanja: HanjaNormalizer.Mode = .keep

    /// Creates options.
    public init(inputs: [String], textField: String? = nil, inputSentenceSize: Int = 0, seed: UInt64 = 0, strict: Bool = false,
                maxLineBytes: Int = LineReader.defaultMaxLineBytes) {
        self.inputs = inputs
        self.maxLineBytes = maxLineBytes
        self.textField = textField
        self.inputSentenceSize = inputSentenceSize
        self.seed = seed
        self.strict = strict
    }
}

/// What reading the corpus found.
public struct CorpusStatistics: Sendable, Equatable {
    /// Lines read (after sampling: lines used).
    public var lines = 0
    /// Lines used for training.
    public var usedLines = 0
    /// Bytes of the lines used.
    public var bytes = 0
    /// Lines skipped because they are not valid UTF-8.
    public var invalidLines = 0
    /// JSONL lines without the text field.
    public var missingField = 0
    /// Creates empty statistics.
    public init() {}
}

/// Errors of the training module.
public enum TrainingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The corpus has no usable text.
    case emptyCorpus
    /// The vocabulary cannot hold the required pieces.
    case vocabularyTooSmall(requested: Int, minimum: Int)
    /// The corpus cannot produce this many pieces.
    case vocabularyTooLarge(requested: Int, maximum: Int)
    /// Invalid UTF-8 with `strict`.
    case invalidUTF8(source: String, line: Int, byteOffset: Int)
    /// A line of a JSONL corpus is not a JSON object.
    case invalidJSON(source: String, line: Int, problem: String)
    /// A file cannot be read or written.
    case io(path: String, reason: String)
    /// An option is out of range.
    case invalidConfiguration(String)
    /// An error from the Tokki library.
    case tokki(TokkiError)
    /// A base model that `tokki extend` cannot extend, and why.
    case cannotExtend(path: String, reason: String)

    /// A one-line description.
    public var description: String {
        switch self {
        case .emptyCorpus: return "the corpus has no text to train on"
        case let .vocabularyTooSmall(requested, minimum):
            return "vocabulary size \(requested) is too small: the special pieces and the required characters need \(minimum)"
        case let .vocabularyTooLarge(requested, maximum):
            return "vocabulary size \(requested) is too large for this corpus: at most \(maximum) pieces can be made"
        case let .invalidUTF8(source, line, offset): return "\(source): line \(line): invalid UTF-8 at byte \(offset) of the line"
        case let .invalidJSON(source, line, problem): return "\(source): line \(line): \(problem)"
        case let .io(path, reason): return "\(path): \(reason)"
        case let .invalidConfiguration(m): return "invalid configuration: \(m)"
        case let .tokki(e): return e.description
        case let .cannotExtend(path, reason): return "\(path): cannot extend: \(reason)"
        }
    }
}

/// Reads corpus lines in order from files or standard input, streaming (1 MB reads).
final class CorpusReader {
    let options: CorpusOptions
    /// What has been read so far.
    private(set) var stats = CorpusStatistics()

    init(options: CorpusOptions) {
        self.options = options
        hanjaStage = options.hanja == .keep ? nil : HanjaNormalizer(options.hanja)
    }

    /// The Hanja stage, when the options ask for one.
    private let hanjaStage: HanjaNormalizer?

    /// `text` (well-formed UTF-8) through the Hanja stage, if any.
    private func readingHanja(_ text: [UInt8]) -> [UInt8] {
        guard let hanjaStage else { return text }
        return (try? text.withUnsafeBufferPointer { (b) throws(TokkiError) in try hanjaStage.normalize(utf8: b) })?.normalized ?? text
    }

    /// Calls `body(name, line)` for every line of every input (`-` or none: standard input),
    /// read by ``LineReader`` (`\n` and `\r\n` end a line), then `body(name, nil)` at the end
    /// of each input.
    private func forEachLine(_ body: (String, UnsafeBufferPointer<UInt8>?) throws(TrainingError) -> Void) throws(TrainingError) {
        let sources = options.inputs.isEmpty ? ["-"] : options.inputs
        for source in sources {
            var reader: LineReader
            do { reader = try LineReader(path: source, maxLineBytes: options.maxLineBytes, decoding: options.decoding) } catch {
                if case .io(let path, let reason) = error { throw .io(path: path, reason: reason) }
                throw .tokki(error)
            }
            let name = reader.displayName
            try reader.forEachLine({ (line, _, _) throws(TrainingError) in try body(name, line) }, failure: { .tokki($0) })
            try body(name, nil)
        }
    }

    /// Calls `body` with every usable text (invalid UTF-8 skipped and counted unless strict).
    func forEachText(_ body: ([UInt8]) throws(TrainingError) -> Void) throws(TrainingError) {
        var lineNumber = 0
        try forEachLine { (name, line) throws(TrainingError) in
            guard let line else { lineNumber = 0; return }
            lineNumber += 1
            stats.lines += 1
            if let bad = UTF8Validation.firstInvalidOffset(in: line) {
                if options.strict { throw .invalidUTF8(source: name, line: lineNumber, byteOffset: bad) }
                stats.invalidLines += 1
                return
            }
            var text = Array(line)
            if let field = options.textField {
                if text.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
                do throws(TokkiError) {
                    guard let value = try JSONLines.stringField(field, in: text) else {
                        stats.missingField += 1
                        return
                    }
                    text = value
                } catch {
                    var problem = error.description
                    if problem.hasPrefix("model: ") { problem.removeFirst("model: ".count) }
                    throw .invalidJSON(source: name, line: lineNumber, problem: problem)
                }
            }
            try body(readingHanja(text))
        }
    }

    /// Plain text in chunks of whole lines (about 1 MB, each line ended by one LF, CRs of CRLF
    /// line ends already removed), for consumers that split and check the lines themselves, on
    /// several threads: `consume` gets the chunk and returns what its lines held (see
    /// ``ChunkLines``). The reader adds that to ``stats`` and, in strict mode, throws for the
    /// first invalid line with its line number in the source.
    ///
    /// Only for plain text without sampling (no `textField`, no `inputSentenceSize`).
    func chunks(consume: ([UInt8]) -> ChunkLines) throws(TrainingError) {
        var pending: [UInt8] = []
        pending.reserveCapacity((1 << 20) + 4096)
        var linesBefore = 0
        func deliver(_ name: String) throws(TrainingError) {
            let r = consume(pending)
            pending.removeAll(keepingCapacity: true)
            if options.strict, let (line, offset) = r.firstInvalid {
                throw .invalidUTF8(source: name, line: linesBefore + line + 1, byteOffset: offset)
            }
            stats.lines += r.lines
            stats.usedLines += r.lines - r.invalid
            stats.bytes += r.bytes
            stats.invalidLines += r.invalid
            linesBefore += r.lines
        }
        try forEachLine { (name, line) throws(TrainingError) in
            guard let line else {
                if !pending.isEmpty { try deliver(name) }
                linesBefore = 0
                return
            }
            // Only well-formed lines are read (the consumer checks and counts the others).
            if hanjaStage != nil, UTF8Validation.firstInvalidOffset(in: line) == nil {
                pending.append(contentsOf: readingHanja(Array(line)))
            } else {
                pending.append(contentsOf: line)
            }
            pending.append(0x0A)
            if pending.count >= 1 << 20 { try deliver(name) }
        }
    }

    /// All usable texts, or a seeded uniform sample of `inputSentenceSize` of them.
    func texts(consume: ([[UInt8]]) throws(TrainingError) -> Void) throws(TrainingError) {
        if options.inputSentenceSize > 0 {
            var reservoir: [[UInt8]] = []
            var rng = SplitMixGenerator(seed: options.seed)
            var seen = 0
            try forEachText { (t) throws(TrainingError) in
                seen += 1
                if reservoir.count < options.inputSentenceSize {
                    reservoir.append(t)
                } else {
                    let k = Int.random(in: 0..<seen, using: &rng)
                    if k < options.inputSentenceSize { reservoir[k] = t }
                }
            }
            stats.usedLines = reservoir.count
            stats.bytes = reservoir.reduce(0) { $0 + $1.count }
            try consume(reservoir)
            return
        }
        var batch: [[UInt8]] = []
        var batchBytes = 0
        try forEachText { (t) throws(TrainingError) in
            stats.usedLines += 1
            stats.bytes += t.count
            batch.append(t)
            batchBytes += t.count
            if batchBytes >= 8 << 20 || batch.count >= 100_000 {
                try consume(batch)
                batch.removeAll(keepingCapacity: true)
                batchBytes = 0
            }
        }
        if !batch.isEmpty { try consume(batch) }
    }
}

/// What a chunk of lines held: lines (a final line without a line end counts; the empty
/// text after a final line end does not), invalid UTF-8 lines among them, the bytes of the
/// valid ones (without line ends), and the first invalid line (index in the chunk) with
/// its byte offset.
struct ChunkLines: Sendable {
    var lines = 0
    var invalid = 0
    var bytes = 0
    var firstInvalid: (line: Int, offset: Int)?

    /// Calls `body` with every valid line of `chunk[range]` and returns the tally; `range`
    /// starts at a line start and ends at a line end or the end. The chunk comes from
    /// ``CorpusReader/chunks(consume:)``, whose lines end in one LF (a CR here is text).
    static func forEachLine(_ chunk: UnsafeBufferPointer<UInt8>, _ range: Range<Int>,
                            _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> ChunkLines {
        var r = ChunkLines()
        guard let base = chunk.baseAddress else { return r }
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            let nl = memchr(base + i, 0x0A, end - i).map { UnsafeRawPointer(base).distance(to: UnsafeRawPointer($0)) } ?? end
            let line = UnsafeBufferPointer(start: base + i, count: nl - i)
            if let bad = UTF8Validation.firstInvalidOffset(in: line) {
                if r.firstInvalid == nil { r.firstInvalid = (r.lines, bad) }
                r.invalid += 1
            } else {
                r.bytes += line.count
                body(line)
            }
            r.lines += 1
            i = nl + 1
        }
        return r
    }

    /// Adds the tally of the chunk part that follows this one.
    mutating func append(_ next: ChunkLines) {
        if firstInvalid == nil, let (line, offset) = next.firstInvalid { firstInvalid = (lines + line, offset) }
        lines += next.lines
        invalid += next.invalid
        bytes += next.bytes
    }
}
