import ArgumentParser
import Foundation
import Tokki
import TokkiData
import TokkiObjectives

/// `tokki batch`: pre-training batches for one of the three objectives.
struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Build training batches: masked LM, packed causal LM, T5 span corruption, or supervised fine-tuning.",
        discussion: """
        Reads documents (one per line, or a JSONL field), tokenizes them, forms rows
        and applies the objective. Every random choice of row r comes from (seed,
        epoch, r), so the output is byte-identical for any --threads and --batch-size.

        The output format follows the name: OUT.safetensors (one file, every batch
        stacked), OUT.jsonl (one row per line), anything else is a folder of .npy files
        (input_ids.npy, attention_mask.npy, labels.npy, …). OUT.safetensors is written
        in place in two passes: the encoded documents wait in an unnamed temporary file
        beside it (about 4 bytes per token) while the tensors' shapes are planned.

        Tensors: mlm → input_ids, attention_mask, labels (−100 where not masked);
        causal → input_ids, attention_mask, labels, position_ids, segment_ids,
        cu_seqlens (int32 boundaries over the flattened tokens, for variable-length
        attention); span → input_ids, attention_mask, labels, decoder_input_ids,
        decoder_attention_mask.

        Examples:
          tokki batch --objective mlm --input kolaw.txt --seq-len 512 \\
              --batch-size 32 --seed 1 --output mlm.safetensors
          tokki batch --objective mlm --whole-word markers --selection exact \\
              --input kolaw.txt --output mlm-wwm/
          tokki batch --objective causal --input corpus.jsonl --text-field text \\
              --seq-len 2048 --no-cross-document-labels --output gpt.safetensors
          tokki batch --objective span --input kolaw.txt --output t5.jsonl
          tokki batch --objective span --ul2 --input kolaw.txt \\
              --output ul2.safetensors
          tokki batch --objective sft --model models/qwen2.5 --input chats.jsonl \\
              --seq-len 2048 --packing bfd --output sft.safetensors
          tokki batch --objective sft --model tokenizer.json --chat-template t.jinja \\
              --input chats.jsonl --rejected bad.jsonl --output sft.idx

        sft reads one conversation per line ({"messages"}, ShareGPT
        {"conversations"}, Alpaca {"instruction","output"} or {"prompt","completion"}),
        renders it with the --model folder's chat template (or --chat-template) and
        sets labels to −100 except on the assistant's text: {% generation %} blocks
        as transformers' return_assistant_tokens_mask, else each assistant message's
        text. Its tensors are those of causal. OUT.idx (or .bin) writes a Megatron
        dataset, one document per conversation, plus PREFIX_loss_mask.bin/.idx
        (uint8, 1 = learned). Bad records are counted, shown on stderr, written to
        --rejected; --strict stops at the first (exit 65).
        """
    )

    enum Objective: String, ExpressibleByArgument, CaseIterable { case mlm, causal, span, sft }
    enum WholeWord: String, ExpressibleByArgument, CaseIterable { case none, markers, offsets }
    enum SentinelSource: String, ExpressibleByArgument, CaseIterable { case named, end }
    enum ElementTypeName: String, ExpressibleByArgument, CaseIterable { case int32, int64 }

    @Option(help: "mlm, causal, span or sft.")
    var objective: Objective

    @OptionGroup var corpusInput: DocumentInputOptions
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var lineLimit: LineLimitOptions

    @Option(help: "Tokens per row (encoder input length for span). Default: 512 (mlm, span), 1024 (causal).")
    var seqLen: Int?

    @Option(help: "Rows per batch.")
    var batchSize: Int = 32

    @Option(help: "Stop after this many batches.")
    var maxBatches: Int?

    @Option(help: "The seed.")
    var seed: UInt64 = 0

    @Option(help: "The epoch (same rows, new masks).")
    var epoch: UInt64 = 0

    @OptionGroup var threading: ThreadOptions

    @Option(help: "Output: OUT.safetensors, OUT.jsonl, or a folder for .npy files.")
    var output: String

    @Option(help: "Element type of the tensors: int64 (PyTorch's long) or int32.")
    var dtype: ElementTypeName = .int64

    @OptionGroup var invalidInput: InvalidUTF8Options
    @OptionGroup var mixing: MixOptions

    @Option(help: "Token text to use as BOS (default: the model's, or <s>, [CLS], …).")
    var bosToken: String?
    @Option(help: "Token text to use as EOS.")
    var eosToken: String?
    @Option(help: "Token text to use as padding.")
    var padToken: String?
    @Option(help: "Token text to use as the mask token.")
    var maskToken: String?

    // MLM.
    @Option(help: "mlm: the fraction of tokens selected.")
    var mlmProbability: Double = MaskedLanguageModeling.Configuration().mlmProbability
    @Option(help: "mlm: of the selected tokens, the fraction replaced by the mask token.")
    var maskReplaceProb: Double = MaskedLanguageModeling.Configuration().maskReplaceProbability
    @Option(help: "mlm: of the selected tokens, the fraction replaced by a random token.")
    var randomReplaceProb: Double = MaskedLanguageModeling.Configuration().randomReplaceProbability
    @Option(help: "mlm: bernoulli (per token, as HF) or exact (a fixed count per row, as BERT).")
    var selection: String = MaskedLanguageModeling.Configuration().selection.rawValue
    @Option(help: "mlm: whole-word masking: none, markers (▁, Ġ, ##) or offsets (words = touching tokens; tokenizer.json and .model).")
    var wholeWord: WholeWord = .none
    @Flag(help: "mlm: SpanBERT span masking (geometric lengths of whole words, p 0.2, at most 10).")
    var spanMasking = false
    @Option(help: "mlm: pad rows to a multiple of this.")
    var padToMultipleOf: Int?

    // Causal.
    @Flag(help: "causal: put BOS before every document.")
    var addBos = false
    @Flag(help: "causal: do not put EOS after every document.")
    var noEos = false
    @Option(help: "causal: a document that does not fit its row: carry (continue in the next row), pad, drop.")
    var remainder: String = CausalLanguageModeling.Configuration().remainder.rawValue
    @Flag(help: "causal: label −100 on the first token of each packed document.")
    var noCrossDocumentLabels = false

    // Span corruption.
    @Option(help: "span: the noise density.")
    var noiseDensity: Double = SpanCorruption.Configuration().noiseDensity
    @Option(help: "span: the mean noise span length.")
    var meanSpanLength: Double = SpanCorruption.Configuration().meanNoiseSpanLength
    @Flag(help: "span: rotate each mask by a random offset.")
    var randomRoll = false
    @Option(help: "span: sentinels by name (<extra_id_N>) or from the vocabulary's end.")
    var sentinels: SentinelSource = .named
    @Flag(help: "span: the UL2 mixture of denoisers (needs [NLU], [NLG], [S2S] tokens).")
    var ul2 = false
    @Flag(help: "span: put EOS between concatenated documents.")
    var separateDocuments = false

    // Supervised fine-tuning.
    @Option(help: ArgumentHelp("sft: the chat template (Jinja) to render with (default: the --model folder's).", valueName: "FILE"))
    var chatTemplate: String?
    @Option(help: ArgumentHelp("sft: with a --model folder, the named chat template to use.", valueName: "NAME"))
    var templateName: String?
    @Flag(help: "sft: learn every token, the prompt included (default: only the assistant's text).")
    var trainOnPrompt = false
    @Flag(help: "sft: also learn the EOS token that ends each assistant turn.")
    var trainOnEos = false
    @Option(help: "sft: a conversation longer than --seq-len: turns (drop the earliest exchanges), right (cut the end) or drop.")
    var truncation: ChatExampleEncoder.Truncation = .turns
    @Option(help: "sft: none (one conversation per padded row) or bfd (best-fit-decreasing packing).")
    var packing: SupervisedFineTuning.Packing = .none
    @Option(help: "sft: conversations packed together at most (the best-fit-decreasing window).")
    var packWindow: Int = 1000
    @Option(help: ArgumentHelp("sft: write rejected records here (JSONL: rule, detail, source, line, text).", valueName: "FILE"))
    var rejected: String?
    @Flag(help: "sft: stop at the first bad record (exit 65) instead of counting it.")
    var strict = false

    @OptionGroup var progressOptions: ProgressOptions

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let maxBatches, maxBatches < 1 { throw ValidationError("--max-batches must be at least 1") }
        if let seqLen, seqLen < 1 { throw ValidationError("--seq-len must be at least 1") }
        guard MaskedLanguageModeling.Selection(rawValue: selection) != nil else { throw ValidationError("--selection must be bernoulli or exact") }
        guard CausalLanguageModeling.Remainder(rawValue: remainder) != nil else { throw ValidationError("--remainder must be carry, pad or drop") }
        if packWindow < 1 { throw ValidationError("--pack-window must be at least 1") }
        if objective != .sft {
            let sftOnly = [("--chat-template", chatTemplate != nil), ("--template-name", templateName != nil),
                           ("--train-on-prompt", trainOnPrompt), ("--train-on-eos", trainOnEos),
                           ("--rejected", rejected != nil), ("--strict", strict)]
            if let (name, _) = sftOnly.first(where: { $0.1 }) { throw ValidationError("\(name) is an option of --objective sft") }
        }
    }

    func run() throws {
        if objective == .sft { return try runSFT() }
        let loaded = try modelOptions.load()
        var overrides: [String: String] = [:]
        if let bosToken { overrides["bos"] = bosToken }
        if let eosToken { overrides["eos"] = eosToken }
        if let padToken { overrides["pad"] = padToken }
        if let maskToken { overrides["mask"] = maskToken }
        let vocabulary = try BatchVocabulary(loaded, overrides: overrides)
        let workers = threading.workers

        // Validate everything before any output exists.
        var builder: any BatchBuilder
        let wantWordIDs = objective == .mlm && wholeWord == .offsets
        do {
            switch objective {
            case .mlm:
                var c = MaskedLanguageModeling.Configuration()
                c.sequenceLength = seqLen ?? 512
                c.mlmProbability = mlmProbability
                c.maskReplaceProbability = maskReplaceProb
                c.randomReplaceProbability = randomReplaceProb
                c.selection = MaskedLanguageModeling.Selection(rawValue: selection) ?? .bernoulli
                c.padToMultipleOf = padToMultipleOf
                c.seed = seed
                c.epoch = epoch
                switch wholeWord {
                case .none: break
                case .markers: c.wholeWord = .wordStarts(vocabulary.wordStarts())
                case .offsets:
                    // Every tokenizer gives byte offsets: words are runs of touching tokens.
                    c.wholeWord = .explicit
                }
                if spanMasking { c.spanMasking = .init() }
                builder = MaskedLanguageModeling.Builder(try MaskedLanguageModeling(c, tokens: vocabulary.tokens))
            case .causal:
                var c = CausalLanguageModeling.Configuration()
                c.sequenceLength = seqLen ?? 1024
                c.addBOS = addBos
                c.addEOS = !noEos
                c.remainder = CausalLanguageModeling.Remainder(rawValue: remainder) ?? .carryOver
                c.crossDocumentLabels = !noCrossDocumentLabels
                builder = CausalLanguageModeling.Builder(try CausalLanguageModeling(c, tokens: vocabulary.tokens))
            case .sft:
                throw ObjectiveError.invalidConfiguration("sft is built by runSFT()")
            case .span:
                var c = SpanCorruption.Configuration()
                c.inputLength = seqLen ?? 512
                c.noiseDensity = noiseDensity
                c.meanNoiseSpanLength = meanSpanLength
                c.randomRoll = randomRoll
                c.sentinels = sentinels == .named ? .t5 : .vocabularyEnd
                if ul2 { c.denoisers = SpanCorruption.Denoiser.ul2 }
                c.separateDocuments = separateDocuments
                c.seed = seed
                c.epoch = epoch
                builder = SpanCorruption.Builder(try SpanCorruption(c, tokens: vocabulary.tokens))
            }
        } catch {
            throw fail(.usage, "\(error)")
        }
        let type: ElementType = dtype == .int32 ? .int32 : .int64
        let metadata = [("objective", objective.rawValue), ("seed", String(seed)), ("epoch", String(epoch)), ("format", "tokki")]

        // One safetensors file is written in place, each tensor's bytes straight at their final
        // offset (no spools copied into the file at the end): a first pass encodes the
        // documents, keeps them in a spool and plans the batches' shapes; the second builds the
        // same batches from the spooled documents (every random choice depends only on the
        // row's number) and writes them. A destination that is not a regular file (a pipe)
        // takes the spooling writer.
        var planned: SafetensorsPlannedWriter?
        var spool: DocumentSpool?
        var writer: (any BatchWriter)?
        do {
            if output.hasSuffix(".safetensors") && !AtomicFile.writesDirectly(to: output) {
                planned = try SafetensorsPlannedWriter(path: output, type: type, metadata: metadata)
                let slash = output.lastIndex(of: "/")
                spool = try DocumentSpool(folder: slash.map { String(output[..<$0]) } ?? ".")
            } else if output.hasSuffix(".safetensors") {
                writer = SafetensorsBatchWriter(path: output, type: type, metadata: metadata)
            } else if output.hasSuffix(".jsonl") {
                writer = try JSONLBatchWriter(path: output)
            } else {
                writer = try NpyDirectoryWriter(directory: output, type: type)
            }
        } catch {
            planned?.abort()
            throw fail(.cannotCreate, error.description)
        }
        // With two or more threads, batches are converted and written on a thread of their own.
        if workers > 1, let w = writer { writer = BackgroundBatchWriter(w) }
        var source: CorpusRecordReader
        let mixer: SourceMixer?
        do {
            source = try CorpusRecordReader(inputs: corpusInput.input, textField: corpusInput.textField, replaceInvalid: invalidInput.replace)
            source.maxLineBytes = lineLimit.maxLineBytes.value
            mixer = try SourceMixer(mixing, reader: source)
        } catch {
            writer?.abort()
            planned?.abort()
            throw error
        }
        let progress = progressOptions.progress()
        let encoder = DocumentEncoder(vocabulary, wordIDs: wantWordIDs, workers: workers)
        // The builder's own type from here on: its calls are direct, not through the
        // existential, for every document.
        let counts: BatchCounts
        switch builder {
        case let b as MaskedLanguageModeling.Builder:
            counts = try produce(b, source: source, mixer: mixer, encoder: encoder, writer: writer, planned: planned, spool: spool, progress: progress)
        case let b as CausalLanguageModeling.Builder:
            counts = try produce(b, source: source, mixer: mixer, encoder: encoder, writer: writer, planned: planned, spool: spool, progress: progress)
        case let b as SpanCorruption.Builder:
            counts = try produce(b, source: source, mixer: mixer, encoder: encoder, writer: writer, planned: planned, spool: spool, progress: progress)
        default:
            counts = try produce(builder, source: source, mixer: mixer, encoder: encoder, writer: writer, planned: planned, spool: spool, progress: progress)
        }
        let (batches, rows, documents, missing) = (counts.batches, counts.rows, counts.documents, counts.missing)
        progress.report(planned != nil ? "write" : "batch", 1)
        progress.finish()
        if !progressOptions.quiet {
            var message = "tokki batch: \(batches) batches, \(rows) rows from \(documents) documents; wrote \(output)"
            if missing > 0 { message += "; \(missing) JSONL lines had no '\(corpusInput.textField ?? "")'" }
            if let mixer { message += "; " + mixer.summary }
            if counts.droppedTokens > 0 {
                message += "; --remainder drop dropped \(counts.droppedTokens) tokens"
            }
            printError(message)
        }
    }

    /// Reads, encodes and batches every document with `builder` and writes the batches: in
    /// one pass, or — for a safetensors file written in place (`planned` and `spool`) — a
    /// first pass that plans the layout and a second that writes it. Throws the exit of the
    /// first failure (the output is then dropped).
    private func produce<B: BatchBuilder>(_ builder: B, source: CorpusRecordReader, mixer: SourceMixer?,
                                          encoder: DocumentEncoder, writer: (any BatchWriter)?,
                                          planned: SafetensorsPlannedWriter?, spool: DocumentSpool?,
                                          progress: Progress) throws -> BatchCounts {
        var run = BatchRun(builder: builder, batchSize: batchSize, limit: maxBatches, writer: writer, planned: planned,
                           spool: spool, progress: progress)
        // A batch of documents is encoded (on the workers) while the next is read.
        let pool = OrderedWorkers<Result<[Document], TokkiError>>(workers: encoder.workers)
        defer { pool.close() }
        do {
            try source.forEachRecord { (record) throws(ExitCode) in
                guard case .text(let text) = record.text else {
                    if case .rejected(let why) = record.text, why.rule == "missing_field" { run.counts.missing += 1 }
                    return true   // blank lines are no documents
                }
                run.add(text, copies: mixer?.copies(record) ?? 1)
                guard run.isFull else { return true }
                guard try run.submit(pool, encoder) else { return false }
                if let total = source.totalBytes, total > 0 { progress.report(run.firstPhase, Double(record.offset) / Double(total)) }
                return true
            }
            try run.finishFirstPass(pool, encoder)
            // No rows: no output file at all.
            if run.counts.rows == 0 { throw fail(.dataError, "the input produced no rows (is it empty?); nothing was written") }
            try run.writePlanned(workers: encoder.workers)
            do { try run.writer?.finish() } catch { throw fail(.ioError, error.description) }
        } catch let error as ExitCode {
            run.abortOutput()
            progress.finish()
            throw error
        } catch {
            run.abortOutput()
            progress.finish()
            throw fail(.ioError, "\(error)")
        }
        if let b = run.builder as? CausalLanguageModeling.Builder { run.counts.droppedTokens = b.droppedTokens }
        return run.counts
    }
}

/// What a `tokki batch` run made, for its closing message.
struct BatchCounts {
    var batches = 0, rows = 0, documents = 0, missing = 0, droppedTokens = 0
}

/// The state of one `tokki batch` run: the builder, the documents waiting to be encoded, the
/// counts and the output. A struct with mutating methods, not local variables shared by
/// nested functions and the reading closure: those would be boxed, and every access checked
/// for exclusivity at run time, several times per document.
struct BatchRun<B: BatchBuilder> {
    var builder: B
    let initialBuilder: B
    let batchSize: Int
    let limit: Int?
    var writer: (any BatchWriter)?
    let planned: SafetensorsPlannedWriter?
    let spool: DocumentSpool?
    let progress: Progress
    var counts = BatchCounts()
    var layout = SafetensorsLayout()
    /// The first pass of a file written in place: batches are planned, not built.
    var planning: Bool
    /// --max-batches was reached: nothing more is fed.
    var stopped = false
    var pending: [[UInt8]] = []
    var pendingBytes = 0

    init(builder: B, batchSize: Int, limit: Int?, writer: (any BatchWriter)?, planned: SafetensorsPlannedWriter?,
         spool: DocumentSpool?, progress: Progress) {
        self.builder = builder
        initialBuilder = builder
        self.batchSize = batchSize
        self.limit = limit
        self.writer = writer
        self.planned = planned
        self.spool = spool
        self.progress = progress
        planning = planned != nil
    }

    /// Progress shows "encode" then "write" for a file written in place, else "batch".
    var firstPhase: String { planned != nil ? "encode" : "batch" }

    mutating func abortOutput() {
        writer?.abort()
        planned?.abort()
    }

    /// Queues a document's text (`copies` times, as the mixer asks) for encoding.
    mutating func add(_ text: [UInt8], copies: Int) {
        for _ in 0..<copies {
            pending.append(text)
            pendingBytes += text.count
        }
    }

    /// Whether the queued documents make one job for a worker.
    var isFull: Bool { pending.count >= DocumentEncoder.batchDocuments || pendingBytes >= DocumentEncoder.batchBytes }

    /// Hands the queued documents to the workers and feeds the builder the documents that are
    /// encoded; false once --max-batches is reached.
    mutating func submit(_ pool: OrderedWorkers<Result<[Document], TokkiError>>, _ encoder: DocumentEncoder) throws(ExitCode) -> Bool {
        guard !pending.isEmpty else { return !stopped }
        let lines = pending
        pending = []
        pendingBytes = 0
        return try consume(pool.submit { w in encoder.encode(lines, worker: w) })
    }

    /// The last queued documents, then every result still pending; the builder's last rows.
    mutating func finishFirstPass(_ pool: OrderedWorkers<Result<[Document], TokkiError>>, _ encoder: DocumentEncoder) throws(ExitCode) {
        // Once --max-batches is reached, documents encoded ahead are not fed (nor counted).
        if try submit(pool, encoder), try consume(pool.finish()) {
            builder.finishInput()
            _ = try drain(final: true)
        }
    }

    /// Feeds encoded documents to the builder; false once --max-batches is reached.
    mutating func consume(_ results: [Result<[Document], TokkiError>]) throws(ExitCode) -> Bool {
        for result in results {
            let docs: [Document]
            switch result {
            case .success(let d): docs = d
            case .failure(let e): throw fail(e)
            }
            for d in docs {
                guard !stopped else { return false }
                try feed(d)
                if let spool {
                    do { try spool.append(d) } catch {
                        abortOutput()
                        throw fail(.ioError, error.description)
                    }
                }
                counts.documents += 1
                if try !drain(final: false) { stopped = true }
            }
        }
        return !stopped
    }

    mutating func feed(_ d: Document) throws(ExitCode) {
        do { try builder.append(d) } catch {
            abortOutput()
            throw fail(.dataError, error.description)
        }
    }

    /// Hands out the batches the rows make (all of them when `final`): planned in the first
    /// pass of a file written in place, else built and written. False once --max-batches is
    /// reached.
    mutating func drain(final: Bool) throws(ExitCode) -> Bool {
        while builder.pendingRows >= batchSize || (final && builder.pendingRows > 0) {
            if let limit, counts.batches >= limit { return false }
            if planning {
                guard let shapes = builder.nextBatchShapes(maxRows: batchSize) else { break }
                layout.add(shapes)
                counts.batches += 1
                counts.rows += shapes.first(where: { $0.shape.count > 1 })?.shape[0] ?? 0
                continue
            }
            // One thread: the other cores encode (first pass) or convert and write (the writer's
            // thread); masking 32 rows on several threads costs more in hand-offs than it saves.
            guard let batch = builder.nextBatch(maxRows: batchSize, threads: 1) else { break }
            do { try writer?.append(batch) } catch {
                abortOutput()
                if case .valueOutOfRange = error { throw fail(.dataError, "\(error.description); use a wider --dtype") }
                throw fail(.ioError, error.description)
            }
            counts.batches += 1
            counts.rows += batch.rows
            if planned != nil, layout.batches > 0 { progress.report("write", Double(counts.batches) / Double(layout.batches)) }
        }
        if let limit, counts.batches >= limit { return false }
        return true
    }

    /// The second pass of a file written in place: the same documents, the same builder, the
    /// same batches, written at the offsets the first pass planned.
    mutating func writePlanned(workers: Int) throws(ExitCode) {
        guard let planned, let spool else { return }
        planning = false
        planned.plan(layout)
        writer = workers > 1 ? BackgroundBatchWriter(planned) : planned
        builder = initialBuilder
        counts.batches = 0
        counts.rows = 0
        stopped = false
        let failure = try spool.forEach { (d) throws(ExitCode) -> Bool in
            try feed(d)
            if try !drain(final: false) { stopped = true }
            return !stopped
        }
        if let failure { throw fail(.ioError, failure.description) }
        if !stopped {
            builder.finishInput()
            _ = try drain(final: true)
        }
    }
}
