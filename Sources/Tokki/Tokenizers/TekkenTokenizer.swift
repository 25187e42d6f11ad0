import Foundation

/// Mistral's Tekken tokenizer (`tekken.json`): tiktoken ranks and pattern, with the first
/// `default_num_special_tokens` ids reserved for special tokens (ordinary token ids are
/// shifted up by that count) and the vocabulary cut to `default_vocab_size` ids, exactly
/// as `mistral_common`'s `Tekkenizer`.
///
/// ```swift
/// let tekken = try TekkenTokenizer(contentsOf: URL(fileURLWithPath: "tekken.json"))
/// let ids = try tekken.encode("대한민국은 민주공화국이다.")
/// ```
public struct TekkenTokenizer: Sendable {
    /// The ordinary tokens (ids before the shift).
    public let inner: TiktokenTokenizer
    /// Special token strings by id (`<unk>`, `<s>`, `</s>`, …, `<SPECIAL_999>`).
    public let specialTokens: [String]
    /// The format version (`v3`, `v7`, …).
    public let version: String

    /// The number of ids.
    public var vocabularySize: Int { specialTokens.count + inner.ranks.count }
    /// The beginning-of-sequence id.
    public var bosID: Int? { specialTokens.firstIndex(of: "<s>") }
    /// The end-of-sequence id.
    public var eosID: Int? { specialTokens.firstIndex(of: "</s>") }

    /// The special tokens of files that do not list theirs (versions up to v7).
    static let legacySpecialTokens = ["<unk>", "<s>", "</s>", "[INST]", "[/INST]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]",
                                      "[TOOL_RESULTS]", "[/TOOL_RESULTS]", "[TOOL_CALLS]", "[IMG]", "<pad>", "[IMG_BREAK]",
                                      "[IMG_END]", "[PREFIX]", "[MIDDLE]", "[SUFFIX]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]",
                                      "[TOOL_CONTENT]"]

    /// Loads a Tekken file.
    public init(contentsOf url: URL) throws(TokkiError) {
        // Parsed from a mapping of the file (not copied into fresh memory first).
        try self.init(source: try mapFileBytes(url.path), path: url.path)
    }

    /// Parses the bytes of a Tekken file.
    public init(json: [UInt8], path: String? = nil) throws(TokkiError) {
        try self.init(source: ReadOnlyBytes(json), path: path)
    }

    /// ``init(json:path:)`` of read-only bytes (a mapped file).
    init(source json: ReadOnlyBytes, path: String?) throws(TokkiError) {
        let doc = try JSONDocument(source: json, path: path)
        let root = doc.root
        let config = try root.required("config")
        let pattern = try config.required("pattern").string()
        let vocabSize = try config.required("default_vocab_size").int()
        let specialCount = try config.required("default_num_special_tokens").int()
        guard specialCount >= 0 && specialCount < 1 << 20, vocabSize >= 0 && vocabSize < 1 << 24 else {
            throw config.error("default_num_special_tokens or default_vocab_size is out of range")
        }
        version = try config.optional("version")?.string() ?? "v3"
        var specials: [String] = []
        if let list = root.optional("special_tokens") {
            for (k, item) in try list.array().enumerated() {
                guard try item.required("rank").int() == k else { throw item.error("special token ranks must be 0, 1, 2, …") }
                specials.append(try item.required("token_str").string())
            }
        } else {
            specials = Self.legacySpecialTokens
        }
        guard specials.count <= specialCount else {
            throw config.error("\(specials.count) special tokens listed but default_num_special_tokens is \(specialCount)")
        }
        for k in specials.count..<specialCount { specials.append("<SPECIAL_\(k)>") }
        specialTokens = specials
        let inner = vocabSize - specialCount
        let vocab = try root.required("vocab")
        let items = try vocab.elementIndices()
        guard inner > 0, items.count >= inner else {
            throw config.error("default_vocab_size \(vocabSize) needs \(inner) ordinary tokens; the file has \(items.count)")
        }
        // The vocabulary is read from the document's nodes directly (no value, path or array
        // per item: 150,000 items); an item that is not as expected is reported through a
        // JSONValue, with its path.
        let nodes = doc.nodes
        var pool: [UInt8] = []
        pool.reserveCapacity(inner * 8)
        var starts: [Int32] = [], lengths: [Int32] = [], ids: [Int32] = []
        starts.reserveCapacity(inner); lengths.reserveCapacity(inner); ids.reserveCapacity(inner)
        for k in 0..<inner {
            let itemIndex = items[k]
            func item() -> JSONValue { vocab.value(at: itemIndex, path: "\(vocab.path)[\(k)]") }
            guard nodes[itemIndex].kind == .object else { throw item().error("expected an object") }
            var rankNode = -1, bytesNode = -1
            var c = itemIndex + 1
            for _ in 0..<(Int(nodes[itemIndex].count) / 2) {
                if rankNode < 0 && doc.stringEquals(c, "rank") { rankNode = c + 1 }
                else if bytesNode < 0 && doc.stringEquals(c, "token_bytes") { bytesNode = c + 1 }
                c = Int(nodes[c + 1].next)
            }
            guard rankNode >= 0, nodes[rankNode].kind == .number, doc.integer(rankNode) == k else {
                throw rankNode < 0 ? item().error("missing field 'rank'") : item().error("rank must be \(k)")
            }
            guard bytesNode >= 0, nodes[bytesNode].kind == .string else {
                _ = try item().required("token_bytes").stringBytes()
                throw item().error("missing field 'token_bytes'")
            }
            let start = pool.count
            let node = nodes[bytesNode]
            let decoded: Bool
            if node.escaped {
                let text = try doc.stringBytes(bytesNode)
                decoded = text.withUnsafeBufferPointer { t in
                    withUnsafePointer(to: UInt8(0)) { zero in Base64.decode(t.baseAddress ?? zero, t.count, appendingTo: &pool) }
                }
            } else {
                decoded = doc.bytes.withUnsafeBufferPointer { b in
                    Base64.decode(b.baseAddress! + Int(node.start), Int(node.end - node.start), appendingTo: &pool)
                }
            }
            guard decoded else { throw item().error("invalid base64 in token_bytes") }
            starts.append(Int32(start)); lengths.append(Int32(pool.count - start)); ids.append(Int32(k))
        }
        let table: TokenTable
        do {
            table = try TokenTable(pool: pool, keyStarts: starts, keyLengths: lengths, ids: ids)
        } catch {
            throw TiktokenRanks.tableError(error, path: path)
        }
        let ranks = try TiktokenRanks(table: table, path: path)
        self.inner = try TiktokenTokenizer(ranks: ranks, pattern: pattern)
    }

    /// Encodes text (special-token text is ordinary text), optionally adding BOS/EOS.
    public func encode(_ text: String, addBOS: Bool = false, addEOS: Bool = false) throws(TokkiError) -> [Int] {
        var ids = try inner.encodeOrdinary(text).map { $0 + specialTokens.count }
        if addBOS, let bos = bosID { ids.insert(bos, at: 0) }
        if addEOS, let eos = eosID { ids.append(eos) }
        return ids
    }

    /// Decodes ids; special tokens are skipped unless `skipSpecialTokens` is false.
    ///
    /// - Throws: ``TokkiError/invalidID(_:vocabularySize:)`` for an id out of range.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) throws(TokkiError) -> String {
        var out = ""
        var run: [Int] = []
        let n = specialTokens.count
        for id in ids {
            guard id >= 0 && id < vocabularySize else { throw .invalidID(id, vocabularySize: vocabularySize) }
            if id < n {
                if !run.isEmpty { out += try inner.decode(run); run.removeAll() }
                if !skipSpecialTokens { out += specialTokens[id] }
            } else {
                run.append(id - n)
            }
        }
        if !run.isEmpty { out += try inner.decode(run) }
        return out
    }
}
