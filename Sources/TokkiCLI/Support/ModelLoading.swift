import ArgumentParser
import Foundation
import Tokki

/// The file name of the shipped default vocabulary.
let defaultModelName = "tokki-ko-bpe-16k.model"

/// Where the default vocabulary is: `$TOKKI_VOCAB`, else `Vocab/` in the current folder,
/// beside the executable's package (`swift run`), or in the source checkout it was built from.
func defaultModelPath() -> String? {
    if let env = ProcessInfo.processInfo.environment["TOKKI_VOCAB"], !env.isEmpty { return env }
    var candidates = [FileManager.default.currentDirectoryPath + "/Vocab/" + defaultModelName]
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<4 {
        candidates.append(dir.appendingPathComponent("Vocab/" + defaultModelName).path)
        dir = dir.deletingLastPathComponent()
    }
    let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    candidates.append(source.appendingPathComponent("Vocab/" + defaultModelName).path)
    return candidates.first { FileManager.default.fileExists(atPath: $0) }
}

/// `--model` and `--pattern` as `batch` and `prepare` take them.
struct ModelOptions: ParsableArguments {
    @Option(help: "The model (default: the shipped Korean vocabulary).")
    var model: String?

    @Option(help: "tiktoken only: the pre-tokenization pattern.")
    var pattern: String?

    @OptionGroup var specialTokens: SpecialTokenOptions

    /// The model they name.
    func load() throws(ExitCode) -> any Tokenizer {
        try loadModel(model, pattern: pattern, specialTokens: specialTokens.parsed())
    }
}

/// `--special-token TEXT=ID` (repeatable): special tokens of a tiktoken rank file beyond the
/// ones tiktoken defines for its named encodings.
struct SpecialTokenOptions: ParsableArguments {
    @Option(name: .customLong("special-token"), help: ArgumentHelp(
        "tiktoken only: add a special token TEXT with id ID (repeatable), e.g. '<|eot|>=100265'.",
        valueName: "TEXT=ID"))
    var specialToken: [String] = []

    /// The tokens given, by text.
    func parsed() throws(ExitCode) -> [String: Int] {
        var table: [String: Int] = [:]
        for item in specialToken {
            guard let eq = item.lastIndex(of: "="), eq > item.startIndex, let id = Int(item[item.index(after: eq)...]), id >= 0 else {
                throw fail(.usage, "--special-token '\(item)': expected TEXT=ID with a non-negative ID")
            }
            table[String(item[..<eq])] = id
        }
        return table
    }
}

/// Loads the model named by `--model` (default: the shipped vocabulary) in whatever format it
/// is (``loadTokenizer(at:options:)``). Failures map to exit codes.
///
/// `decodeOnly`: a tiktoken file whose pattern is unknown still loads (decode, inspect).
/// `specialTokens` adds special tokens to a tiktoken rank file (on top of those of a recognised
/// encoding); other formats define their own, and refuse them.
func loadModel(_ path: String?, pattern: String? = nil, decodeOnly: Bool = false,
               specialTokens extra: [String: Int] = [:], storedTruncation: Bool = true, storedPadding: Bool = true) throws(ExitCode) -> any Tokenizer {
    guard let path = path ?? defaultModelPath() else {
        throw fail(.usage, "the default vocabulary (Vocab/\(defaultModelName)) was not found: pass --model PATH or set TOKKI_VOCAB")
    }
    guard FileManager.default.fileExists(atPath: path) else {
        throw fail(.noInput, "model file '\(path)' does not exist")
    }
    let options = TokenizerLoadOptions(pattern: pattern, specialTokens: extra,
                                       storedTruncation: storedTruncation, storedPadding: storedPadding, decodeOnly: decodeOnly,
                                       cache: ModelCache.fromEnvironment())
    do {
        return try loadTokenizer(at: path, options: options)
    } catch {
        if !extra.isEmpty, case .invalidConfiguration(let message) = error {
            throw fail(.usage, "--special-token: \(message)")
        }
        throw fail(error)
    }
}
