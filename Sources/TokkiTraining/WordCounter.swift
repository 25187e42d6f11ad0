import Dispatch
import Foundation
import Tokki

/// Counts the words of a corpus fed in batches of lines, on several threads: the one
/// counter of every trainer (see ``Words`` for what a word is), kept in ``WordCounts``.
///
/// For SentencePiece's words, when the normalizer treats raw words independently
/// (``SentencePieceNormalizer/normalizesWordsIndependently``), lines are only cut at spaces
/// and their distinct raw words counted; each distinct raw word is normalized once, at the
/// end, and its normalized words take its count. Lines holding a literal `▁` — and every
/// line under other normalizers — are normalized whole. Either way the counts are exactly
/// those of normalizing every line.
struct WordCounter {
    /// What the words of a line are.
    enum Words: Sendable {
        /// SentencePiece's: the `▁`-words of the line under the model's normalizer.
        case sentencePiece(SentencePieceNormalizer)
        /// Byte-level BPE's: the pieces that `split` cuts the normalized line into (no
        /// normalizer, or one that fails: the line as it is).
        case pretokens(normalizer: (any Normalizer)?, split: RegexSplit)
    }

    /// What is counted.
    let words: Words
    /// Worker threads (at least 1).
    let threads: Int
    /// Per worker, kept across batches (merged once, in `finish`): distinct raw words, and
    /// the normalized words of lines counted whole.
    private var raw: [WordCounts]
    private var normalized: [WordCounts]

    /// A counter of `words` on `threads` threads.
    init(_ words: Words, threads: Int) {
        self.words = words
        self.threads = max(1, threads)
        raw = Array(repeating: WordCounts(), count: self.threads)
        normalized = raw
    }

    /// A counter of SentencePiece's `▁`-words under `normalizer`.
    init(normalizer: SentencePieceNormalizer, threads: Int) {
        self.init(.sentencePiece(normalizer), threads: threads)
    }

    /// Whether lines may be cut at spaces and their raw words normalized once each.
    private var cutsAtSpaces: Bool {
        if case .sentencePiece(let normalizer) = words { return normalizer.normalizesWordsIndependently }
        return false
    }

    /// Counts the words of `lines`.
    mutating func add(lines: [[UInt8]]) {
        let cutsAtSpaces = self.cutsAtSpaces
        let words = self.words, threads = self.threads
        withTables { raw, normalized in
            nonisolated(unsafe) let raw = raw, normalized = normalized
            parallelRanges(lines.count, threads: threads, grain: 256) { w, range in
                var output = SentencePieceNormalizer.Output()
                output.tracksOffsets = false
                assert(w < raw.count && w < normalized.count)  // one table per worker, fewer workers than `threads`
                for k in range {
                    lines[k].withUnsafeBufferPointer { line in
                        Self.count(line, words, cutsAtSpaces: cutsAtSpaces, raw: &raw[w], normalized: &normalized[w], output: &output)
                    }
                }
            }
        }
    }

    /// Calls `body` with the per-worker tables, for threads that each touch only their own.
    private mutating func withTables(_ body: (UnsafeMutableBufferPointer<WordCounts>, UnsafeMutableBufferPointer<WordCounts>) -> Void) {
        raw.withUnsafeMutableBufferPointer { r in
            normalized.withUnsafeMutableBufferPointer { n in body(r, n) }
        }
    }

    /// Counts the words of a chunk of plain-text lines (see ``CorpusReader/chunks(consume:)``),
    /// split at line ends into one part per thread; returns what the lines held.
    mutating func add(chunk: [UInt8]) -> ChunkLines {
        let workers = max(1, min(threads, chunk.count / (64 << 10) + 1))
        // Part boundaries: just after a line end.
        var cuts = [0]
        chunk.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return }
            for w in 1..<workers {
                var at = max(cuts[cuts.count - 1], b.count * w / workers)
                if let nl = memchr(base + at, 0x0A, b.count - at) { at = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(nl)) + 1 } else { at = b.count }
                cuts.append(at)
            }
        }
        cuts.append(chunk.count)
        let cutsAtSpaces = self.cutsAtSpaces
        let words = self.words
        let boundaries = cuts
        var partial = [ChunkLines](repeating: ChunkLines(), count: workers)
        withTables { raw, normalized in
            nonisolated(unsafe) let raw = raw, normalized = normalized
            partial.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out
                chunk.withUnsafeBufferPointer { b in
                    nonisolated(unsafe) let b = b
                    Parallelism.run(tasks: workers) { w in
                        var output = SentencePieceNormalizer.Output()
                        output.tracksOffsets = false
                        assert(w < out.count && w < raw.count && w < normalized.count)  // workers ≤ threads
                        out[w] = ChunkLines.forEachLine(b, boundaries[w]..<boundaries[w + 1]) { line in
                            Self.count(line, words, cutsAtSpaces: cutsAtSpaces, raw: &raw[w], normalized: &normalized[w], output: &output)
                        }
                    }
                }
            }
        }
        var tally = ChunkLines()
        for lines in partial { tally.append(lines) }
        return tally
    }

    /// The normalized words with their counts.
    mutating func finish() -> WordCounts {
        // The workers' raw words, merged (largest first), then each distinct one normalized once.
        var tables = raw.sorted { $0.counts.count > $1.counts.count }
        self.raw = []
        var merged = tables.isEmpty ? WordCounts() : tables.removeFirst()
        for t in tables { merged.merge(t) }
        tables = []
        let raw = merged
        merged = WordCounts()
        var normalized = self.normalized
        self.normalized = []
        let distinct = raw.counts.count
        var partial = [WordCounts](repeating: WordCounts(), count: threads)
        // Raw words are only counted for SentencePiece's words.
        if case .sentencePiece(let normalizer) = words, distinct > 0 { partial.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            parallelRanges(distinct, threads: threads, grain: 1024) { w, range in
                var local = WordCounts()
                var output = SentencePieceNormalizer.Output()
                output.tracksOffsets = false
                for k in range {
                    let count = raw.counts[k]
                    raw.withWord(k) { normalizer.normalize($0, into: &output) }
                    output.bytes.withUnsafeBufferPointer { b in
                        WordCounts.forEachWord(b) { s, e in local.add(b.baseAddress! + s, e - s, count) }
                    }
                }
                assert(w < out.count)  // one table per worker
                out[w] = local
            }
        } }
        normalized += partial
        normalized.sort { $0.counts.count > $1.counts.count }
        var all = normalized.isEmpty ? WordCounts() : normalized.removeFirst()
        for t in normalized { all.merge(t) }
        return all
    }

    /// Counts the words of one line (see ``Words``).
    @inline(__always)
    static func count(_ line: UnsafeBufferPointer<UInt8>, _ words: Words, cutsAtSpaces: Bool,
                      raw: inout WordCounts, normalized: inout WordCounts, output: inout SentencePieceNormalizer.Output) {
        switch words {
        case .sentencePiece(let normalizer):
            count(line, cutsAtSpaces: cutsAtSpaces, normalizer: normalizer, raw: &raw, normalized: &normalized, output: &output)
        case .pretokens(let normalizer, let split):
            countPretokens(line, normalizer: normalizer, split: split, into: &normalized)
        }
    }

    /// Counts the pre-tokens of one line into `table`.
    static func countPretokens(_ line: UnsafeBufferPointer<UInt8>, normalizer: (any Normalizer)?, split: RegexSplit,
                               into table: inout WordCounts) {
        func add(_ text: UnsafeBufferPointer<UInt8>) {
            guard let base = text.baseAddress else { return }
            for r in (try? split.split(text)) ?? [] { table.add(base + r.lowerBound, r.count, 1) }
        }
        // As `Normalizer.normalize(bytes:)`: malformed text (a JSON string can hold lone
        // surrogates) is not normalized.
        if let normalizer, UTF8Validation.firstInvalidOffset(in: line) == nil, let text = try? normalizer.normalize(utf8: line).normalized {
            text.withUnsafeBufferPointer { add($0) }
        } else {
            add(line)
        }
    }

    /// Counts one line: its raw words into `raw` when the normalizer allows cutting at
    /// spaces and the line holds no literal `▁`, else its normalized words into `normalized`.
    @inline(__always)
    static func count(_ line: UnsafeBufferPointer<UInt8>, cutsAtSpaces: Bool, normalizer: SentencePieceNormalizer,
                      raw: inout WordCounts, normalized: inout WordCounts, output: inout SentencePieceNormalizer.Output) {
        guard let p = line.baseAddress else { return }
        if cutsAtSpaces && !holdsSpaceSymbol(line) {
            forEachRawWord(line) { s, e in raw.add(p + s, e - s, 1) }
        } else {
            normalizer.normalize(line, into: &output)
            output.bytes.withUnsafeBufferPointer { o in
                guard let q = o.baseAddress else { return }
                WordCounts.forEachWord(o) { s, e in normalized.add(q + s, e - s, 1) }
            }
        }
    }

    /// Whether `line` holds `▁` (U+2581) literally.
    static func holdsSpaceSymbol(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = line.count
        while i + 2 < n {
            if line[i] == 0xE2 && line[i + 1] == 0x96 && line[i + 2] == 0x81 { return true }
            i += 1
        }
        return false
    }

    /// Calls `body` with the byte range of every run of non-space bytes (spaces: 0x20 only).
    static func forEachRawWord(_ line: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
        let n = line.count
        var i = 0
        while i < n {
            while i < n && line[i] == 0x20 { i += 1 }
            if i == n { return }
            let start = i
            while i < n && line[i] != 0x20 { i += 1 }
            body(start, i)
        }
    }
}

extension WordCounter {
    /// Reads `corpus` and counts its words (plain text without sampling in chunks, split into
    /// lines on the counting threads; anything else in batches of texts); `progress` gets the
    /// lines read so far as phase `reading`.
    ///
    /// - Throws: ``TrainingError/emptyCorpus`` when no word was found, and the reader's errors.
    consuming func count(_ corpus: CorpusOptions, progress: (@Sendable (String, Double) -> Void)?)
        throws(TrainingError) -> (words: WordCounts, statistics: CorpusStatistics) {
        let reader = CorpusReader(options: corpus)
        if corpus.textField == nil && corpus.inputSentenceSize <= 0 {
            // Plain text: the line splitting and UTF-8 checks run on the counting threads too.
            try reader.chunks { chunk in
                let lines = add(chunk: chunk)
                progress?("reading", Double(reader.stats.usedLines + lines.lines - lines.invalid))
                return lines
            }
        } else {
            try reader.texts { (lines) throws(TrainingError) in
                add(lines: lines)
                progress?("reading", Double(reader.stats.usedLines))
            }
        }
        let counts = finish()
        guard !counts.isEmpty else { throw .emptyCorpus }
        return (counts, reader.stats)
    }

    /// The distinct `▁`-words of a corpus normalized as `configuration` says, with their
    /// frequencies and the normalizer settings the model will carry.
    ///
    /// The words come in an order that may depend on the thread count; BPE does not mind
    /// (its merges depend only on the counts), Unigram sorts them (its E-step does mind).
    static func words(of corpus: CorpusOptions, _ configuration: TrainerConfiguration, progress: (@Sendable (String, Double) -> Void)?)
        throws(TrainingError) -> (words: WordCounts, statistics: CorpusStatistics, settings: SentencePieceModel.NormalizerSettings) {
        try configuration.validate()
        let settings: SentencePieceModel.NormalizerSettings
        let normalizer: SentencePieceNormalizer
        do {
            settings = try configuration.normalization.settings(hanjaReadings: corpus.hanja == .hangul)
            normalizer = try SentencePieceNormalizer(settings: settings, userDefinedSymbols: configuration.userDefinedSymbols)
        } catch { throw .tokki(error) }
        progress?("reading", 0)
        let (words, statistics) = try WordCounter(normalizer: normalizer, threads: configuration.threads).count(corpus, progress: progress)
        return (words, statistics, settings)
    }
}
