import ArgumentParser
import Tokki
import Foundation
import TokkiData
import TokkiTraining

/// `--input` (repeatable) and `--text-field`: the documents `batch`, `prepare`, `clean` and
/// `dedup` read.
struct DocumentInputOptions: ParsableArguments {
    @Option(help: "Input file (repeatable; default: stdin).")
    var input: [String] = []

    @Option(help: "JSONL input: the field holding the text.")
    var textField: String?
}

/// `--threads`, for the commands that work on several cores.
struct ThreadOptions: ParsableArguments {
    @Option(help: "Worker threads (default: all cores; 1 = one core).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        // The whole process keeps to the given threads, loading the model included (the
        // loaders' parallel loops follow `Parallelism.threads`): `--threads 1` is one core.
        if let threads { Parallelism.threads = threads }
    }

    /// Worker threads to use.
    var workers: Int { Parallelism.resolve(threads) }
}

/// `--quiet`, for the commands that show progress.
struct ProgressOptions: ParsableArguments {
    @Flag(help: "No progress display.")
    var quiet = false

    /// The progress display (none with `--quiet`).
    func progress() -> Progress { Progress(quiet: quiet) }
}

/// What to do with invalid UTF-8 in the input.
enum InvalidUTF8Policy: String, ExpressibleByArgument, CaseIterable {
    /// Stop with exit 65, naming the line and byte.
    case error
    /// Substitute U+FFFD.
    case replace
}

/// `--invalid error|replace`, for the commands that read text.
struct InvalidUTF8Options: ParsableArguments {
    @Option(help: "What to do with invalid UTF-8: error (stop, exit 65) or replace (substitute U+FFFD).")
    var invalid: InvalidUTF8Policy = .error

    /// Whether invalid UTF-8 is replaced.
    var replace: Bool { invalid == .replace }

    func validate() throws {
        // The same policy for bytes invalid in an --encoding charset.
        if replace { InputSettings.decoding.replaceInvalid = true }
    }
}

/// The options `clean` and `dedup` share: where documents come from and where kept and removed
/// ones and the report go.
struct CorpusCleaningOptions: ParsableArguments {
    @OptionGroup var documents: DocumentInputOptions
    @Option(help: "Kept documents (default: stdout).")
    var output: String?
    @Option(help: "Write a JSON report here (counts per rule; dedup adds the clusters).")
    var report: String?
    @Option(help: "Write removed documents here (JSON lines with the rule and, for dedup, the document they repeat).")
    var rejected: String?
    @Flag(help: "Stop at invalid UTF-8, invalid JSON or a missing field instead of counting it.")
    var strict = false
    @OptionGroup var threading: ThreadOptions
    @OptionGroup var progressOptions: ProgressOptions
    @OptionGroup var lineLimit: LineLimitOptions

    /// The input files.
    var input: [String] { documents.input }
    /// Worker threads to use.
    var workers: Int { threading.workers }
    /// `--quiet`.
    var quiet: Bool { progressOptions.quiet }

    /// The reader and the outputs.
    func open() throws(ExitCode) -> (CorpusRecordReader, CleaningOutputs) {
        var reader = try CorpusRecordReader(inputs: documents.input, textField: documents.textField, strict: strict)
        reader.maxLineBytes = lineLimit.maxLineBytes.value
        return (reader, try CleaningOutputs(output: output, rejected: rejected, report: report))
    }
}

/// `--normalization` of `train` and the argument of `charsmap`: the parser checks the name and
/// `--help` lists the values.
extension TrainingNormalization: ExpressibleByArgument {}
extension VocabularyExtender.Scripts: ExpressibleByArgument {}
