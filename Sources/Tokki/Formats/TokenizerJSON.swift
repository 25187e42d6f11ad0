import Dispatch
import Foundation

/// Reads Hugging Face `tokenizer.json` files into typed pipeline stages. Each component's
/// `"type"` string maps to one decoding function (house rule 2); an unknown type is an error
/// naming it and its JSON path.
enum TokenizerJSON {
    /// Reads a `tokenizer.json` document. `bulk: false` reads the model's vocabulary and merges
    /// node by node, as any JSON (the tests compare both ways).
    static func load(bytes: [UInt8], path: String?, bulk: Bool = true) throws(TokkiError) -> HuggingFaceTokenizer {
        // The vocabulary is indexed on a second thread while the rest (merges) is parsed.
        let early = EarlyVocabulary()
        let document = try JSONDocument(bytes: bytes, path: path, tokenizerFields: bulk) { node, v in
            early.node = node
            early.table = Result { () throws(TokenTable.TokenTableError) in
                try TokenTable(pool: v.pool, keyStarts: v.starts, keyLengths: v.lengths, ids: v.ids)
            }
        }
        let root = document.root
        guard root.kind == .object else { throw root.error("expected an object") }
        let normalizer = try root.optional("normalizer").map { (v) throws(TokkiError) in try readNormalizer(v) }
        var byteLevel = false
        let preTokenizer = try root.optional("pre_tokenizer").map { (v) throws(TokkiError) in try readPreTokenizer(v, byteLevel: &byteLevel) }
        if let n = root.optional("normalizer"), try containsType(n, "ByteLevel", list: "normalizers") { byteLevel = true }
        let modelValue = try root.required("model")
        let model = try readModel(modelValue, byteLevel: byteLevel, path: path, early: early)
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
        return try HuggingFaceTokenizer(normalizer: normalizer, preTokenizer: preTokenizer, model: model, byteLevel: byteLevel,
                                        postProcessor: post, decoder: decoder, addedTokens: added, path: path,
                                        truncation: truncation, padding: padding)
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

    static func pattern(_ v: JSONValue) throws(TokkiError) -> Replace.Pattern {
        if let s = v.optional("String") { return .string(try s.string()) }
        if let r = v.optional("Regex") { return .regex(try r.string()) }
        throw v.error("expected {\"String\": …} or {\"Regex\": …}")
    }

    // MARK: Normalizers

    static func readNormalizer(_ v: JSONValue) throws(TokkiError) -> any Normalizer {
        let t = try type(v)
        switch t {
        case "NFC": return try CharacterAlignedNormalizer(.nfc)
        case "NFD": return try CharacterAlignedNormalizer(.nfd)
        case "NFKC": return try CharacterAlignedNormalizer(.nfkc)
        case "NFKD": return try CharacterAlignedNormalizer(.nfkd)
        case "Lowercase": return Lowercase()
        case "StripAccents": return StripAccents()
        case "Strip":
            return Strip(left: try v.optional("strip_left")?.bool() ?? true, right: try v.optional("strip_right")?.bool() ?? true)
        case "Prepend": return Prepend(try v.required("prepend").string())
        case "Replace":
            return try Replace(try pattern(try v.required("pattern")), content: try v.required("content").string())
        case "BertNormalizer":
            return try BertNormalizer(cleanText: try v.optional("clean_text")?.bool() ?? true,
                                      handleChineseCharacters: try v.optional("handle_chinese_chars")?.bool() ?? true,
                                      stripAccents: try v.optional("strip_accents")?.bool(),
                                      lowercase: try v.optional("lowercase")?.bool() ?? true)
        case "ByteLevel": return NormalizerSequence([])
        case "Precompiled":
            let field = try v.required("precompiled_charsmap")
            if field.isNull { return NormalizerSequence([]) }
            let b64 = try field.stringBytes()
            if b64.isEmpty { return NormalizerSequence([]) }
            guard let blob = TiktokenRanks.base64Decode(b64[...]) else { throw field.error("invalid base64") }
            do { return HFPrecompiledNormalizer(try PrecompiledCharsmap(blob)) } catch { throw field.error(error.description) }
        case "Sequence":
            var stages: [any Normalizer] = []
            for item in try v.required("normalizers").array() { stages.append(try readNormalizer(item)) }
            return NormalizerSequence(stages)
        default: throw unsupported(v, "normalizer", t)
        }
    }

    // MARK: Pre-tokenizers

    static func behavior(_ v: JSONValue?, default d: SplitBehavior) throws(TokkiError) -> SplitBehavior {
        guard let v else { return d }
        switch try v.string() {
        case "Removed": return .removed
        case "Isolated": return .isolated
        case "MergedWithPrevious": return .mergedWithPrevious
        case "MergedWithNext": return .mergedWithNext
        case "Contiguous": return .contiguous
        case let other: throw v.error("unknown split behavior '\(other)'")
        }
    }

    static let punctuation = PretokenizationPattern.bertPunctuation

    static func readPreTokenizer(_ v: JSONValue, byteLevel: inout Bool) throws(TokkiError) -> any PreTokenizationStage {
        let t = try type(v)
        switch t {
        case "ByteLevel":
            byteLevel = true
            return try ByteLevel(addPrefixSpace: try v.optional("add_prefix_space")?.bool() ?? true,
                                 useRegex: try v.optional("use_regex")?.bool() ?? true,
                                 trimOffsets: try v.optional("trim_offsets")?.bool() ?? true)
        case "Split":
            let regex: String
            switch try pattern(try v.required("pattern")) {
            case .string(let s): regex = "\\Q" + s.replacingAll("\\E", with: "\\E\\\\E\\Q") + "\\E"
            case .regex(let r): regex = r
            }
            do {
                return SplittingStage(try RegexSplit(pattern: regex, behavior: try behavior(v.required("behavior"), default: .isolated),
                                                     invert: try v.optional("invert")?.bool() ?? false, dialect: .oniguruma))
            } catch { throw v.error(error.description) }
        case "Metaspace":
            let replacement = try v.optional("replacement")?.string() ?? "▁"
            guard replacement.unicodeScalars.count == 1 else { throw v.error("Metaspace replacement must be one character") }
            let scheme = try prependScheme(v)
            return Metaspace(replacement: replacement, prependScheme: scheme, split: try v.optional("split")?.bool() ?? true)
        case "Whitespace":
            return SplittingStage(try RegexSplit(pattern: #"\w+|[^\w\p{White_Space}]+"#, behavior: .removed, invert: true))
        case "WhitespaceSplit":
            return SplittingStage(try RegexSplit(pattern: #"\p{White_Space}"#, behavior: .removed))
        case "Punctuation":
            return SplittingStage(try RegexSplit(pattern: punctuation, behavior: try behavior(v.optional("behavior"), default: .isolated)))
        case "Digits":
            let individual = try v.optional("individual_digits")?.bool() ?? false
            return SplittingStage(try RegexSplit(pattern: #"\p{N}"#, behavior: individual ? .isolated : .contiguous))
        case "BertPreTokenizer":
            return PreTokenizationSequence([
                SplittingStage(try RegexSplit(pattern: #"\p{White_Space}"#, behavior: .removed)),
                SplittingStage(try RegexSplit(pattern: punctuation, behavior: .isolated)),
            ])
        case "UnicodeScripts":
            return SplittingStage(UnicodeScripts())
        case "CharDelimiterSplit":
            let d = try v.required("delimiter").string()
            return SplittingStage(try RegexSplit(pattern: "\\Q" + d + "\\E", behavior: .removed))
        case "Sequence":
            var stages: [any PreTokenizationStage] = []
            for item in try v.required("pretokenizers").array() { stages.append(try readPreTokenizer(item, byteLevel: &byteLevel)) }
            return PreTokenizationSequence(stages)
        default: throw unsupported(v, "pre-tokenizer", t)
        }
    }

    /// Metaspace's `prepend_scheme` (or the older `add_prefix_space`).
    static func prependScheme(_ v: JSONValue) throws(TokkiError) -> Metaspace.PrependScheme {
        if let s = v.optional("prepend_scheme") {
            guard let p = Metaspace.PrependScheme(rawValue: try s.string()) else { throw s.error("unknown prepend_scheme") }
            return p
        }
        if let a = v.optional("add_prefix_space"), try !a.bool() { return .never }
        return .always
    }

    // MARK: Models

    /// Ids above this are refused (a vocabulary of 16M tokens is far beyond any real one, and
    /// tables are sized by the highest id).
    static let maxID = 1 << 24

    /// A vocabulary indexed while the rest of the document was parsed (see
    /// ``JSONDocument/init(bytes:path:tokenizerFields:whileParsing:)``). Written by one thread
    /// before the parse returns, read after.
    final class EarlyVocabulary: @unchecked Sendable {
        var node = -1
        var table: Result<TokenTable, TokenTable.TokenTableError>?
    }

    static func vocabularyObject(_ v: JSONValue, path: String?, early: EarlyVocabulary? = nil) throws(TokkiError) -> TokenTable {
        let doc = v.document
        if let early, early.node == v.index, let table = early.table {
            do { return try table.get() } catch { throw v.error(error.message) }
        }
        if let bulk = doc.bulkVocabularies[v.index] {
            do { return try TokenTable(pool: bulk.pool, keyStarts: bulk.starts, keyLengths: bulk.lengths, ids: bulk.ids) } catch {
                throw v.error(error.message)
            }
        }
        let members = try v.memberIndices()
        var pool: [UInt8] = []
        pool.reserveCapacity(members.count * 8)
        var starts: [Int32] = [], lengths: [Int32] = [], ids: [Int32] = []
        starts.reserveCapacity(members.count); lengths.reserveCapacity(members.count); ids.reserveCapacity(members.count)
        for m in members {
            guard doc.nodes[m.value].kind == .number, let id = doc.integer(m.value), id >= 0, id < maxID else {
                throw v.error("the id of '\(try doc.string(m.key))' is not an integer in 0..<\(maxID)")
            }
            let start = pool.count
            try doc.appendStringBytes(m.key, to: &pool)
            starts.append(Int32(start)); lengths.append(Int32(pool.count - start)); ids.append(Int32(id))
        }
        do { return try TokenTable(pool: pool, keyStarts: starts, keyLengths: lengths, ids: ids) } catch { throw v.error(error.message) }
    }

    /// The merges of a `merges` array read node by node, as (left, right) ids; throws naming the
    /// first malformed merge or unknown token.
    static func mergePairs(_ mergesValue: JSONValue, tokens: TokenTable, path: String?) throws(TokkiError) -> [(Int32, Int32)] {
        let doc = mergesValue.document
        let elements = try mergesValue.elementIndices()
        var merges = [(Int32, Int32)](repeating: (-1, -1), count: elements.count)
        // Problems found per chunk (merge index, message); the first one is reported.
        let chunks = 4
        var problems = [(Int, String)?](repeating: nil, count: chunks)
        let chunkSize = (elements.count + chunks - 1) / max(1, chunks)
        merges.withUnsafeMutableBufferPointer { out in
            problems.withUnsafeMutableBufferPointer { bad in
                nonisolated(unsafe) let out = out, bad = bad
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    let lo = c * chunkSize, hi = min(elements.count, lo + chunkSize)
                    guard lo < hi else { return }
                    var a: [UInt8] = [], b: [UInt8] = [], joined: [UInt8] = []
                    for k in lo..<hi {
                        let e = elements[k]
                        a.removeAll(keepingCapacity: true); b.removeAll(keepingCapacity: true)
                        do throws(TokkiError) {
                            switch doc.nodes[e].kind {
                            case .string:
                                joined.removeAll(keepingCapacity: true)
                                try doc.appendStringBytes(e, to: &joined)
                                guard let space = joined.firstIndex(of: 0x20), !joined[(space + 1)...].contains(0x20) else {
                                    bad[c] = (k, "merge \(k) '\(String(decoding: joined, as: UTF8.self))' is not two tokens separated by a space"); return
                                }
                                a.append(contentsOf: joined[..<space]); b.append(contentsOf: joined[(space + 1)...])
                            case .array:
                                guard doc.nodes[e].count == 2, doc.nodes[e + 1].kind == .string,
                                      doc.nodes[Int(doc.nodes[e + 1].next)].kind == .string else {
                                    bad[c] = (k, "merge \(k) is not a pair of strings"); return
                                }
                                try doc.appendStringBytes(e + 1, to: &a)
                                try doc.appendStringBytes(Int(doc.nodes[e + 1].next), to: &b)
                            default:
                                bad[c] = (k, "merge \(k) is neither \"a b\" nor [\"a\", \"b\"]"); return
                            }
                        } catch {
                            bad[c] = (k, "merge \(k): \(error.description)"); return
                        }
                        guard let ia = tokens.id(a), let ib = tokens.id(b) else {
                            let missing = tokens.id(a) == nil ? a : b
                            bad[c] = (k, "merge '\(String(decoding: a, as: UTF8.self)) \(String(decoding: b, as: UTF8.self))' names '\(String(decoding: missing, as: UTF8.self))', which is not in the vocabulary")
                            return
                        }
                        out[k] = (ia, ib)
                    }
                }
            }
        }
        if let (k, message) = problems.compactMap({ $0 }).min(by: { $0.0 < $1.0 }) {
            throw .invalidModel(path: path, problem: "$.model.merges[\(k)]: \(message)")
        }
        return merges
    }

    /// Resolves merges read in bulk to (left, right) ids and the ids of their concatenations
    /// (right side without `prefix` when it starts with it; -1 when the concatenation is not a
    /// token, which ``BPEModel`` reports). Throws naming the first merge with an unknown token.
    static func resolveMerges(_ m: JSONDocument.BulkMerges, tokens: TokenTable, prefix: [UInt8], path: String?) throws(TokkiError)
        -> (pairs: [(Int32, Int32)], merged: [Int32]) {
        let count = m.count
        var pairs = [(Int32, Int32)](repeating: (-1, -1), count: count)
        var merged = [Int32](repeating: -1, count: count)
        let workers = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount, count / 4096))
        let chunk = (count + workers - 1) / workers
        // The first merge with an unknown token, per chunk.
        var firstBad = [Int](repeating: Int.max, count: workers)
        m.pool.withUnsafeBufferPointer { pool in
            m.starts.withUnsafeBufferPointer { starts in
                m.splits.withUnsafeBufferPointer { splits in
                    pairs.withUnsafeMutableBufferPointer { pairsOut in
                        merged.withUnsafeMutableBufferPointer { mergedOut in
                            firstBad.withUnsafeMutableBufferPointer { bad in
                                tokens.withUnsafeLookup { lookup in
                                    nonisolated(unsafe) let pairsOut = pairsOut, mergedOut = mergedOut, bad = bad
                                    nonisolated(unsafe) let pool = pool, starts = starts, splits = splits
                                    DispatchQueue.concurrentPerform(iterations: workers) { w in
                                        guard let base = pool.baseAddress else { return }
                                        // Batches of merges: left, right and joined keys looked up together.
                                        let batch = 16
                                        var keys = [UnsafeByteStringLookup.BatchKey](repeating: .init(start: 0, length: 0), count: 3 * batch)
                                        var found = [Int32](repeating: -1, count: 3 * batch)
                                        var joined: [UInt8] = []
                                        var lo = w * chunk
                                        let hi = min(count, (w + 1) * chunk)
                                        while lo < hi {
                                            let m = min(batch, hi - lo)
                                            for j in 0..<m {
                                                let s = starts[lo + j], split = splits[lo + j], e = starts[lo + j + 1]
                                                keys[3 * j] = .init(start: s, length: split - s)
                                                keys[3 * j + 1] = .init(start: split, length: e - split)
                                                keys[3 * j + 2] = .init(start: s, length: e - s)
                                            }
                                            keys.withUnsafeMutableBufferPointer { k in
                                                found.withUnsafeMutableBufferPointer { f in
                                                    if let out = f.baseAddress {
                                                        lookup.values(UnsafeMutableBufferPointer(rebasing: k[0..<(3 * m)]), base: base, into: out)
                                                    }
                                                }
                                            }
                                            for j in 0..<m {
                                                let k = lo + j
                                                let a = found[3 * j], b = found[3 * j + 1]
                                                guard a >= 0 && b >= 0 else {
                                                    bad[w] = k
                                                    return
                                                }
                                                pairsOut[k] = (a, b)
                                                let s = Int(starts[k]), split = Int(splits[k]), e = Int(starts[k + 1])
                                                if prefix.isEmpty || e - split < prefix.count || memcmp(base + split, prefix, prefix.count) != 0 {
                                                    mergedOut[k] = found[3 * j + 2]
                                                } else {
                                                    joined.removeAll(keepingCapacity: true)
                                                    joined.append(contentsOf: UnsafeBufferPointer(start: base + s, count: split - s))
                                                    joined.append(contentsOf: UnsafeBufferPointer(start: base + split + prefix.count,
                                                                                                  count: e - split - prefix.count))
                                                    mergedOut[k] = joined.withUnsafeBufferPointer { j in
                                                        withUnsafePointer(to: UInt8(0)) { zero in lookup.value(j.baseAddress ?? zero, j.count) }
                                                    } ?? -1
                                                }
                                            }
                                            lo += m
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if let k = firstBad.min(), k < count {
            let s = Int(m.starts[k]), split = Int(m.splits[k]), e = Int(m.starts[k + 1])
            let a = Array(m.pool[s..<split]), b = Array(m.pool[split..<e])
            let missing = tokens.id(a) == nil ? a : b
            throw .invalidModel(path: path, problem: "$.model.merges[\(k)]: merge '\(String(decoding: a, as: UTF8.self)) \(String(decoding: b, as: UTF8.self))' names '\(String(decoding: missing, as: UTF8.self))', which is not in the vocabulary")
        }
        return (pairs, merged)
    }

    static func readModel(_ v: JSONValue, byteLevel: Bool, path: String?, early: EarlyVocabulary? = nil) throws(TokkiError) -> any PieceModel {
        var t = try v.optional("type")?.string()
        if t == nil {
            if v["merges"] != nil { t = "BPE" } else if v.optional("vocab")?.kind == .array { t = "Unigram" } else if v["max_input_chars_per_word"] != nil { t = "WordPiece" } else { t = "WordLevel" }
        }
        switch t! {
        case "BPE":
            let tokens = try vocabularyObject(try v.required("vocab"), path: path, early: early)
            let mergesValue = try v.required("merges")
            let doc = v.document
            var merges: [(Int32, Int32)]
            var mergedIDs: [Int32]? = nil
            if let bulk = doc.bulkMerges[mergesValue.index] {
                // A malformed prefix is reported with the other options below.
                let prefix = Array(((try? v.optional("continuing_subword_prefix")?.string()) ?? "").utf8)
                (merges, mergedIDs) = try resolveMerges(bulk, tokens: tokens, prefix: prefix, path: path)
            } else {
                merges = try mergePairs(mergesValue, tokens: tokens, path: path)
            }
            let options = BPEModel.Options(
                dropout: try v.optional("dropout")?.double(), unknownToken: try v.optional("unk_token")?.string(),
                continuingSubwordPrefix: try v.optional("continuing_subword_prefix")?.string(),
                endOfWordSuffix: try v.optional("end_of_word_suffix")?.string(),
                fuseUnknown: try v.optional("fuse_unk")?.bool() ?? false, byteFallback: try v.optional("byte_fallback")?.bool() ?? false,
                ignoreMerges: try v.optional("ignore_merges")?.bool() ?? false)
            return try BPEModel(tokens: tokens, merges: merges, mergedIDs: mergedIDs, options: options, byteLevel: byteLevel, path: path)
        case "Unigram":
            let vocab = try v.required("vocab")
            let doc = v.document
            var tokens: [(bytes: ArraySlice<UInt8>, id: Int)] = []
            var scores: [Double] = []
            for (k, e) in try vocab.elementIndices().enumerated() {
                let pair = try vocab.value(at: e, path: "\(vocab.path)[\(k)]").elementIndices()
                guard pair.count == 2, doc.nodes[pair[0]].kind == .string, doc.nodes[pair[1]].kind == .number else {
                    throw vocab.error("entry \(k) is not [piece, score]")
                }
                tokens.append((ArraySlice(try doc.stringBytes(pair[0])), k))
                scores.append(doc.double(pair[1]))
            }
            let table: TokenTable
            do { table = try TokenTable(tokens: tokens) } catch { throw vocab.error(error.message) }
            return try HFUnigramModel(tokens: table, scores: scores, unknownID: try v.optional("unk_id")?.int(),
                                      byteFallback: try v.optional("byte_fallback")?.bool() ?? false, path: path)
        case "WordPiece":
            return try WordPieceModel(tokens: try vocabularyObject(try v.required("vocab"), path: path, early: early),
                                      unknownToken: try v.optional("unk_token")?.string() ?? "[UNK]",
                                      continuingSubwordPrefix: try v.optional("continuing_subword_prefix")?.string() ?? "##",
                                      maxInputCharactersPerWord: try v.optional("max_input_chars_per_word")?.int() ?? 100, path: path)
        case "WordLevel":
            return try WordLevelModel(tokens: try vocabularyObject(try v.required("vocab"), path: path, early: early),
                                      unknownToken: try v.optional("unk_token")?.string(), path: path)
        case let other:
            throw unsupported(v, "model", other)
        }
    }

    // MARK: Post-processors

    static func readPostProcessor(_ v: JSONValue, tokenID: (String, JSONValue) throws(TokkiError) -> Int) throws(TokkiError) -> any PostProcessor {
        let t = try type(v)
        func tokenPair(_ key: StaticString) throws(TokkiError) -> (id: Int, token: String) {
            let pair = try v.required(key).array()
            guard pair.count == 2 else { throw v.error("\(key) must be [token, id]") }
            return (try pair[1].int(), try pair[0].string())
        }
        switch t {
        case "TemplateProcessing":
            func template(_ key: StaticString) throws(TokkiError) -> [TemplateProcessing.Piece] {
                var out: [TemplateProcessing.Piece] = []
                for item in try v.required(key).array() {
                    if let s = item.optional("Sequence") {
                        let id = try s.required("id").string()
                        guard id == "A" || id == "B" else { throw s.error("sequence id must be A or B") }
                        out.append(.sequence(first: id == "A", typeID: try s.optional("type_id")?.int() ?? 0))
                    } else if let s = item.optional("SpecialToken") {
                        out.append(.special(try s.required("id").string(), typeID: try s.optional("type_id")?.int() ?? 0))
                    } else {
                        throw item.error("expected Sequence or SpecialToken")
                    }
                }
                return out
            }
            var specials: [String: [(id: Int, token: String)]] = [:]
            if let s = v.optional("special_tokens") {
                for m in try s.memberIndices() {
                    let name = try s.document.string(m.key)
                    let entry = s.value(at: m.value, path: "\(s.path).\(name)")
                    let ids = try entry.required("ids").array()
                    let tokens = try entry.required("tokens").array()
                    guard ids.count == tokens.count else { throw entry.error("ids and tokens differ in length") }
                    var list: [(id: Int, token: String)] = []
                    for (i, tok) in zip(ids, tokens) { list.append((try i.int(), try tok.string())) }
                    specials[name] = list
                }
            }
            do {
                return try TemplateProcessing(single: try template("single"), pair: try template("pair"), specialTokens: specials)
            } catch { throw v.error(error.description) }
        case "BertProcessing":
            let sep = try tokenPair("sep"), cls = try tokenPair("cls")
            return BertProcessing(sep: sep, cls: cls)
        case "RobertaProcessing":
            return RobertaProcessing(sep: try tokenPair("sep"), cls: try tokenPair("cls"),
                                     trimOffsets: try v.optional("trim_offsets")?.bool() ?? true,
                                     addPrefixSpace: try v.optional("add_prefix_space")?.bool() ?? true)
        case "ByteLevel":
            return ByteLevelPostProcessor(trimOffsets: try v.optional("trim_offsets")?.bool() ?? true,
                                          addPrefixSpace: try v.optional("add_prefix_space")?.bool() ?? true)
        case "Sequence":
            var stages: [any PostProcessor] = []
            for item in try v.required("processors").array() { stages.append(try readPostProcessor(item, tokenID: tokenID)) }
            return PostProcessorSequence(stages)
        default: throw unsupported(v, "post-processor", t)
        }
    }

    // MARK: Decoders

    static func scalar(_ v: JSONValue) throws(TokkiError) -> Unicode.Scalar {
        let s = try v.string()
        guard s.unicodeScalars.count == 1, let c = s.unicodeScalars.first else { throw v.error("expected one character") }
        return c
    }

    static func readDecoder(_ v: JSONValue) throws(TokkiError) -> any TokenDecoder {
        let t = try type(v)
        switch t {
        case "ByteLevel": return ByteLevelDecoder()
        case "Metaspace":
            let scheme = try prependScheme(v)
            return MetaspaceDecoder(replacement: try v.optional("replacement").map { (r) throws(TokkiError) in try scalar(r) } ?? "▁",
                                    prependScheme: scheme)
        case "WordPiece":
            return WordPieceDecoder(prefix: try v.optional("prefix")?.string() ?? "##", cleanup: try v.optional("cleanup")?.bool() ?? true)
        case "BPEDecoder": return BPESuffixDecoder(suffix: try v.optional("suffix")?.string() ?? "</w>")
        case "ByteFallback": return ByteFallbackDecoder()
        case "Fuse": return FuseDecoder()
        case "Strip":
            return StripDecoder(content: try scalar(try v.required("content")), start: try v.optional("start")?.int() ?? 0,
                                stop: try v.optional("stop")?.int() ?? 0)
        case "Replace":
            return try ReplaceDecoder(try pattern(try v.required("pattern")), content: try v.required("content").string())
        case "CTC":
            return CTCDecoder(padToken: try v.optional("pad_token")?.string() ?? "<pad>",
                              wordDelimiterToken: try v.optional("word_delimiter_token")?.string() ?? "|",
                              cleanup: try v.optional("cleanup")?.bool() ?? true)
        case "Sequence":
            var stages: [any TokenDecoder] = []
            for item in try v.required("decoders").array() { stages.append(try readDecoder(item)) }
            return DecoderSequence(stages)
        default: throw unsupported(v, "decoder", t)
        }
    }
}

extension HuggingFaceTokenizer {
    /// Loads a `tokenizer.json` file.
    ///
    /// - Throws: ``TokkiError/io(path:reason:)`` when unreadable;
    ///   ``TokkiError/invalidModel(path:problem:)`` naming the JSON path of a malformed or
    ///   unsupported part (e.g. `$.model.merges[12]`).
    public init(contentsOf url: URL) throws(TokkiError) {
        self = try TokenizerJSON.load(bytes: try readFileBytes(url.path), path: url.path)
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
    public static func detect(_ bytes: [UInt8], path: String? = nil) throws(TokkiError) -> TokenizerJSONKind {
        let root = try JSONDocument(bytes: bytes, path: path).root
        guard root.kind == .object else { return .unknown }
        if root["model"]?.kind == .object { return .huggingFace }
        if root["config"]?.kind == .object && root["vocab"]?.kind == .array { return .tekken }
        let members = try root.memberIndices()
        if !members.isEmpty && members.allSatisfy({ root.document.nodes[$0.value].kind == .number }) { return .vocabulary }
        return .unknown
    }
}
