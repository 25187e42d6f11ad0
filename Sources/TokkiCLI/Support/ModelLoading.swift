import ArgumentParser
import Foundation
import Tokki

/// A model file loaded for the CLI; the format is detected from the content.
enum CLIModel: Sendable {
    case sentencePiece(SentencePieceTokenizer)
    case tiktoken(TiktokenTokenizer)
    case huggingFace(HuggingFaceTokenizer)
    case tekken(TekkenTokenizer)

    /// Whether this is a tiktoken rank file.
    var isTiktoken: Bool { if case .tiktoken = self { true } else { false } }

    var vocabularySize: Int {
        switch self {
        case .sentencePiece(let t): t.vocabularySize
        case .tiktoken(let t): t.vocabularySize
        case .huggingFace(let t): t.vocabularySize
        case .tekken(let t): t.vocabularySize
        }
    }

    /// Decodes ids (special tokens skipped for tokenizer.json and Tekken, as their
    /// references' `decode(..., skip_special_tokens=True)`).
    func decode(_ ids: [Int]) throws(TokkiError) -> String {
        switch self {
        case .sentencePiece(let t): try t.decode(ids)
        case .tiktoken(let t): try t.decode(ids)
        case .huggingFace(let t): try t.decode(ids, skipSpecialTokens: true)
        case .tekken(let t): try t.decode(ids)
        }
    }
}

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

/// Whether `bytes` look like a tiktoken rank file: a first line `base64 digits`.
func looksLikeTiktoken(_ bytes: ArraySlice<UInt8>) -> Bool {
    let line = bytes.prefix { $0 != 0x0A }
    guard let space = line.firstIndex(of: 0x20), space > line.startIndex else { return false }
    let token = line[line.startIndex..<space], rank = line[(space + 1)...].filter { $0 != 0x0D }
    let base64: (UInt8) -> Bool = { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2B || $0 == 0x2F || $0 == 0x3D }
    return token.allSatisfy(base64) && !rank.isEmpty && rank.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
}

/// `--model` and `--pattern` as `batch` and `prepare` take them.
struct ModelOptions: ParsableArguments {
    @Option(help: "The model (default: the shipped Korean vocabulary).")
    var model: String?

    @Option(help: "tiktoken only: the pre-tokenization pattern.")
    var pattern: String?

    @OptionGroup var specialTokens: SpecialTokenOptions

    /// The model they name.
    func load() throws(ExitCode) -> CLIModel {
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

/// Loads the model named by `--model`: a SentencePiece `.model` or a tiktoken rank file
/// (with `pattern`, or the pattern named by the file name). Failures map to exit codes.
///
/// `specialTokens` adds special tokens to a tiktoken rank file (on top of those of a recognised
/// encoding); other formats define their own, and refuse them.
func loadModel(_ path: String?, pattern: String? = nil, needsPattern: Bool = true,
               specialTokens extra: [String: Int] = [:]) throws(ExitCode) -> CLIModel {
    guard let path = path ?? defaultModelPath() else {
        throw fail(.usage, "the default vocabulary (Vocab/\(defaultModelName)) was not found: pass --model PATH or set TOKKI_VOCAB")
    }
    guard FileManager.default.fileExists(atPath: path) else {
        throw fail(.noInput, "model file '\(path)' does not exist")
    }
    let url = URL(fileURLWithPath: path)
    let head: [UInt8]
    do {
        let handle = try FileHandle(forReadingFrom: url)
        head = [UInt8](try handle.read(upToCount: 256) ?? Data())
        try? handle.close()
    } catch {
        throw fail(.noInput, "cannot read model file '\(path)': \(error.localizedDescription)")
    }
    do {
        if head.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == 0x7B {
            // JSON: a tokenizer.json, a Tekken file or a GPT-2 vocab.json, told apart by structure.
            let bytes: [UInt8]
            do { bytes = [UInt8](try Data(contentsOf: url)) } catch {
                throw fail(.noInput, "cannot read model file '\(path)': \(error.localizedDescription)")
            }
            if !extra.isEmpty {
                throw fail(.usage, "--special-token is for tiktoken rank files; \(path) defines its own special tokens")
            }
            switch try TokenizerJSONKind.detect(bytes, path: path) {
            case .huggingFace: return .huggingFace(try HuggingFaceTokenizer(json: bytes, path: path))
            case .tekken: return .tekken(try TekkenTokenizer(json: bytes, path: path))
            case .vocabulary:
                guard let merges = mergesFile(besides: url) else {
                    throw fail(.noInput, "\(path) looks like a GPT-2 vocab.json, but no merges.txt was found next to it")
                }
                return .huggingFace(try HuggingFaceTokenizer(vocabulary: url, merges: merges))
            case .unknown:
                throw fail(.dataError, "\(path): a JSON file that is neither a tokenizer.json, a Tekken file nor a vocab.json")
            }
        }
        if looksLikeTiktoken(head[...]) {
            let chosen = pattern ?? (needsPattern ? nil : ".")
            let t = try TiktokenTokenizer(contentsOf: url, pattern: chosen)
            guard !extra.isEmpty else { return .tiktoken(t) }
            do {
                return .tiktoken(try t.withSpecialTokens(t.specialTokens.merging(extra) { _, new in new }))
            } catch {
                throw fail(.usage, "--special-token: \(error.description)")
            }
        }
        if !extra.isEmpty {
            throw fail(.usage, "--special-token is for tiktoken rank files; \(path) defines its own special tokens")
        }
        return .sentencePiece(try SentencePieceTokenizer(contentsOf: url))
    } catch let error as TokkiError {
        throw fail(error)
    } catch let error as ExitCode {
        throw error
    } catch {
        throw fail(.failure, "\(error)")
    }
}

/// The merges file of a GPT-2 `vocab.json`: `merges.txt` beside it, or the same name with
/// `vocab.json` replaced by `merges.txt` (`gpt2.vocab.json` → `gpt2.merges.txt`).
func mergesFile(besides vocab: URL) -> URL? {
    let dir = vocab.deletingLastPathComponent()
    let name = vocab.lastPathComponent
    var candidates = [dir.appendingPathComponent("merges.txt")]
    if name.hasSuffix("vocab.json") {
        candidates.insert(dir.appendingPathComponent(String(name.dropLast("vocab.json".count)) + "merges.txt"), at: 0)
    }
    return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
}

/// Loads a SentencePiece model (for commands that need one).
func loadTokenizer(_ path: String?) throws(ExitCode) -> SentencePieceTokenizer {
    switch try loadModel(path, needsPattern: false) {
    case .sentencePiece(let t): return t
    default: throw fail(.usage, "'\(path ?? "")' is not a SentencePiece .model; this command needs one")
    }
}

extension CLIModel {
    /// A new ids encoder for one thread: it keeps its own scratch memory (and word caches)
    /// from call to call. Each call appends the ids of one line — well-formed UTF-8, or any
    /// bytes for SentencePiece, which maps malformed bytes itself — to `ids`. `bos`/`eos`:
    /// SentencePiece and Tekken; `special`: a tokenizer.json's post-processor tokens.
    func makeIDEncoder(bos: Bool = false, eos: Bool = false, special: Bool = false)
        -> (UnsafeBufferPointer<UInt8>, inout [Int32]) throws(TokkiError) -> Void {
        switch self {
        case .sentencePiece(let t):
            var scratch = SentencePieceTokenizer.Scratch()
            return { line, ids in t.encodeIDs(line, into: &ids, scratch: &scratch, addBOS: bos, addEOS: eos) }
        case .huggingFace(let t):
            var scratch = HuggingFaceTokenizer.Scratch()
            return { (line, ids) throws(TokkiError) in try t.encodeIDs(line, into: &ids, scratch: &scratch, addSpecialTokens: special) }
        case .tiktoken(let t):
            var scratch = HuggingFaceTokenizer.Scratch()
            return { (line, ids) throws(TokkiError) in try t.encodeOrdinary(line, into: &ids, scratch: &scratch) }
        case .tekken(let t):
            var scratch = HuggingFaceTokenizer.Scratch()
            let shift = Int32(t.specialTokens.count)
            return { (line, ids) throws(TokkiError) in
                if bos, let b = t.bosID { ids.append(Int32(b)) }
                let first = ids.count
                try t.inner.encodeOrdinary(line, into: &ids, scratch: &scratch)
                for k in first..<ids.count { ids[k] += shift }
                if eos, let e = t.eosID { ids.append(Int32(e)) }
            }
        }
    }
}

/// One thread's ids encoder (``CLIModel/makeIDEncoder(bos:eos:special:)``) and the ids of its
/// last line. A class: the encoder closure is called in place, never copied in and out of a
/// generic container (which re-wrapped it on every call).
final class IDWorker {
    private let encoder: (UnsafeBufferPointer<UInt8>, inout [Int32]) throws(TokkiError) -> Void
    /// The ids of the last line encoded.
    private(set) var ids: [Int32] = []

    init(_ model: CLIModel, bos: Bool = false, eos: Bool = false, special: Bool = false) {
        encoder = model.makeIDEncoder(bos: bos, eos: eos, special: special)
    }

    /// Encodes one line into ``ids``.
    func encode(_ line: UnsafeBufferPointer<UInt8>) throws(TokkiError) {
        ids.removeAll(keepingCapacity: true)
        try encoder(line, &ids)
    }
}
