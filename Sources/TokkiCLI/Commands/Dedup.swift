import ArgumentParser
import Dispatch
import Tokki
import TokkiData

/// `tokki dedup`: exact and near-duplicate removal.
struct Dedup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dedup",
        abstract: "Remove duplicate documents: exact (128-bit hash), near duplicates with MinHash LSH (--near), or repeated spans inside documents (--substring).",
        discussion: """
        Documents are compared after collapsing whitespace and lowercasing ASCII. The
        first copy is kept; later copies are removed and reported with the document
        they repeat. With --near, a document is also removed when its MinHash estimate
        of Jaccard similarity with a kept document reaches --threshold, over shingles
        of --ngram characters (Korean has no reliable word boundaries; --shingle word
        uses words). Bands and rows default to datasketch's choice for the threshold
        and --num-perm. The report lists every cluster: the kept document and the ones
        removed as its copies. Same input and --seed: the same output.

        A corpus too large for one machine: --near --stage splits the work into array
        jobs (Slurm, a Kubernetes indexed job, GNU parallel). 'signatures --shard K/N'
        (N jobs) writes DIR/signatures.K for the lines whose first byte is in the K-th
        of N equal byte ranges of the inputs; 'merge' (one job) replays the decisions
        of one run over them in input order, writes DIR/decisions.K and the --report;
        'filter --shard K/N' (N jobs) writes shard K's kept documents and --rejected
        lines. The filters' outputs concatenated in K order are byte for byte those of
        one 'tokki dedup --near' run. Every stage takes the same --input files and
        MinHash options; a file made with others is refused.

        With --substring (Lee et al. 2022, exact-substring de-duplication), every span
        of at least --min-length bytes that occurs more than once is kept where it
        first occurs and cut from every later place, inside documents (a disclaimer
        repeated in thousands of judgments). Documents keep their order and their
        other bytes; cuts never split a UTF-8 character; a JSONL record gets only its
        --text-field string replaced. A document left empty is removed (rule
        substring_duplicate). With --unit tokens, --min-length counts tokens of
        --model: the search runs over each document's token ids (no special tokens), a
        window is N whole tokens, and a cut covers its tokens' bytes. The corpus is
        held in memory with its suffix and LCP arrays, about 9.2 bytes per input byte,
        when that fits --max-memory (and the text is under 2 GiB). Otherwise it goes
        on disk, with the same result: the suffix array is built in parts that fit,
        written to a temporary file in --temp-dir (4 bytes per byte below 4 GiB,
        removed at the end) and merged; memory then holds the text (and JSONL lines),
        1 bit per byte and one part. A corpus whose text alone does not fit stops with
        exit 64 before any output. The report lists the removed spans (preview,
        length, count, bytes removed) by bytes removed.

        Examples:
          tokki dedup --input a.txt --input b.txt --output unique.txt \\
              --report dedup.json
          tokki dedup --near --threshold 0.8 --input crawl.jsonl \\
              --text-field text --output unique.jsonl --rejected dups.jsonl
          tokki dedup --near --num-perm 256 --shingle word --ngram 3 \\
              --signatures-on-disk /scratch/sig --input big.txt --output u.txt
          tokki dedup --substring --min-length 100 --input judgments.jsonl \\
              --text-field text --output cut.jsonl --report spans.json
          tokki dedup --substring --max-memory 4G --temp-dir /scratch \\
              --input web.txt --output cut.txt
          tokki dedup --substring --min-length 50 --unit tokens \\
              --model tokenizer.json --input web.txt --output cut.txt
          tokki dedup --near --stage signatures --shard 3/8 --work-dir /shared/dd \\
              --input web.txt
          tokki dedup --near --stage merge --work-dir /shared/dd --report dedup.json
          tokki dedup --near --stage filter --shard 3/8 --work-dir /shared/dd \\
              --input web.txt --output unique.3.txt
        """
    )

    enum ShingleUnit: String, ExpressibleByArgument, CaseIterable { case char, word }
    enum SpanUnit: String, ExpressibleByArgument, CaseIterable { case bytes, tokens }

    @OptionGroup var corpus: CorpusCleaningOptions
    @Flag(help: "Also remove near duplicates (MinHash LSH).")
    var near = false
    @Option(help: "Jaccard similarity for a near duplicate.")
    var threshold: Double = MinHashLSH.Configuration().threshold
    @Option(help: "MinHash signature length.")
    var numPerm: Int = MinHashLSH.Configuration().permutations
    @Option(help: "LSH bands (with --rows; default: chosen for the threshold).")
    var bands: Int?
    @Option(help: "LSH rows per band.")
    var rows: Int?
    @Option(help: "Shingle unit: char or word.")
    var shingle: ShingleUnit = .char
    @Option(help: "Shingle size (characters or words).")
    var ngram: Int = 5
    @Option(help: "Seed of the MinHash functions.")
    var seed: UInt64 = MinHashLSH.Configuration().seed
    @Option(help: "Keep signatures in a temporary file at this path instead of memory.")
    var signaturesOnDisk: String?
    @Option(help: "Bound memory: remember at most this many documents (a copy is found within the last half of them).")
    var maxIndexDocuments: Int?
    @Flag(help: "Exact-substring de-duplication: cut repeated spans of at least --min-length bytes from all but their first occurrence.")
    var substring = false
    @Option(help: ArgumentHelp("With --substring: the shortest repeated span cut, in bytes (100 bytes ≈ 50 tokens).", valueName: "BYTES"))
    var minLength: Int = 100
    @Option(help: ArgumentHelp("With --substring: memory the corpus, its arrays and 64 bytes per document may take, the process's own ~20 MB aside; more goes on disk (suffixes K, M, G; default: half the physical memory).", valueName: "SIZE"))
    var maxMemory: ByteCount?
    @Option(help: "With --substring: what --min-length counts: bytes, or tokens of --model (Lee et al.'s setting: the search runs over token ids).")
    var unit: SpanUnit = .bytes
    @Option(help: "With --unit tokens: the tokenizer (SentencePiece .model, tokenizer.json, Tekken .json or .tiktoken; default: the shipped vocabulary).")
    var model: String?
    @Option(help: ArgumentHelp("With --substring: the folder of the disk-backed mode's temporary file (default: TMPDIR, else /tmp).", valueName: "DIR"))
    var tempDir: String?
    @Option(help: "With --substring: the number of removed spans listed in the report.")
    var topSpans: Int = 100
    @Option(help: ArgumentHelp("With --near: run one stage of a de-duplication split over machines: signatures (per --shard), merge (once), filter (per --shard).", valueName: "STAGE"))
    var stage: Stage?
    @Option(help: "With --stage: process shard K of N (K/N, K from 0; signatures and filter).")
    var shard: String?
    @Option(help: ArgumentHelp("With --stage: the folder the stages share (signatures.K, decisions.K).", valueName: "DIR"))
    var workDir: String?

    func validate() throws {
        if let maxIndexDocuments, maxIndexDocuments < 2 { throw ValidationError("--max-index-documents must be at least 2") }
        if substring && near { throw ValidationError("--substring and --near are separate runs: run one, then the other") }
        if minLength < 1 { throw ValidationError("--min-length must be at least 1 byte") }
        if unit == .tokens && !substring { throw ValidationError("--unit tokens goes with --substring") }
        if model != nil && unit != .tokens { throw ValidationError("--model goes with --substring --unit tokens") }
        if topSpans < 0 { throw ValidationError("--top-spans must not be negative") }
        try validateStage()
    }

    func run() throws {
        if substring { return try runSubstring() }
        if let stage { return try runStage(stage) }
        let deduplicator = try makeDeduplicator()
        let lsh = deduplicator.lsh
        let (reader, outputs) = try corpus.open()
        let workers = corpus.workers
        let progress = Progress(quiet: corpus.quiet)
        do {
            try reader.forEachBatch { (batch, done) throws(ExitCode) in
                let signatures = lsh.map { Self.fingerprints(batch, lsh: $0, keys: false, workers: workers).signatures } ?? []
                for (k, r) in batch.enumerated() {
                    let t: [UInt8]
                    switch r.text {
                    case .rejected(let why):
                        try outputs.reject(r, why)
                        continue
                    case .text(let x): t = x
                    }
                    let verdict: DuplicateVerdict
                    do throws(DataError) {
                        verdict = try deduplicator.check(t, signature: lsh == nil ? [] : signatures[k], at: DocumentLocation(source: r.source, line: r.line))
                    } catch { throw fail(.ioError, error.description) }
                    try Self.write(r, verdict, to: outputs)
                }
                if let total = reader.totalBytes, total > 0 { progress.report("dedup", Double(done) / Double(total)) }
            }
        } catch {
            outputs.abort()
            progress.finish()
            throw error
        }
        progress.report("dedup", 1)
        progress.finish()
        var report = outputs.report(command: "dedup", inputs: corpus.input)
        report.duplicates = (deduplicator.exactDuplicates, deduplicator.nearDuplicates)
        report.settings = settings(lsh)
        report.clusters = deduplicator.clusters
        try outputs.finish(report)
        summarize(kept: outputs.keptCount, of: outputs.documents, removed: outputs.counts, deduplicator)
    }

    /// The near-duplicate hashing of the options (nil without --near).
    func makeLSH() throws(ExitCode) -> MinHashLSH? {
        guard near else { return nil }
        var c = MinHashLSH.Configuration()
        c.threshold = threshold
        c.permutations = numPerm
        c.bands = bands
        c.rows = rows
        c.shingle = shingle == .char ? .characters(ngram) : .words(ngram)
        c.seed = seed
        do { return try MinHashLSH(c) } catch { throw fail(.usage, error.description) }
    }

    func makeDeduplicator() throws(ExitCode) -> Deduplicator {
        let lsh = try makeLSH()
        do { return try Deduplicator(near: lsh, maxDocuments: maxIndexDocuments, spillPath: signaturesOnDisk) } catch { throw fail(.usage, error.description) }
    }

    /// The settings listed in the report.
    func settings(_ lsh: MinHashLSH?) -> [(name: String, value: CleaningReport.Value)] {
        var settings: [(name: String, value: CleaningReport.Value)] = [
            ("near", .bool(near)), ("threshold", .number(threshold)), ("num_perm", .integer(numPerm)),
            ("shingle", .string(shingle.rawValue)), ("ngram", .integer(ngram)), ("seed", .unsigned(seed)),
        ]
        if let lsh { settings += [("bands", .integer(lsh.bands)), ("rows", .integer(lsh.rows))] }
        return settings
    }

    /// Writes a record as `verdict` says: kept, or rejected as an exact or near copy.
    static func write(_ r: CorpusRecord, _ verdict: DuplicateVerdict, to outputs: CleaningOutputs) throws(ExitCode) {
        switch verdict {
        case .unique:
            try outputs.keep(r)
        case .exact(let original):
            try outputs.reject(r, Rejection(rule: "exact_duplicate", detail: "same text as \(original.source):\(original.line)"),
                               extra: [("duplicate_of", original.json), ("similarity", Array("1".utf8))])
        case .near(let original, let similarity):
            let sim = DuplicateClusters.similarityText(similarity)
            try outputs.reject(r, Rejection(rule: "near_duplicate", detail: "similarity \(sim) with \(original.source):\(original.line)"),
                               extra: [("duplicate_of", original.json), ("similarity", Array(sim.utf8))])
        }
    }

    /// The MinHash signatures of a batch's documents (empty for a record without text) and,
    /// with `keys`, their exact keys, computed on `workers` threads.
    static func fingerprints(_ batch: [CorpusRecord], lsh: MinHashLSH, keys: Bool, workers: Int) -> (signatures: [[UInt32]], keys: [Hash128]) {
        var signatures = [[UInt32]](repeating: [], count: batch.count)
        var hashes = [Hash128](repeating: Hash128([]), count: keys ? batch.count : 0)
        signatures.withUnsafeMutableBufferPointer { s in
            hashes.withUnsafeMutableBufferPointer { h in
                // Worker w writes only s[k] and h[k] for k in its own chunk, all below batch.count.
                nonisolated(unsafe) let s = s, h = h
                let n = max(1, min(workers, batch.count)), chunk = (batch.count + n - 1) / n
                Parallelism.run(tasks: n) { w in
                    for k in (w * chunk)..<min(batch.count, (w + 1) * chunk) {
                        guard case .text(let t) = batch[k].text else { continue }
                        assert(k < s.count && (!keys || k < h.count), "a fingerprint past the batch")
                        s[k] = lsh.signature(t)
                        if keys { h[k] = ExactDeduplicator.key(t) }
                    }
                }
            }
        }
        return (signatures, hashes)
    }

    /// The closing line on stderr (unless --quiet).
    func summarize(kept: Int, of documents: Int, removed counts: [String: Int], _ deduplicator: Deduplicator) {
        guard !corpus.quiet else { return }
        let (exactCount, nearCount) = (deduplicator.exactDuplicates, deduplicator.nearDuplicates)
        var message = "tokki dedup: kept \(kept) of \(documents) documents; \(exactCount) exact and \(nearCount) near duplicates"
        let other = counts.filter { $0.key != "exact_duplicate" && $0.key != "near_duplicate" }
        if !other.isEmpty { message += "; also removed " + other.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") }
        if let bytes = deduplicator.memoryBytes { message += "; index \(bytes / 1_048_576) MB" }
        printError(message)
    }
}
