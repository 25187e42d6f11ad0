import ArgumentParser
import Foundation
import Tokki

/// `tokki stats`: how a vocabulary fits a corpus.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Tokens per character and per eojeol, unknown and byte-fallback rates, vocabulary usage.",
        discussion: """
        Encodes every line of the inputs (or stdin) and prints, for comparing
        vocabularies: tokens per character (Unicode scalars, newlines excluded), tokens
        per eojeol (space-separated word), the share of unknown tokens, the share of
        byte-fallback tokens, and how much of the vocabulary is used.

        Examples:
          tokki stats --model ko8k.model --input heldout.txt
          tokki stats --model tokenizer.json --input a.txt --input b.txt
        """
    )

    @Option(help: "The model (.model, tokenizer.json, Tekken .json or .tiktoken).")
    var model: String?

    @Option(help: "Input file (repeatable; default: stdin).")
    var input: [String] = []

    @Option(help: "tiktoken only: the pre-tokenization pattern.")
    var pattern: String?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @OptionGroup var invalidInput: InvalidUTF8Options

    @OptionGroup var lineLimit: LineLimitOptions

    /// Counts of one worker (added up at the end).
    struct Tally {
        var lines = 0, tokens = 0, unknowns = 0, bytes = 0, characters = 0, eojeols = 0
        /// Which ids occurred.
        var used: [Bool]

        mutating func add(_ other: Tally) {
            lines += other.lines; tokens += other.tokens; unknowns += other.unknowns
            bytes += other.bytes; characters += other.characters; eojeols += other.eojeols
            for (k, u) in other.used.enumerated() where u { used[k] = true }
        }
    }

    func run() throws {
        let loaded = try loadModel(model, pattern: pattern)
        let size = loaded.vocabularySize
        var unknown = [Bool](repeating: false, count: size)
        var bytePiece = [Bool](repeating: false, count: size)
        if let id = loaded.specialTokenRoles.unknown, id >= 0, id < size { unknown[id] = true }
        // Byte-fallback tokens: `<0x00>` … `<0xFF>` (SentencePiece byte pieces and their
        // tokenizer.json form). Byte-level vocabularies (tiktoken) have none.
        let hex: (UInt8) -> Bool = { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x46) }
        for id in 0..<size {
            guard let s = loaded.token(for: id) else { continue }
            let b = Array(s.utf8)
            if b.count == 6, b.starts(with: [0x3C, 0x30, 0x78]), b[5] == 0x3E, hex(b[3]), hex(b[4]) { bytePiece[id] = true }
        }
        // Streamed in batches of lines; each worker keeps its encoder (and caches) and its tally.
        let workers = max(1, Parallelism.resolve(threads))
        let pool = (0..<workers).map { _ in loaded.makeIDEncoder() }
        // Each worker keeps its tally across batches; a batch is counted on the workers while
        // the next one is read.
        let tallies = TallyBox(Tally(used: [Bool](repeating: false, count: size)), count: workers)
        let isUnknown = unknown, isByte = bytePiece
        let replace = invalidInput.replace
        nonisolated(unsafe) let e = pool
        try LinePipeline.run(inputs: input.isEmpty ? [nil] : input.map(Optional.some), maxLineBytes: lineLimit.maxLineBytes.value,
                             workers: workers, process: { (batch, w) -> LineFailure? in
            do {
                let t = tallies.slots
                for k in 0..<batch.count {
                    let failure: LineFailure? = batch.withLine(k) { raw -> LineFailure? in
                        var repaired: [UInt8]? = nil
                        if let bad = UTF8Validation.firstInvalidOffset(in: raw) {
                            guard replace else { return LineFailure(line: k, error: nil, invalidByte: bad) }
                            repaired = Array(String(decoding: raw, as: UTF8.self).utf8)
                        }
                        let body = { (line: UnsafeBufferPointer<UInt8>) -> LineFailure? in
                            do throws(TokkiError) { try e[w].encode(line) } catch { return LineFailure(line: k, error: error, invalidByte: 0) }
                            Self.count(line, into: &t[w])
                            return nil
                        }
                        return repaired.map { r in r.withUnsafeBufferPointer { body($0) } } ?? body(raw)
                    }
                    if let failure { return failure }
                    let ids = e[w].ids
                    t[w].tokens += ids.count
                    for id in ids where id >= 0 && Int(id) < size {
                        t[w].used[Int(id)] = true
                        if isUnknown[Int(id)] { t[w].unknowns += 1 }
                        if isByte[Int(id)] { t[w].bytes += 1 }
                    }
                }
                return nil
            }
        }, consume: { (batch, failure) throws(ExitCode) in
            if let failure { throw failure.exit(batch) }
        })
        let tallied = tallies.values
        var total = tallied[0]
        for t in tallied.dropFirst() { total.add(t) }
        let tokens = total.tokens, unknowns = total.unknowns, bytes = total.bytes, chars = total.characters
        let eojeols = total.eojeols, used = total.used.reduce(0) { $0 + ($1 ? 1 : 0) }
        func ratio(_ a: Int, _ b: Int) -> String { b == 0 ? "n/a" : String(format: "%.4f", Double(a) / Double(b)) }
        func percent(_ a: Int, _ b: Int) -> String { b == 0 ? "n/a" : String(format: "%.3f%%", 100 * Double(a) / Double(b)) }
        var s = ""
        s += "model: \(model ?? "\(defaultModelPath() ?? defaultModelName) (the default vocabulary)")\n"
        s += "lines: \(total.lines), characters: \(chars), eojeols: \(eojeols), tokens: \(tokens)\n"
        s += "tokens per character: \(ratio(tokens, chars))\n"
        s += "tokens per eojeol: \(ratio(tokens, eojeols))\n"
        s += "unknown tokens: \(unknowns) (\(percent(unknowns, tokens)))\n"
        s += "byte-fallback tokens: \(bytes) (\(percent(bytes, tokens)))\n"
        s += "vocabulary used: \(used) of \(size) (\(percent(used, size)))\n"
        var out = OutputWriter()
        try out.write(s)
        try out.flush()
    }

    /// Adds one line's characters (Unicode scalars) and eojeols (runs without space or tab).
    static func count(_ line: UnsafeBufferPointer<UInt8>, into t: inout Tally) {
        t.lines += 1
        var inWord = false
        for b in line {
            if b & 0xC0 != 0x80 { t.characters += 1 }
            let separator = b == 0x20 || b == 0x09
            if !separator && !inWord { t.eojeols += 1 }
            inWord = !separator
        }
    }
}

/// Per-worker tallies shared with the pipeline's worker side (each worker writes only its
/// own entry; the caller reads them after the last batch).
final class TallyBox<T>: @unchecked Sendable {
    /// One value per worker; worker `w` writes only `slots[w]` (no other thread does), so
    /// the workers never touch a shared array.
    let slots: UnsafeMutableBufferPointer<T>
    init(_ value: T, count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: value)
    }
    deinit {
        slots.deinitialize()
        slots.deallocate()
    }
    /// The values, once the workers are done.
    var values: [T] { Array(slots) }
}
