import Foundation

/// The tokenizer file formats Tokki reads, told apart by content (not by file name).
public enum TokenizerFormat: String, Sendable, Hashable, CaseIterable {
    /// A SentencePiece `.model` (protobuf).
    case sentencePiece
    /// A Hugging Face `tokenizer.json`.
    case huggingFace
    /// A GPT-2 `vocab.json` with its `merges.txt`.
    case gpt2
    /// A tiktoken rank file (`base64token rank` lines).
    case tiktoken
    /// A Mistral Tekken file (`tekken.json`).
    case tekken

    /// The format of the file at `path` (for a folder: of the tokenizer file in it, see
    /// ``TokenizerLoader/resolve(_:)``).
    ///
    /// - Throws: ``TokkiError/io(path:reason:)`` when the file cannot be read,
    ///   ``TokkiError/invalidModel(path:problem:)`` for a JSON file of no known kind.
    public static func detect(at path: String) throws(TokkiError) -> TokenizerFormat {
        try detect(file: try TokenizerLoader.resolve(path)).format
    }

    /// The format of `file`, and the file's bytes when detecting needed all of them (JSON).
    /// A pipe, FIFO or device (`--model <(…)`, `/dev/stdin`) can be read only once: all of it is
    /// read, its format told from those bytes, and the bytes returned for every format.
    static func detect(file: String) throws(TokkiError) -> (format: TokenizerFormat, bytes: ReadOnlyBytes?) {
        let streamed = TokenizerLoader.isRegularFile(file) ? nil : ReadOnlyBytes(try readFileBytes(file))
        let head: [UInt8]
        if let streamed { head = streamed[0..<min(streamed.count, 256)] } else { head = try TokenizerLoader.readHead(file, count: 256) }
        guard head.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == 0x7B else {
            return (looksLikeTiktoken(head[...]) ? .tiktoken : .sentencePiece, streamed)
        }
        let bytes: ReadOnlyBytes
        if let streamed { bytes = streamed } else { bytes = try mapFileBytes(file) }
        switch try TokenizerJSONKind.detect(source: bytes, path: file) {
        case .huggingFace: return (.huggingFace, bytes)
        case .tekken: return (.tekken, bytes)
        case .vocabulary: return (.gpt2, bytes)
        case .unknown: throw .invalidModel(path: file, problem: "a JSON file that is neither a tokenizer.json, a Tekken file nor a vocab.json")
        }
    }

    /// Whether `bytes` begin like a tiktoken rank file: a first line `base64 digits`.
    static func looksLikeTiktoken(_ bytes: ArraySlice<UInt8>) -> Bool {
        let line = bytes.prefix { $0 != 0x0A }
        guard let space = line.firstIndex(of: 0x20), space > line.startIndex else { return false }
        let token = line[line.startIndex..<space], rank = line[(space + 1)...].filter { $0 != 0x0D }
        let base64: (UInt8) -> Bool = {
            ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2B || $0 == 0x2F || $0 == 0x3D
        }
        return token.allSatisfy(base64) && !rank.isEmpty && rank.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}

/// How ``loadTokenizer(at:options:)`` loads a file.
public struct TokenizerLoadOptions: Sendable {
    /// tiktoken: the pre-tokenization pattern, a regular expression or a name accepted by
    /// ``PretokenizationPattern/named(_:)``. Nil: chosen from the file name or the encoding.
    public var pattern: String?
    /// tiktoken: special tokens added to those of a recognised encoding (text → id). Other
    /// formats define their own and refuse these.
    public var specialTokens: [String: Int]
    /// tokenizer.json: apply the truncation the file stores (as `tokenizers` does). False
    /// for callers that cut sequences themselves.
    public var storedTruncation: Bool
    /// tokenizer.json: apply the padding the file stores (as `tokenizers` does). False for
    /// callers that pad sequences themselves.
    public var storedPadding: Bool
    /// The tokenizer is only used to decode and inspect: a tiktoken file whose pattern is not
    /// known still loads (its encoding must then not be used).
    public var decodeOnly: Bool
    /// Where the built tables of large `tokenizer.json` and tiktoken files are kept between
    /// processes (see ``ModelCache``); nil: built on every load. The `tokki` command uses
    /// ``ModelCache/fromEnvironment()``.
    public var cache: ModelCache?

    /// Options; by default a file loads as its reference loads it.
    public init(pattern: String? = nil, specialTokens: [String: Int] = [:], storedTruncation: Bool = true,
                storedPadding: Bool = true, decodeOnly: Bool = false, cache: ModelCache? = nil) {
        self.pattern = pattern
        self.specialTokens = specialTokens
        self.storedTruncation = storedTruncation
        self.storedPadding = storedPadding
        self.decodeOnly = decodeOnly
        self.cache = cache
    }
}

/// Loads a tokenizer of any format, detected from the content: a SentencePiece `.model`, a
/// `tokenizer.json`, a GPT-2 `vocab.json` (with `merges.txt` beside it), a tiktoken rank
/// file or a Tekken file — or a model folder holding one of them (read as a ``ModelFolder``:
/// its `tokenizer_config.json` and `special_tokens_map.json` must be well-formed too).
///
/// ```swift
/// let tokenizer = try loadTokenizer(at: "models/llama-3/tokenizer.json")
/// let ids = try tokenizer.encodeIDs("대한민국", options: EncodeOptions())
/// ```
///
/// - Throws: ``TokkiError/io(path:reason:)`` when the file is missing or unreadable;
///   ``TokkiError/invalidModel(path:problem:)`` when it is malformed or of no known kind;
///   ``TokkiError/invalidConfiguration(_:)`` for options the format cannot take.
public func loadTokenizer(at path: String, options: TokenizerLoadOptions = TokenizerLoadOptions()) throws(TokkiError) -> any Tokenizer {
    if ModelFolder.isFolder(path) {
        return try ModelFolder(contentsOf: path, options: options).tokenizer
    }
    return try loadTokenizer(file: path, options: options)
}

/// ``loadTokenizer(at:options:)`` of one file (not a folder).
func loadTokenizer(file: String, options: TokenizerLoadOptions) throws(TokkiError) -> any Tokenizer {
    let url = URL(fileURLWithPath: file)
    // A large file with an image in the cache is not read at all (see ModelCache.key(forFile:)).
    let fileKey = options.cache?.key(forFile: file)
    /// A `.model` file's image: its tables are read once the file itself is parsed.
    var sentencePieceImage: ImageReader? = nil
    if let cache = options.cache, let fileKey, let (found, kind) = cache.imageAndKind(for: fileKey) {
        var image = found
        switch kind {
        case .sentencePiece:
            sentencePieceImage = image
        case .tokenizerJSON:
            if options.specialTokens.isEmpty, var t = try? TokenizerJSON.loadCompiled(&image, path: file) {
                if !options.storedTruncation { t.truncation = nil }
                if !options.storedPadding { t.padding = nil }
                return t
            }
        case .tiktoken:
            if let ranks = TiktokenRanks(image: &image, path: file) {
                return try tiktokenTokenizer(ranks, url: url, options: options)
            }
        }
    }
    let (format, bytes) = try TokenizerFormat.detect(file: file)
    if format != .tiktoken && !options.specialTokens.isEmpty {
        throw .invalidConfiguration("added special tokens are for tiktoken rank files; \(file) defines its own special tokens")
    }
    // The bytes detection read (JSON, anything streamed), else a mapping of the file.
    let json: () throws(TokkiError) -> ReadOnlyBytes = { () throws(TokkiError) in
        if let bytes { return bytes }
        return try mapFileBytes(file)
    }
    switch format {
    case .sentencePiece:
        if let bytes { return try SentencePieceTokenizer(serialized: Data(bytes.arrayCopy)) }
        return try SentencePieceTokenizer(contentsOf: url, cache: options.cache, key: fileKey, image: sentencePieceImage)
    case .huggingFace:
        var t = try TokenizerJSON.load(source: try json(), path: file, cache: options.cache, key: fileKey)
        if !options.storedTruncation { t.truncation = nil }
        if !options.storedPadding { t.padding = nil }
        return t
    case .gpt2:
        guard let merges = TokenizerLoader.mergesFile(besides: url) else {
            throw .invalidModel(path: file, problem: "looks like a GPT-2 vocab.json, but no merges.txt was found next to it")
        }
        return try HuggingFaceTokenizer(vocabulary: url, merges: merges)
    case .tekken:
        return try TekkenTokenizer(source: try json(), path: file)
    case .tiktoken:
        let ranks = try TiktokenRanks(source: try json(), path: file, cache: options.cache, key: fileKey)
        return try tiktokenTokenizer(ranks, url: url, options: options)
    }
}

/// The tokenizer of a tiktoken rank file's ranks, with the pattern and special tokens the
/// options and the file's name give.
private func tiktokenTokenizer(_ ranks: TiktokenRanks, url: URL, options: TokenizerLoadOptions) throws(TokkiError) -> TiktokenTokenizer {
    let t = try TiktokenTokenizer(ranks: ranks, fileName: url.lastPathComponent, pattern: options.pattern ?? (options.decodeOnly ? "." : nil))
    guard !options.specialTokens.isEmpty else { return t }
    return try t.withSpecialTokens(t.specialTokens.merging(options.specialTokens) { _, new in new })
}

/// File helpers of ``loadTokenizer(at:options:)``.
public enum TokenizerLoader {
    /// The tokenizer file names looked for in a model folder, in order.
    public static let folderFileNames = ["tokenizer.json", "tekken.json", "tokenizer.model", "spiece.model",
                                         "sentencepiece.bpe.model", "vocab.json"]

    /// `path` itself, or for a folder the first of ``folderFileNames`` in it.
    ///
    /// - Throws: ``TokkiError/io(path:reason:)`` when nothing is there.
    public static func resolve(_ path: String) throws(TokkiError) -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw .io(path: path, reason: "no such file")
        }
        guard isFolder.boolValue else { return path }
        let folder = URL(fileURLWithPath: path)
        for name in folderFileNames {
            let candidate = folder.appendingPathComponent(name).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        throw .io(path: path, reason: "a folder without a tokenizer file (looked for \(folderFileNames.joined(separator: ", ")))")
    }

    /// The merges file of a GPT-2 `vocab.json`: `merges.txt` beside it, or the same name with
    /// `vocab.json` replaced by `merges.txt` (`gpt2.vocab.json` → `gpt2.merges.txt`).
    public static func mergesFile(besides vocab: URL) -> URL? {
        let dir = vocab.deletingLastPathComponent()
        let name = vocab.lastPathComponent
        var candidates = [dir.appendingPathComponent("merges.txt")]
        if name.hasSuffix("vocab.json") {
            candidates.insert(dir.appendingPathComponent(String(name.dropLast("vocab.json".count)) + "merges.txt"), at: 0)
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// Whether `path` is a regular file (or something that cannot be examined, left for
    /// opening to report); false for pipes, FIFOs and devices.
    static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return true }
        return (st.st_mode & S_IFMT) == S_IFREG
    }

    /// The first `count` bytes of a file.
    static func readHead(_ path: String, count: Int) throws(TokkiError) -> [UInt8] {
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            return [UInt8](try handle.read(upToCount: count) ?? Data())
        } catch {
            throw .io(path: path, reason: "cannot read the tokenizer file (\(error.localizedDescription))")
        }
    }
}
