import ArgumentParser
import Dispatch
import Foundation
import Tokki
import TokkiTraining

/// `tokki train`: a vocabulary from a corpus.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a vocabulary and write PREFIX.model, PREFIX.json and PREFIX.vocab.",
        discussion: """
        Reads plain text (one sentence or document per line) or JSONL (--text-field)
        from the --input files or stdin. The normalization (default: the Korean preset)
        is compiled into the model, so the .model gives the same ids in the Python
        sentencepiece package and the .json (tokenizer.json) in tokenizers. Files are
        written atomically. The same input, options and seed give byte-identical files
        whatever --threads is.

        Examples:
          tokki train --model-type bpe --vocab-size 8000 --input ko.txt --output ko8k
          tokki train --model-type bpe --vocab-size 16000 \\
            --input a.jsonl --input b.jsonl --text-field text --output law
          cat *.txt | tokki train --model-type bpe --vocab-size 4000 \\
            --normalization nmt_nfkc --byte-fallback --output small
          tokki train --vocab-size 16000 --input ko.txt --pad-id 3 \\
            --control-symbols '<mask>,<extra_id_0>,<extra_id_1>' --output ko
          tokki train --vocab-size 16000 --input old_statutes.txt --hanja hangul \\
            --output law

        --hanja hangul reads Hanja in Hangul before training (民法 → 민법, word by
        word with the initial-sound rule), and compiles into the model's charsmap the
        Hanja whose reading never depends on context (民 → 민, 法 → 법), so that
        sentencepiece reads those too. The rest need word context (歷史 → 역사 but
        先例 → 선례; 不, 率, 樂): normalize text to encode the same way first:
          tokki normalize --hanja hangul < text.txt | tokki encode --model law.model
        """
    )

    enum ModelType: String, ExpressibleByArgument, CaseIterable { case unigram, bpe, byteBPE = "byte-bpe" }

    @Option(help: "unigram, bpe or byte-bpe.")
    var modelType: ModelType = .bpe

    @Option(help: "Vocabulary size, special pieces included.")
    var vocabSize: Int = TrainerConfiguration().vocabularySize

    @Option(help: "Input file (repeatable; default: stdin).")
    var input: [String] = []

    @Option(help: "Output prefix: writes PREFIX.model, PREFIX.json and PREFIX.vocab.")
    var output: String

    @Option(help: "JSONL input: the string field holding the text.")
    var textField: String?

    @Option(help: "Normalization compiled into the model.")
    var normalization: TrainingNormalization = TrainerConfiguration().normalization

    @Option(help: "Hanja in the training text: keep, or hangul (read in Hangul first; encode text normalized the same way).")
    var hanja: HanjaNormalizer.Mode = .keep

    @Option(help: "Share of characters (by frequency) that become pieces; the rest are unknown.")
    var characterCoverage: Double = TrainerConfiguration().characterCoverage

    @Flag(help: "Add <0x00>…<0xFF> pieces: unknown characters become bytes.")
    var byteFallback = false

    @Option(help: "Comma-separated pieces that are always matched and never split.")
    var userDefinedSymbols: String?

    @Option(help: "Comma-separated control pieces (no surface; added by id).")
    var controlSymbols: String?

    @Flag(help: "Every digit is its own piece.")
    var splitDigits = false

    @Option(help: "Id of the unknown piece.")
    var unkID: Int = TrainerConfiguration().unknownID

    @Option(help: "Id of <s> (-1: none).")
    var bosID: Int = TrainerConfiguration().bosID

    @Option(help: "Id of </s> (-1: none).")
    var eosID: Int = TrainerConfiguration().eosID

    @Option(help: "Id of <pad> (-1: none).")
    var padID: Int = TrainerConfiguration().padID

    @Option(help: "Longest piece, in characters.")
    var maxPieceLength: Int = TrainerConfiguration().maxPieceLength

    @Option(help: "Train on this many lines sampled uniformly (0: all).")
    var inputSentenceSize: Int = 0

    @Option(help: "Seed for sampling.")
    var seed: UInt64 = 0

    @Option(help: "byte-bpe: comma-separated special tokens (ids 0…).")
    var specialTokens: String?

    @Option(help: "byte-bpe: pairs seen fewer times are not merged.")
    var minFrequency: Int = ByteLevelBPETrainer.Configuration().minFrequency

    @Option(help: "byte-bpe: the pre-tokenization pattern, a name (gpt2, llama3, qwen2, cl100k, o200k) or a regex.")
    var pattern: String = ByteLevelBPETrainer.Configuration().pattern

    @Flag(help: "Stop at an invalid UTF-8 line (default: skip and count it).")
    var strict = false

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Flag(help: "No progress output.")
    var quiet = false

    @OptionGroup var lineLimit: LineLimitOptions

    func validate() throws {
        guard vocabSize > 0 else { throw ValidationError("--vocab-size must be positive") }
        guard characterCoverage > 0 && characterCoverage <= 1 else { throw ValidationError("--character-coverage must be in (0, 1]") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if hanja == .annotate { throw ValidationError("--hanja annotate is for reading text, not for training: use keep or hangul") }
    }

    func run() throws {
        if modelType == .byteBPE { return try runByteLevel() }
        let c = trainerConfiguration
        let corpus = corpusOptions
        let progress = Progress(quiet: quiet)
        let result: (model: SentencePieceModel, statistics: CorpusStatistics)
        do {
            if modelType == .unigram {
                result = try UnigramTrainer(c).train(corpus) { phase, value in progress.report(phase, value) }
            } else {
                result = try BPETrainer(c).train(corpus) { phase, value in progress.report(phase, value) }
            }
        } catch {
            progress.finish()
            throw Self.failure(error)
        }
        progress.finish()
        let model = result.model
        // The three files are made and written side by side (the tokenizer.json takes the
        // longest); the first failure, in file order, is reported.
        var failures = [(ExitStatus, String)?](repeating: nil, count: 3)
        failures.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Parallelism.run(tasks: 3) { task in
                let suffix = [".model", ".json", ".vocab"][task]
                do throws(TokkiError) {
                    let bytes: [UInt8]
                    switch task {
                    case 0: bytes = [UInt8](try model.serialized())
                    case 1: bytes = try model.huggingFaceJSON()
                    default: bytes = Array(model.vocabularyText().utf8)
                    }
                    out[task] = atomicWrite(bytes, to: output + suffix)
                } catch {
                    out[task] = (.dataError, error.description)
                }
            }
        }
        if let (status, message) = failures.lazy.compactMap({ $0 }).first { throw fail(status, message) }
        let s = result.statistics
        if !quiet {
            var message = "tokki train: \(model.pieces.count) pieces from \(s.usedLines) lines (\(s.bytes) bytes)"
            if s.invalidLines > 0 { message += "; skipped \(s.invalidLines) invalid UTF-8 lines" }
            if s.missingField > 0 { message += "; \(s.missingField) JSONL lines had no '\(textField ?? "")'" }
            FileHandle.standardError.write(Data((message + "; wrote \(output).model, \(output).json, \(output).vocab\n").utf8))
            if hanja != .keep {
                let exact = HanjaNormalizer.contextFreeReadings.count, all = HanjaNormalizer.readableCount
                printError("tokki train: Hanja were read in Hangul before training; the model's charsmap reads the \(exact) of \(all) readable Hanja whose reading never depends on context, the other \(all - exact) need word context (the initial-sound and 렬/률 rules, 不, dictionary words): encode text normalized with `tokki normalize --hanja \(hanja.rawValue)`")
            }
        }
    }
}

extension Train {
    /// `--model-type byte-bpe`: writes PREFIX.json (tokenizer.json) and PREFIX.vocab; a
    /// byte-level BPE has no SentencePiece equivalent, so no .model.
    func runByteLevel() throws {
        let c = byteLevelConfiguration
        let corpus = corpusOptions
        let progress = Progress(quiet: quiet)
        let result: ByteLevelBPETrainer.Result
        do {
            result = try ByteLevelBPETrainer(c).train(corpus) { phase, value in progress.report(phase, value) }
        } catch {
            progress.finish()
            throw Self.failure(error)
        }
        progress.finish()
        try writeAtomically(result.json, to: output + ".json")
        try writeAtomically(Array(result.vocabularyText().utf8), to: output + ".vocab")
        if !quiet {
            let s = result.statistics
            FileHandle.standardError.write(Data("tokki train: \(result.tokens.count) tokens from \(s.usedLines) lines (\(s.bytes) bytes); wrote \(output).json, \(output).vocab (a byte-level BPE has no .model)\n".utf8))
        }
    }
}

extension Train {
    /// The options as the SentencePiece-style trainers take them: the one mapping from
    /// the command line to the trainer settings.
    var trainerConfiguration: TrainerConfiguration {
        var c = TrainerConfiguration()
        c.vocabularySize = vocabSize
        c.characterCoverage = characterCoverage
        c.normalization = normalization
        c.byteFallback = byteFallback
        c.userDefinedSymbols = userDefinedSymbols.map { $0.split(separator: ",").map(String.init) } ?? []
        c.controlSymbols = controlSymbols.map { $0.split(separator: ",").map(String.init) } ?? []
        c.splitDigits = splitDigits
        c.unknownID = unkID; c.bosID = bosID; c.eosID = eosID; c.padID = padID
        c.maxPieceLength = maxPieceLength
        if let threads { c.threads = threads }
        return c
    }

    /// The options as the byte-level BPE trainer takes them: the shared settings from
    /// ``trainerConfiguration``, then its own.
    var byteLevelConfiguration: ByteLevelBPETrainer.Configuration {
        var c = ByteLevelBPETrainer.Configuration(sharing: trainerConfiguration)
        c.minFrequency = minFrequency
        c.specialTokens = specialTokens.map { $0.split(separator: ",").map(String.init) } ?? []
        c.pattern = pattern
        return c
    }

    /// Where the text comes from and how it is read.
    var corpusOptions: CorpusOptions {
        var options = CorpusOptions(inputs: input, textField: textField, inputSentenceSize: inputSentenceSize, seed: seed,
                                    strict: strict, maxLineBytes: lineLimit.maxLineBytes.value)
        options.decoding = InputSettings.decoding
        options.hanja = hanja
        return options
    }

    /// The exit status and message for a training error.
    static func failure(_ error: TrainingError) -> ExitCode {
        switch error {
        case .io: return fail(.noInput, error.description)
        case .tokki(let e): return fail(e)
        case .vocabularyTooLarge(_, let maximum): return fail(.usage, "\(error.description) (use --vocab-size \(maximum) or more text)")
        case .invalidConfiguration, .vocabularyTooSmall: return fail(.usage, error.description)
        default: return fail(.dataError, error.description)
        }
    }
}

/// `tokki charsmap NAME`: the charsmap a normalization compiles to, on stdout (for
/// scripts/fixtures/make_charsmaps.sh, which regenerates the shipped ones). Not listed in the help.
struct CharsmapDump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charsmap", abstract: "Write the compiled charsmap of a normalization to stdout.",
        discussion: """
        Examples:
          tokki charsmap korean > korean.bin
          tokki charsmap nmt_nfkc | xxd | head
        """,
        shouldDisplay: false)

    @Argument(help: "The normalization.")
    var normalization: TrainingNormalization

    func run() throws {
        let blob: [UInt8]
        do { blob = try CharsmapCompiler.compileFromICU(normalization) } catch { throw fail(error) }
        var out = OutputWriter()
        try out.write(blob)
        try out.flush()
    }
}
