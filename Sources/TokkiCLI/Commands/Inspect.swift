import ArgumentParser
import Foundation
import Tokki

/// `tokki inspect`: what a model file holds.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a model file holds: type, vocabulary, special pieces, normalizer and trainer settings.",
        discussion: """
        Examples:
          tokki inspect ko.model
          tokki inspect .models/llama2.model
          tokki inspect .models/llama3.tiktoken
          tokki inspect tokenizer.json
        """
    )

    @Argument(help: "The model file (.model or .tiktoken).")
    var path: String

    @Option(help: "tiktoken only: the pre-tokenization pattern (name or regex) when the file name does not tell.")
    var pattern: String?

    func run() throws {
        try describeTokenizer()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else { return }
        let folder: ModelFolder
        do {
            folder = try ModelFolder(contentsOf: path, options: TokenizerLoadOptions(pattern: pattern, decodeOnly: true, cache: ModelCache.fromEnvironment()))
        } catch {
            throw fail(error)
        }
        var out = OutputWriter()
        try out.write(Self.describe(folder))
        try out.flush()
    }

    /// What a model folder adds to its tokenizer: special tokens and chat templates.
    static func describe(_ folder: ModelFolder) -> String {
        var s = "model folder: \(folder.path) (tokenizer file \(URL(fileURLWithPath: folder.tokenizerFile).lastPathComponent))\n"
        let named = ModelFolder.specialTokenNames.compactMap { name in
            folder.specialTokens[name].map { "\(name)=\($0.content.debugDescription) (id \($0.id.map(String.init) ?? "not in the vocabulary"))" }
        }
        s += "named special tokens: \(named.isEmpty ? "none" : named.joined(separator: ", "))\n"
        if folder.chatTemplates.isEmpty {
            s += "chat templates: none\n"
        } else {
            let templates = folder.chatTemplates.keys.sorted().map { name in
                "\(name) (\(URL(fileURLWithPath: folder.chatTemplateFiles[name] ?? folder.path).lastPathComponent), \(folder.chatTemplates[name]?.utf8.count ?? 0) bytes)"
            }
            s += "chat templates: \(templates.joined(separator: ", "))\n"
        }
        return s
    }

    /// Describes the tokenizer itself.
    func describeTokenizer() throws {
        // The description is per format; a format without its own falls back to what every
        // tokenizer tells (``describe(_:path:)``).
        let loaded = try loadModel(path, pattern: pattern, decodeOnly: true)
        let tokenizer: SentencePieceTokenizer
        if let encoding = loaded as? TiktokenTokenizer {
            var out = OutputWriter()
            var s = "file: \(path)\n"
            s += "format: tiktoken rank file (base64 token, rank)\n"
            s += "model type: byte-level BPE (merge by lowest rank)\n"
            s += "vocabulary size: \(encoding.ranks.count)\n"
            let named = PretokenizationPattern.name(forFileName: URL(fileURLWithPath: path).lastPathComponent)
            s += "pre-tokenization pattern: \(pattern ?? named ?? "(not known from the file name; pass --pattern when encoding)")\n"
            s += "special tokens: none in the file\n"
            try out.write(s)
            try out.flush()
            return
        } else if let t = loaded as? HuggingFaceTokenizer {
            var out = OutputWriter()
            try out.write(Self.describe(t, path: path))
            try out.flush()
            return
        } else if let t = loaded as? TekkenTokenizer {
            var out = OutputWriter()
            var s = "file: \(path)\n"
            s += "format: Mistral Tekken (tiktoken ranks in JSON), version \(t.version)\n"
            s += "model type: byte-level BPE (merge by lowest rank)\n"
            s += "vocabulary size: \(t.vocabularySize) (\(t.specialTokens.count) special + \(t.inner.ranks.count) ordinary)\n"
            s += "special tokens: \(Self.list(Array(t.specialTokens.prefix(20))))\n"
            try out.write(s)
            try out.flush()
            return
        } else if let t = loaded as? SentencePieceTokenizer {
            tokenizer = t
        } else {
            var out = OutputWriter()
            try out.write(Self.describe(loaded, path: path))
            try out.flush()
            return
        }
        let m = tokenizer.model
        var counts: [SentencePieceModel.PieceType: Int] = [:]
        for p in m.pieces { counts[p.type, default: 0] += 1 }
        var s = ""
        s += "file: \(path)\n"
        s += "format: SentencePiece model (protobuf)\n"
        s += "model type: \(m.modelType.rawValue)\n"
        s += "vocabulary size: \(m.pieces.count)\n"
        let typeNames: [(SentencePieceModel.PieceType, String)] = [
            (.normal, "normal"), (.userDefined, "user-defined"), (.control, "control"),
            (.unknown, "unknown"), (.byte, "byte"), (.unused, "unused")]
        s += "pieces by type: " + typeNames.compactMap { t, n in counts[t].map { "\(n) \($0)" } }.joined(separator: ", ") + "\n"
        func special(_ name: String, _ id: Int?) -> String {
            guard let id else { return "  \(name): none\n" }
            return "  \(name): \(id) \(m.pieces[id].piece)\n"
        }
        s += "special pieces:\n"
        s += special("unk", m.unknownID) + special("bos", m.bosID) + special("eos", m.eosID) + special("pad", m.padID)
        let controls = m.pieces.filter { $0.type == .control }.map(\.piece)
        let user = m.pieces.filter { $0.type == .userDefined }.map(\.piece)
        s += "control symbols: \(Self.list(controls))\n"
        s += "user-defined symbols: \(Self.list(user))\n"
        s += "byte fallback: \(m.byteFallback)\n"
        s += "unknown surface: \"\(m.unknownSurface)\"\n"
        s += "normalizer:\n"
        s += "  name: \(m.normalizer.name.isEmpty ? "(none)" : m.normalizer.name)\n"
        s += "  precompiled charsmap: \(m.normalizer.precompiledCharsmap.count) bytes\n"
        s += "  add dummy prefix: \(m.normalizer.addDummyPrefix)\n"
        s += "  remove extra whitespaces: \(m.normalizer.removeExtraWhitespaces)\n"
        s += "  escape whitespaces: \(m.normalizer.escapeWhitespaces)\n"
        s += "  treat whitespace as suffix: \(m.treatWhitespaceAsSuffix)\n"
        s += "denormalizer: \(m.denormalizer.map { "\($0.name) (\($0.precompiledCharsmap.count) bytes)" } ?? "none")\n"
        s += "trainer settings:\n"
        for line in m.trainerSettingsDescription.split(separator: "\n") { s += "  \(line)\n" }
        var out = OutputWriter()
        try out.write(s)
        try out.flush()
    }

    static func describe(_ t: HuggingFaceTokenizer, path: String) -> String {
        func name(_ v: Any?) -> String { v.map { String(describing: type(of: $0)) } ?? "none" }
        var s = "file: \(path)\n"
        s += "format: Hugging Face tokenizer.json\n"
        s += "model: \(t.modelDescription)\n"
        s += "vocabulary size: \(t.vocabularySize)\n"
        s += "normalizer: \(name(t.normalizer))\n"
        s += "pre-tokenizer: \(name(t.preTokenizer))\n"
        s += "post-processor: \(name(t.postProcessor))\n"
        s += "decoder: \(name(t.decoder))\n"
        let special = t.addedTokens.filter(\.special).map { "\($0.content)=\($0.id)" }
        let other = t.addedTokens.filter { !$0.special }.map { "\($0.content)=\($0.id)" }
        s += "special tokens: \(list(Array(special.prefix(30))))\(special.count > 30 ? " (+\(special.count - 30) more)" : "")\n"
        s += "other added tokens: \(list(Array(other.prefix(30))))\(other.count > 30 ? " (+\(other.count - 30) more)" : "")\n"
        return s
    }

    /// What any tokenizer tells about itself.
    static func describe(_ t: any Tokenizer, path: String) -> String {
        var s = "file: \(path)\n"
        s += "format: \(String(describing: type(of: t)))\n"
        s += "vocabulary size: \(t.vocabularySize)\n"
        let special = t.specialTokenIDs.map { "\(t.token(for: $0) ?? "?")=\($0)" }
        s += "special tokens: \(list(Array(special.prefix(30))))\(special.count > 30 ? " (+\(special.count - 30) more)" : "")\n"
        return s
    }

    static func list(_ items: [String]) -> String {
        if items.isEmpty { return "none" }
        let shown = items.prefix(20).map { "\"\($0)\"" }.joined(separator: ", ")
        return items.count > 20 ? "\(shown), … (\(items.count) in all)" : shown
    }
}
