import ArgumentParser
import Foundation
import Tokki
import TokkiData
import TokkiObjectives

/// `tokki prepare`: a corpus tokenized into a Megatron-LM indexed dataset.
struct Prepare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Tokenize a corpus into a Megatron-LM dataset (PREFIX.bin + PREFIX.idx), streaming and sharded.",
        discussion: """
        One document per line (or the --text-field of JSONL lines); each document
        becomes one sequence, EOS appended with --append-eos; empty documents are
        skipped (as Megatron's preprocess_data.py). Tokens are uint16 when the
        vocabulary has fewer than 65,500 ids, else int32. Memory does not grow with the
        corpus.

        --shard K/N processes the K-th of N parts (K from 0): a line belongs to the
        part its first byte falls in when the concatenated inputs are cut into N equal
        byte ranges. Run the N parts anywhere (a Slurm array, a Kubernetes indexed job,
        GNU parallel), then 'tokki merge' them in order: the result is byte-identical
        to one unsharded run.

        Examples:
          tokki prepare --input kolaw.txt --output-prefix data/kolaw --append-eos
          tokki prepare --input web.jsonl --text-field text --model tokenizer.json \\
              --output-prefix web3 --shard 3/8 --append-eos
          parallel tokki prepare --input corpus.txt --output-prefix part{} \\
              --shard {}/4 --append-eos ::: 0 1 2 3
          tokki merge part0 part1 part2 part3 --output-prefix corpus
        """
    )

    @OptionGroup var corpusInput: DocumentInputOptions
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var lineLimit: LineLimitOptions

    @Option(help: "Output prefix: writes PREFIX.bin and PREFIX.idx.")
    var outputPrefix: String

    @Flag(help: "Append EOS (the end-of-document token) to every document.")
    var appendEos = false

    @Option(help: "Token text to use as EOS (default: the model's, or </s>, <|endoftext|>, …).")
    var eosToken: String?

    @Option(help: "Process shard K of N (K/N, K from 0).")
    var shard: String?

    @OptionGroup var threading: ThreadOptions
    @OptionGroup var invalidInput: InvalidUTF8Options
    @OptionGroup var mixing: MixOptions
    @OptionGroup var progressOptions: ProgressOptions

    func validate() throws {
        _ = try ShardOption.parse(shard)
    }

    func run() throws {
        let loaded = try modelOptions.load()
        var overrides: [String: String] = [:]
        if let eosToken { overrides["eos"] = eosToken }
        let vocabulary = try BatchVocabulary(loaded, overrides: overrides)
        if appendEos && vocabulary.tokens.eos == nil {
            throw fail(.usage, "--append-eos: the model has no EOS token; name one with --eos-token TEXT or --eos-token id:N"
                + (loaded.specialTokenPolicy == .none ? " (a tiktoken file's own tokens can be added with --special-token TEXT=ID)" : ""))
        }
        let eos = vocabulary.tokens.eos
        let workers = threading.workers
        var source = try CorpusRecordReader(inputs: corpusInput.input, textField: corpusInput.textField, replaceInvalid: invalidInput.replace)
        source.maxLineBytes = lineLimit.maxLineBytes.value
        let shardRange = try ShardOption.parse(shard).map { (k, n) throws(ExitCode) in try ShardOption.range(k, n, reader: source) }

        let mixer = try SourceMixer(mixing, reader: source)
        if mixer != nil && shardRange != nil { throw fail(.usage, "--mix and --shard: mix in one run, or shard the inputs by source yourself") }
        let type = ElementType.megatron(vocabularySize: vocabulary.tokens.vocabularySize)
        let writer: MegatronWriter
        do { writer = try MegatronWriter(prefix: outputPrefix, type: type) } catch { throw fail(.cannotCreate, error.description) }
        let progress = progressOptions.progress()
        var pending: [[UInt8]] = []
        var missing = 0, empty = 0
        let append = appendEos
        // A batch of documents is encoded (on the workers, down to the bytes of the .bin file)
        // while the next is read; this thread only reads lines and appends bytes.
        let encoder = DocumentEncoder(vocabulary, wordIDs: false, workers: workers)
        let pool = OrderedWorkers<PreparedBatch>(workers: encoder.workers)
        defer { pool.close() }
        var pendingBytes = 0
        let binName = outputPrefix + ".bin"
        func write(_ results: [PreparedBatch]) throws(ExitCode) {
            for result in results { try write(result) }
        }
        func write(_ result: PreparedBatch) throws(ExitCode) {
            switch result {
            case .tokenizer(let e): throw fail(e)
            case .data(let e):
                writer.abort()
                throw fail(.ioError, e.description)
            case .encoded(let documents, let skipped):
                empty += skipped
                do { try writer.append(documents) } catch {
                    writer.abort()
                    throw fail(.ioError, error.description)
                }
            }
        }
        func flush() throws(ExitCode) {
            guard !pending.isEmpty else { return }
            let lines = pending
            pending = []
            pendingBytes = 0
            try write(pool.submit { w in
                let docs: [Document]
                switch encoder.encode(lines, worker: w) {
                case .success(let d): docs = d
                case .failure(let e): return .tokenizer(e)
                }
                var out = MegatronWriter.Encoded(type: type)
                var skipped = 0
                do throws(DataError) {
                    for var d in docs {
                        if d.ids.isEmpty { skipped += 1; continue }
                        if append, let eos { d.ids.append(eos) }
                        try d.ids.withUnsafeBufferPointer { (b) throws(DataError) in try out.add(b, tensor: binName) }
                    }
                } catch { return .data(error) }
                return .encoded(out, skipped: skipped)
            })
        }
        do {
            try source.forEachRecord { (record) throws(ExitCode) in
                let offset = record.offset
                if let r = shardRange {
                    if offset >= r.upperBound { return false }
                    if offset < r.lowerBound { return true }
                }
                guard case .text(let text) = record.text else {
                    if case .rejected(let why) = record.text {
                        if why.rule == "missing_field" { missing += 1 } else { empty += 1 }
                    }
                    return true
                }
                for _ in 0..<(mixer?.copies(record) ?? 1) {
                    pending.append(text)
                    pendingBytes += text.count
                }
                if pending.count >= DocumentEncoder.batchDocuments || pendingBytes >= DocumentEncoder.batchBytes {
                    try flush()
                    if let total = source.totalBytes, total > 0 {
                        let lo = shardRange?.lowerBound ?? 0, hi = shardRange?.upperBound ?? total
                        progress.report("prepare", Double(offset - lo) / Double(max(1, hi - lo)))
                    }
                }
                return true
            }
            try flush()
            try write(pool.finish())
            try writer.finish()
        } catch let error as ExitCode {
            writer.abort()
            progress.finish()
            throw error
        } catch let error as DataError {
            writer.abort()
            progress.finish()
            throw fail(.ioError, error.description)
        }
        progress.report("prepare", 1)
        progress.finish()
        if !progressOptions.quiet {
            var message = "tokki prepare: \(writer.documents) documents, \(writer.tokens) tokens (\(type.rawValue)); wrote \(outputPrefix).bin, \(outputPrefix).idx"
            if empty > 0 { message += "; skipped \(empty) empty documents" }
            if missing > 0 { message += "; \(missing) JSONL lines had no '\(corpusInput.textField ?? "")'" }
            if let mixer { message += "; " + mixer.summary }
            printError(message)
        }
    }
}

/// A batch of `prepare`'s documents as a worker leaves it: encoded for the `.bin` file (and
/// how many were empty), or the first error.
enum PreparedBatch: Sendable {
    case encoded(MegatronWriter.Encoded, skipped: Int)
    case tokenizer(TokkiError)
    case data(DataError)
}
