import Foundation

/// Reads Hugging Face `tokenizer.json` files into typed pipeline stages. Each component's
/// `"type"` string maps to one decoding function, so JSON decoding stays in `Formats/` and
/// the stages keep typed initialisers; an unknown type is an error naming it and its JSON path.
///
/// As in `tokenizers` (`normalizers/mod.rs` and its siblings), one small file per stage maps
/// the `"type"` to a variant (`TokenizerJSON+Normalizer.swift`, `+PreTokenizer`, `+Model`,
/// `+PostProcessor`, `+Decoder`), and each variant reads its own fields in an `init(json:)`
/// beside it.
enum TokenizerJSON {
    /// Reads a `tokenizer.json` document. `bulk: false` reads the model's vocabulary and merges
    /// node by node, as any JSON (the tests compare both ways).
    static func load(bytes: [UInt8], path: String?, bulk: Bool = true) throws(TokkiError) -> HuggingFaceTokenizer {
        try load(source: ReadOnlyBytes(bytes), path: path, bulk: bulk)
    }

    /// ``load(bytes:path:bulk:)`` of read-only bytes (a mapped file). With a `cache`, a
    /// BPE model's built tables are read from its image when there is one, and an image is
    /// written when there is not (see ``ModelCache``).
    /// `key`: the image's key when the caller has one (the file's, see
    /// ``ModelCache/key(forFile:)``); else the bytes' hash names it.
    static func load(source bytes: ReadOnlyBytes, path: String?, bulk: Bool = true, cache: ModelCache? = nil,
                     key fileKey: ModelCache.Key? = nil) throws(TokkiError) -> HuggingFaceTokenizer {
        guard let cache, bytes.count >= cache.minimumSize else {
            return try parse(source: bytes, path: path, bulk: bulk).tokenizer
        }
        let key = fileKey ?? cache.key(for: bytes, kind: .tokenizerJSON)
        if var image = cache.image(for: key), let tokenizer = try? loadCompiled(&image, path: path) { return tokenizer }
        let (tokenizer, skeleton) = try parse(source: bytes, path: path, bulk: bulk, wantSkeleton: true)
        if let skeleton, let bpe = tokenizer.model as? BPEModel {
            var w = ImageWriter()
            w.array(skeleton)
            bpe.writeCompiled(to: &w)
            cache.store(w, for: key, kind: .tokenizerJSON)
        }
        return tokenizer
    }

    /// A tokenizer from a cache image: the document without its model's `vocab` and `merges`
    /// (parsed as any `tokenizer.json`), then the model's built tables.
    static func loadCompiled(_ image: inout ImageReader, path: String?) throws -> HuggingFaceTokenizer {
        let skeleton = try image.array(UInt8.self)
        let compiled = try BPEModel.readCompiled(&image)
        try image.expectEnd()
        return try parse(source: ReadOnlyBytes(skeleton), path: path, bulk: false, compiled: compiled).tokenizer
    }

    /// Parses a document. `compiled`: the BPE model's tables, when `bytes` is a skeleton of
    /// an image. `wantSkeleton`: also returns the document with the model's `vocab` emptied
    /// to `{}` and its `merges` to `[]` (for a BPE model).
    static func parse(source bytes: ReadOnlyBytes, path: String?, bulk: Bool, compiled: BPEModel.Compiled? = nil,
                      wantSkeleton: Bool = false) throws(TokkiError) -> (tokenizer: HuggingFaceTokenizer, skeleton: [UInt8]?) {
        // The vocabulary is indexed on a second thread while the rest (merges) is parsed.
        let early = EarlyVocabulary()
        let document: JSONDocument
        var reader: TokenizerJSONBulkReader? = nil
        if bulk {
            let handoff = VocabularyHandoff()
            var r = TokenizerJSONBulkReader(path: path)
            r.onVocabulary = { node, vocabulary in handoff.offer(node, vocabulary) }
            document = try JSONDocument(bytes: bytes, path: path, reader: &r) {
                guard let (node, v) = handoff.take() else { return }
                early.node = node
                early.table = Result { () throws(TokenTable.TokenTableError) in
                    try TokenTable(pool: v.pool, keyStarts: v.starts, keyLengths: v.lengths, ids: v.ids)
                }
            }
            reader = r
        } else {
            document = try JSONDocument(source: bytes, path: path)
        }
        let root = document.root
        guard root.kind == .object else { throw root.error("expected an object") }
        let normalizer = try root.optional("normalizer").map { (v) throws(TokkiError) in try readNormalizer(v) }
        var byteLevel = false
        let preTokenizer = try root.optional("pre_tokenizer").map { (v) throws(TokkiError) in try readPreTokenizer(v, byteLevel: &byteLevel) }
        if let n = root.optional("normalizer"), try containsType(n, "ByteLevel", list: "normalizers") { byteLevel = true }
        let modelValue = try root.required("model")
        let model = try readModel(modelValue, byteLevel: byteLevel, path: path, bulk: reader.map { BulkFields(reader: $0, early: early) },
                                  compiled: compiled)
        var skeleton: [UInt8]? = nil
        if wantSkeleton, model is BPEModel, let vocab = modelValue.optional("vocab"), let merges = modelValue.optional("merges") {
            let cuts = [vocab, merges].map { (node: document.nodes[$0.index], empty: $0.kind == .object ? "{}" : "[]") }
                .sorted { $0.node.start < $1.node.start }
            var out: [UInt8] = []
            var at = 0
            for cut in cuts {
                out += bytes[at..<Int(cut.node.start)]
                out += Array(cut.empty.utf8)
                at = Int(cut.node.end)
            }
            out += bytes[at..<bytes.count]
            skeleton = out
        }
        var added: [AddedToken] = []
        if let list = root.optional("added_tokens") {
            for v in try list.array() {
                let id = try v.required("id").int()
                guard id >= 0 && id < maxID else { throw v.error("added token id \(id) is not in 0..<\(maxID)") }
                added.append(AddedToken(
                    id: id, content: try v.required("content").string(),
                    singleWord: try v.optional("single_word")?.bool() ?? false, leftStrip: try v.optional("lstrip")?.bool() ?? false,
                    rightStrip: try v.optional("rstrip")?.bool() ?? false, normalized: try v.optional("normalized")?.bool() ?? true,
                    special: try v.optional("special")?.bool() ?? false))
            }
        }
        let tokenID: (String, JSONValue) throws(TokkiError) -> Int = { (token, at) throws(TokkiError) in
            if let t = added.first(where: { $0.content.utf8.elementsEqual(token.utf8) }) { return t.id }
            if let id = model.id(for: Array(token.utf8)) { return id }
            throw at.error("token '\(token)' is not in the vocabulary")
        }
        let post = try root.optional("post_processor").map { (v) throws(TokkiError) in try readPostProcessor(v, tokenID: tokenID) }
        let decoder = try root.optional("decoder").map { (v) throws(TokkiError) in try readDecoder(v) }
        let truncation = try root.optional("truncation").map { (v) throws(TokkiError) in try readTruncation(v) }
        let padding = try root.optional("padding").map { (v) throws(TokkiError) in try readPadding(v) }
        let tokenizer = try HuggingFaceTokenizer(normalizer: normalizer, preTokenizer: preTokenizer, model: model, byteLevel: byteLevel,
                                                 postProcessor: post, decoder: decoder, addedTokens: added, path: path,
                                                 truncation: truncation, padding: padding)
        return (tokenizer, skeleton)
    }

    static func readTruncation(_ v: JSONValue) throws(TokkiError) -> Truncation {
        var t = Truncation(maxLength: try v.required("max_length").int(), stride: try v.optional("stride")?.int() ?? 0)
        if let s = v.optional("strategy") {
            switch try s.string() {
            case "LongestFirst": t.strategy = .longestFirst
            case "OnlyFirst": t.strategy = .onlyFirst
            case "OnlySecond": t.strategy = .onlySecond
            case let other: throw s.error("unknown truncation strategy '\(other)'")
            }
        }
        if let d = v.optional("direction") {
            switch try d.string() {
            case "Right": t.direction = .right
            case "Left": t.direction = .left
            case let other: throw d.error("unknown truncation direction '\(other)'")
            }
        }
        guard t.maxLength >= 0, t.stride >= 0 else { throw v.error("max_length and stride must not be negative") }
        return t
    }

    static func readPadding(_ v: JSONValue) throws(TokkiError) -> Padding {
        var p = Padding()
        if let s = v.optional("strategy") {
            if s.kind == .string {
                guard try s.string() == "BatchLongest" else { throw s.error("unknown padding strategy") }
            } else if let f = s.optional("Fixed") {
                let n = try f.int()
                guard n >= 0 && n < maxID else { throw f.error("padding length must be in 0..<\(maxID)") }
                p.strategy = .fixed(n)
            } else {
                throw s.error("expected \"BatchLongest\" or {\"Fixed\": n}")
            }
        }
        if let d = v.optional("direction") {
            switch try d.string() {
            case "Right": p.direction = .right
            case "Left": p.direction = .left
            case let other: throw d.error("unknown padding direction '\(other)'")
            }
        }
        p.padToMultipleOf = try v.optional("pad_to_multiple_of")?.int()
        p.padID = try v.optional("pad_id")?.int() ?? 0
        p.padTypeID = try v.optional("pad_type_id")?.int() ?? 0
        p.padToken = try v.optional("pad_token")?.string() ?? "[PAD]"
        return p
    }

    /// A component's `"type"`.
    static func type(_ v: JSONValue) throws(TokkiError) -> String {
        try v.required("type").string()
    }

    static func containsType(_ v: JSONValue, _ name: String, list: StaticString) throws(TokkiError) -> Bool {
        guard v.kind == .object else { return false }
        let t = try type(v)
        if t == name { return true }
        if t == "Sequence", let items = v.optional(list) {
            for item in try items.array() where try containsType(item, name, list: list) { return true }
        }
        return false
    }

    static func unsupported(_ v: JSONValue, _ kind: String, _ t: String) -> TokkiError {
        v.error("unsupported \(kind) type '\(t)'")
    }

    /// A `{"String": …}` or `{"Regex": …}` pattern (of `Replace` and `Split`).
    static func pattern(_ v: JSONValue) throws(TokkiError) -> Replace.Pattern {
        if let s = v.optional("String") { return .string(try s.string()) }
        if let r = v.optional("Regex") { return .regex(try r.string()) }
        throw v.error("expected {\"String\": …} or {\"Regex\": …}")
    }
}

extension HuggingFaceTokenizer {
    /// Loads a `tokenizer.json` file.
    ///
    /// - Throws: ``TokkiError/io(path:reason:)`` when unreadable;
    ///   ``TokkiError/invalidModel(path:problem:)`` naming the JSON path of a malformed or
    ///   unsupported part (e.g. `$.model.merges[12]`).
    public init(contentsOf url: URL) throws(TokkiError) {
        self = try TokenizerJSON.load(source: try mapFileBytes(url.path), path: url.path)
    }

    /// Loads a tokenizer from the bytes of a `tokenizer.json` file (`path` names it in errors).
    public init(json: [UInt8], path: String? = nil) throws(TokkiError) {
        self = try TokenizerJSON.load(bytes: json, path: path)
    }
}

/// What a JSON tokenizer file is, judged from its structure.
public enum TokenizerJSONKind: Sendable, Equatable {
    /// A Hugging Face `tokenizer.json` (an object with a `model` object).
    case huggingFace
    /// A Mistral Tekken file (`config` and `vocab`).
    case tekken
    /// A GPT-2 `vocab.json` (token → id).
    case vocabulary
    /// Something else.
    case unknown

    /// Inspects JSON bytes (throws on malformed JSON, naming the offset).
    ///
    /// A tokenizer.json or Tekken file is recognised from its top-level keys without parsing
    /// the whole file (the loader parses it anyway, and reports any syntax error then);
    /// anything else is parsed here.
    public static func detect(_ bytes: [UInt8], path: String? = nil) throws(TokkiError) -> TokenizerJSONKind {
        try detect(source: ReadOnlyBytes(bytes), path: path)
    }

    /// ``detect(_:path:)`` of read-only bytes (a mapped file).
    static func detect(source bytes: ReadOnlyBytes, path: String?) throws(TokkiError) -> TokenizerJSONKind {
        if let kind = bytes.withUnsafeBufferPointer({ sniff($0) }) { return kind }
        let root = try JSONDocument(source: bytes, path: path).root
        guard root.kind == .object else { return .unknown }
        if root["model"]?.kind == .object { return .huggingFace }
        if root["config"]?.kind == .object && root["vocab"]?.kind == .array { return .tekken }
        let members = try root.memberIndices()
        if !members.isEmpty && members.allSatisfy({ root.document.nodes[$0.value].kind == .number }) { return .vocabulary }
        return .unknown
    }

    /// `.huggingFace` once a top-level `"model"` key holds an object, `.tekken` once both
    /// `"config"` (an object) and `"vocab"` (an array) have been seen; nil when the scan
    /// cannot tell (other files, or text that is not a JSON object).
    static func sniff(_ bytes: [UInt8]) -> TokenizerJSONKind? {
        bytes.withUnsafeBufferPointer { sniff($0) }
    }

    /// ``sniff(_:)-([UInt8])`` of a buffer.
    static func sniff(_ b: UnsafeBufferPointer<UInt8>) -> TokenizerJSONKind? {
        do {
            let n = b.count
            var i = 0
            @inline(__always) func skipSpace() { while i < n && (b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09) { i += 1 } }
            /// Past the string whose opening quote is at `i`; false when it does not end.
            func skipString() -> Bool {
                i += 1
                while i < n {
                    switch b[i] {
                    case 0x22: i += 1; return true
                    case 0x5C: i += 2
                    default: i += 1
                    }
                }
                return false
            }
            skipSpace()
            guard i < n && b[i] == 0x7B else { return nil }
            i += 1
            var config = false, vocab = false
            while true {
                skipSpace()
                guard i < n && b[i] == 0x22 else { return nil }
                let keyStart = i + 1
                guard skipString() else { return nil }
                let key = UnsafeBufferPointer(rebasing: b[keyStart..<(i - 1)])
                skipSpace()
                guard i < n && b[i] == 0x3A else { return nil }
                i += 1
                skipSpace()
                guard i < n else { return nil }
                let first = b[i]
                if key.elementsEqual("model".utf8) && first == 0x7B { return .huggingFace }
                if key.elementsEqual("config".utf8) && first == 0x7B { config = true }
                if key.elementsEqual("vocab".utf8) && first == 0x5B { vocab = true }
                if config && vocab { return .tekken }
                // Skip the value.
                var depth = 0
                repeat {
                    guard i < n else { return nil }
                    switch b[i] {
                    case 0x22: guard skipString() else { return nil }
                    case 0x7B, 0x5B: depth += 1; i += 1
                    case 0x7D, 0x5D:
                        if depth == 0 { return nil }  // the object ends: no decision
                        depth -= 1; i += 1
                    case 0x2C where depth == 0: break
                    default: i += 1
                    }
                } while depth > 0 || (i < n && b[i] != 0x2C && b[i] != 0x7D)
                skipSpace()
                guard i < n && b[i] == 0x2C else { return nil }
                i += 1
            }
        }
    }
}
