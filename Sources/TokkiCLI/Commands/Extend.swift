import ArgumentParser
import Foundation
import Tokki
import TokkiData
import TokkiTraining

/// `tokki extend`: new (Korean) pieces for an existing tokenizer.
struct Extend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extend",
        abstract: "Extend an existing tokenizer with pieces learned from a corpus, keeping every existing id.",
        discussion: """
        Continues the base's own algorithm on the --input text: for a SentencePiece BPE
        .model or a BPE tokenizer.json (byte-level as Llama 3 and Qwen, or with byte
        fallback), new merges are learned on top of the base's segmentation and ranked
        after all of its merges, so every new piece is reachable; for a SentencePiece
        unigram .model, new pieces get EM-estimated scores and old pieces keep theirs.
        Every existing id keeps its piece, score and type. By default new pieces must
        hold Hangul, so text without Hangul keeps exactly its ids (--scripts any
        allows others).

        Writes PREFIX.model (SentencePiece bases) or PREFIX.json (tokenizer.json
        bases), and PREFIX.init.json: for each new id, the base ids whose
        concatenation is its piece (initialise its embedding with their mean).
        With --embeddings (the base model's embedding matrix, .safetensors or .npy),
        also writes PREFIX.embeddings.safetensors (or .npy): the matrix with each new
        row the mean of its base rows, reserved rows the mean of all base rows.
        With --held-out, prints Korean tokens per character before and after, and the
        share of lines without Hangul whose ids are unchanged.

        Examples:
          tokki extend --model mistral/tokenizer.model --input ko.txt --add 6000 \\
              --output mistral-ko --held-out kolaw.txt
          tokki extend --model qwen3/ --input ko.jsonl --text-field text \\
              --add 8000 --reserve 16 --output qwen3-ko \\
              --embeddings qwen3/model.safetensors \\
              --embedding-tensor model.embed_tokens.weight
        """
    )

    @Option(help: "The base: a SentencePiece .model, a tokenizer.json or a model folder.")
    var model: String

    @Option(help: "Input file (repeatable; default: stdin).")
    var input: [String] = []

    @Option(help: "New pieces to add.")
    var add: Int = VocabularyExtender.Configuration().add

    @Option(help: "Output prefix: writes PREFIX.model or PREFIX.json, and PREFIX.init.json.")
    var output: String

    @Option(help: "Pieces seen fewer times are not added.")
    var minFrequency: Int = VocabularyExtender.Configuration().minFrequency

    @Option(help: "Special tokens <reserved_N> reserved after the new pieces.")
    var reserve: Int = 0

    @Option(help: "New pieces allowed: hangul (pieces holding Hangul) or any.")
    var scripts: VocabularyExtender.Scripts = .hangul

    @Option(help: "Check that a .model base normalizes this way (a different one is refused).")
    var normalization: TrainingNormalization?

    @Option(help: "The base model's embedding matrix (.safetensors or .npy): writes PREFIX.embeddings with rows for the new ids.")
    var embeddings: String?

    @Option(help: "With --embeddings: the tensor to extend (default: the only matrix with a row per base token).")
    var embeddingTensor: String?

    @Option(help: "Held-out file to report tokens per character on (repeatable).")
    var heldOut: [String] = []

    @Option(help: "JSONL input: the string field holding the text.")
    var textField: String?

    @Flag(help: "Stop at an invalid UTF-8 line (default: skip and count it).")
    var strict = false

    @OptionGroup var threading: ThreadOptions
    @OptionGroup var lineLimit: LineLimitOptions
    @OptionGroup var progressOptions: ProgressOptions

    func validate() throws {
        if add < 0 { throw ValidationError("--add must be 0 or more") }
        if minFrequency < 1 { throw ValidationError("--min-frequency must be at least 1") }
        if reserve < 0 { throw ValidationError("--reserve must be 0 or more") }
    }

    func run() throws {
        var c = VocabularyExtender.Configuration()
        c.add = add
        c.minFrequency = minFrequency
        c.reserve = reserve
        c.scripts = scripts
        c.normalization = normalization
        c.threads = threading.workers
        var corpus = CorpusOptions(inputs: input, textField: textField, strict: strict, maxLineBytes: lineLimit.maxLineBytes.value)
        corpus.decoding = InputSettings.decoding
        // The matrix is read and checked before anything is learned or written.
        let (matrix, npy) = try readEmbeddings()
        let progress = progressOptions.progress()
        let result: VocabularyExtender.Result
        do {
            result = try VocabularyExtender(c).extend(model: model, corpus: corpus) { phase, value in progress.report(phase, value) }
        } catch {
            progress.finish()
            throw Train.failure(error)
        }
        progress.finish()
        var extendedMatrix: EmbeddingMatrix? = nil
        if let matrix {
            do {
                extendedMatrix = try matrix.extended(from: result.baseVocabularySize, sources: result.newPieces.map(\.baseIDs) + result.reserved.map { _ in [] })
            } catch { throw fail(.dataError, error.description) }
        }
        let written: String
        if let extended = result.model {
            do { try writeAtomically([UInt8](try extended.serialized()), to: output + ".model") } catch let e as TokkiError { throw fail(e) }
            written = output + ".model"
        } else if let json = result.tokenizerJSON {
            try writeAtomically(json, to: output + ".json")
            written = output + ".json"
        } else {
            written = ""
        }
        try writeAtomically(result.initializationJSON(), to: output + ".init.json")
        if let extendedMatrix {
            try writeAtomically(npy ? extendedMatrix.npyFile() : extendedMatrix.safetensorsFile(), to: output + (npy ? ".embeddings.npy" : ".embeddings.safetensors"))
        }
        if !progressOptions.quiet {
            printError("tokki extend: \(result.newPieces.count) new pieces (ids \(result.baseVocabularySize)…)"
                + (result.reserved.isEmpty ? "" : " and \(result.reserved.count) reserved tokens")
                + " from \(result.statistics.usedLines) lines; wrote \(written), \(output).init.json")
        }
        guard !heldOut.isEmpty else { return }
        var report = ExtensionReport()
        do throws(TokkiError) {
            let base = try loadTokenizer(at: model)
            let extended = try loadTokenizer(at: written)
            for file in heldOut {
                var reader = try LineReader(path: file, maxLineBytes: lineLimit.maxLineBytes.value)
                try reader.forEachLine({ (line, _, _) throws(TokkiError) in
                    // Lines that are not UTF-8 are left out of the report.
                    guard UTF8Validation.firstInvalidOffset(in: line) == nil else { return }
                    try report.add(line, base: base, extended: extended)
                }, failure: { $0 })
            }
        } catch {
            throw fail(error)
        }
        print(String(format: "held-out Korean lines: %d (%d characters)", report.koreanLines, report.koreanCharacters))
        print(String(format: "tokens per character: %.4f before, %.4f after (%.1f%% fewer)",
                     report.baseTokensPerCharacter, report.extendedTokensPerCharacter, 100 * report.reduction))
        if report.baseUnknown + report.extendedUnknown > 0 {
            print("unknown tokens: \(report.baseUnknown) before, \(report.extendedUnknown) after")
        }
        print(String(format: "lines without Hangul with unchanged ids: %d of %d (%.2f%%)",
                     report.unchangedOtherLines, report.otherLines, 100 * report.unchangedShare))
    }

    /// The --embeddings matrix, read and checked before anything is learned or written, and
    /// whether it came from a `.npy` file.
    func readEmbeddings() throws -> (EmbeddingMatrix?, Bool) {
        guard let embeddings else { return (nil, false) }
        let bytes: [UInt8]
        do { bytes = try readFileBytes(embeddings) } catch { throw fail(.noInput, error.description) }
        let npy = bytes.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59])
        do {
            return (try EmbeddingMatrix.read(bytes, path: embeddings, tensor: embeddingTensor, minimumRows: 2), npy)
        } catch {
            throw fail(.dataError, error.description)
        }
    }
}
