import Foundation
import Testing
@testable import Tokki
import TokkiTestSupport

/// `tokenizer.json`'s `model.vocab` and `model.merges` are read in bulk (straight into byte
/// pools, no JSON node per entry); these tests compare that with reading them node by node,
/// on well-formed files (same model) and malformed ones (same error).
@Suite struct TokenizerJSONBulkTests {
    static func file(vocab: String, merges: String, model: String = "", pretty: Bool = false) -> String {
        let sep = pretty ? "\n      " : ""
        return """
        {"version": "1.0", "added_tokens": [], "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
         "decoder": {"type": "ByteLevel"},
         "model": {"type": "BPE", \(model)\(sep)"vocab": \(vocab),\(sep)"merges": \(merges)}}
        """
    }

    /// The outcome of loading `json` one way: the model's tokens, merges and merged ids, or
    /// the error's text.
    static func outcome(_ json: String, bulk: Bool) -> String {
        do {
            let tok = try TokenizerJSON.load(bytes: Array(json.utf8), path: "t.json", bulk: bulk)
            guard let bpe = tok.model as? BPEModel else { return "not BPE" }
            var out = "size \(bpe.vocabularySize)\n"
            for id in 0..<bpe.tokens.count where bpe.tokens.contains(id) {
                out += "\(id) \(Array(bpe.tokens.bytes(of: id)))\n"
            }
            for (rank, m) in bpe.mergeList.enumerated() {
                let found = bpe.merges.lookup(m.0, m.1)
                out += "merge \(rank) \(m.0) \(m.1) -> \(found.map { "\($0.rank) \($0.merged)" } ?? "none")\n"
            }
            out += "raw \(bpe.rawTokens?.count ?? -1)\n"
            out += "ids \(try tok.encode("ab ba abc").ids)"
            return out
        } catch {
            return "error: \(error)"
        }
    }

    static func same(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let bulk = outcome(json, bulk: true), nodes = outcome(json, bulk: false)
        #expect(bulk == nodes, "\(json)", sourceLocation: sourceLocation)
    }

    @Test func wellFormedFilesGiveTheSameModel() {
        let vocab = #"{"a": 0, "b": 1, "c": 2, "ab": 3, "ba": 4, "abc": 5, "Ġ": 6, "Ġa": 7}"#
        for pretty in [false, true] {
            Self.same(Self.file(vocab: vocab, merges: #"["a b", "b a", "ab c", "Ġ a"]"#, pretty: pretty))
            Self.same(Self.file(vocab: vocab, merges: #"[["a", "b"], ["b", "a"], ["ab", "c"], ["Ġ", "a"]]"#, pretty: pretty))
            Self.same(Self.file(vocab: vocab, merges: #"[ [ "a" , "b" ] , "b a",["ab","c"] ]"#, pretty: pretty))
        }
        // Pretty-printed as Python's json.dumps(indent=2) does.
        Self.same(Self.file(vocab: "{\n  \"a\": 0,\n  \"b\": 1,\n  \"ab\": 2\n}", merges: "[\n  [\n    \"a\",\n    \"b\"\n  ]\n]"))
        // Duplicate pairs: the first rank wins.
        Self.same(Self.file(vocab: vocab, merges: #"["a b", "b a", "a b"]"#))
        // Empty containers.
        Self.same(Self.file(vocab: "{}", merges: "[]"))
        Self.same(Self.file(vocab: #"{"a": 0}"#, merges: "[ ]"))
        // ignore_merges on a byte-level model builds the raw-byte table.
        Self.same(Self.file(vocab: vocab, merges: #"["a b"]"#, model: #""ignore_merges": true,"#))
        // A continuing-subword prefix is dropped from the right side of a merge's result.
        Self.same(Self.file(vocab: #"{"a": 0, "@@b": 1, "ab": 2, "b": 3, "@@": 4, "a@@": 5}"#, merges: #"["a @@b", "a @@"]"#,
                            model: #""continuing_subword_prefix": "@@","#))
        // Ids with gaps, in any order; ids written as 1.0 or 1e0 are integers to the reader too.
        Self.same(Self.file(vocab: #"{"b": 9, "a": 3, "ab": 1.0, "ba": 2e0}"#, merges: #"["a b"]"#))
    }

    /// Merged ids are guessed (the id after the previous merge's) and checked against the
    /// token of that id before any hash look-up. A vocabulary of 18,278 tokens whose merged ids
    /// run in merge order, then backwards, then far above all others, then with a jump:
    /// every merge resolves as node by node, on one worker and on several.
    @Test func guessedMergedIDsResolveAsLookedUp() {
        let letters = (0..<26).map { String(UnicodeScalar(UInt8(97 + $0))) }
        var merges: [(String, String)] = []
        for a in letters { for b in letters { merges.append((a, b)) } }
        for a in letters { for b in letters { for c in letters { merges.append((a + b, c)) } } }
        var vocab = letters.enumerated().map { "\"\($1)\": \($0)" }
        for (k, m) in merges.enumerated() {
            let id: Int
            switch k {
            case 1000..<1200: id = 26 + (1000 + 1199 - k)   // backwards: each guess names another token
            case 9000..<9050: id = 26 + k + 50000           // far above the rest: guesses past the last id
            case 12000...: id = 26 + k + 5000               // a jump in ids
            default: id = 26 + k
            }
            vocab.append("\"\(m.0 + m.1)\": \(id)")
        }
        let json = Self.file(vocab: "{" + vocab.joined(separator: ", ") + "}",
                             merges: "[" + merges.map { "\"\($0.0) \($0.1)\"" }.joined(separator: ", ") + "]")
        for threads in [1, 2] {
            let saved = Parallelism.threads
            Parallelism.threads = threads
            defer { Parallelism.threads = saved }
            let bulk = Self.outcome(json, bulk: true), nodes = Self.outcome(json, bulk: false)
            #expect(bulk == nodes, "threads \(threads)")
            #expect(bulk.contains("merge 1000 ") && !bulk.hasPrefix("error"), "\(bulk.prefix(300))")
        }
    }

    @Test func escapesAreReadAsInNodes() {
        let vocab = #"{"\u0061": 0, "b": 1, "a\"b": 2, "\\": 3, "a\\": 4, "\ud83d\ude00": 5, "x\/y": 6, "ab": 7, "\u00e9": 8, "\u00e9b": 9}"#
        Self.same(Self.file(vocab: vocab, merges: #"["\u0061 b", "a \"b", "a \\", ["\u00e9", "b"]]"#))
        Self.same(Self.file(vocab: vocab, merges: #"["a\u0020b"]"#))
        // Two spaces after unescaping.
        Self.same(Self.file(vocab: vocab, merges: #"["a\u0020b c"]"#))
    }

    @Test func malformedFilesGiveTheSameError() {
        let vocab = #"{"a": 0, "b": 1, "ab": 2}"#
        let cases: [(vocab: String, merges: String)] = [
            (#"{"a": 0, "b": -1}"#, "[]"),
            (#"{"a": 0, "b": 01}"#, "[]"),
            (#"{"a": 0, "b": 1.5}"#, "[]"),
            (#"{"a": 0, "b": "1"}"#, "[]"),
            (#"{"a": 0, "b": 16777216}"#, "[]"),
            (#"{"a": 0, "b": 99999999999999999999}"#, "[]"),
            (#"{"a": 0, "b": 0}"#, "[]"),
            (#"{"a": 0, "a": 1}"#, "[]"),
            (#"{"a": 0,}"#, "[]"),
            (#"{"a": 0 "b": 1}"#, "[]"),
            (#"{"a" 0}"#, "[]"),
            (#"{"\uZZZZ": 0}"#, "[]"),
            (#"{"\ud800": 0}"#, "[]"),
            (#"{"a": 0, "b": 1, "ab": 2"#, "[]"),
            (vocab, #"["a c"]"#),
            (vocab, #"["c a"]"#),
            (vocab, #"["a b", "b a"]"#),
            (vocab, #"["ab"]"#),
            (vocab, #"["a b b"]"#),
            (vocab, #"[["a"]]"#),
            (vocab, #"[["a", "b", "c"]]"#),
            (vocab, #"[["a", 1]]"#),
            (vocab, #"[1]"#),
            (vocab, #"["a b",]"#),
            (vocab, #"["a b" "a b"]"#),
            (vocab, #"["\uZZZZ b"]"#),
            (vocab, #"[["a", "\q"]]"#),
            (vocab, #"["a b""#),
            (vocab, "[\"a\tb\"]"),
            (vocab, #"["a b", ["b", "c"], "a c"]"#),
        ]
        for c in cases {
            let json = Self.file(vocab: c.vocab, merges: c.merges)
            let bulk = Self.outcome(json, bulk: true)
            #expect(bulk.hasPrefix("error: "), "\(json)")
            #expect(bulk == Self.outcome(json, bulk: false), "\(json)")
        }
        // Invalid UTF-8 inside the vocabulary is reported at its offset, as before.
        var bytes = Array(Self.file(vocab: #"{"a": 0, "b": 1}"#, merges: "[]").utf8)
        let at = bytes.firstIndex(of: UInt8(ascii: "b"))!
        bytes[at] = 0xFF
        let message = { (bulk: Bool) -> String in
            do { _ = try TokenizerJSON.load(bytes: bytes, path: nil, bulk: bulk); return "loaded" } catch { return "\(error)" }
        }
        #expect(message(true).contains("invalid UTF-8") && message(true) == message(false))
    }

    /// The published files in `.models/` load the same both ways.
    @Test(.enabled(if: Published.tokenizersFetched, "needs scripts/fetch/fetch_published_tokenizers.sh"))
    func publishedFilesGiveTheSameModel() throws {
        let models = Fixtures.packageRoot.appendingPathComponent(".models")
        for name in ["gpt2.derived.tokenizer.json", "llama2_hf.tokenizer.json"] {
            let url = models.appendingPathComponent(name)
            let bytes = try readFileBytes(url.path)
            let bulk = try TokenizerJSON.load(bytes: bytes, path: nil, bulk: true)
            let nodes = try TokenizerJSON.load(bytes: bytes, path: nil, bulk: false)
            let a = try #require(bulk.model as? BPEModel), b = try #require(nodes.model as? BPEModel)
            #expect(a.tokens.pool == b.tokens.pool && a.tokens.starts == b.tokens.starts && a.tokens.lengths == b.tokens.lengths)
            #expect(a.mergeList.elementsEqual(b.mergeList, by: ==))
            for (x, y) in a.mergeList.prefix(5000) { #expect(a.merges.lookup(x, y)! == b.merges.lookup(x, y)!) }
        }
    }
}

@Suite("TokenizerJSONKind detection")
struct TokenizerJSONKindTests {
    /// The quick key scan decides tokenizer.json and Tekken files in any key order and with
    /// strings holding braces and escapes; everything else goes through the full parse, so
    /// malformed JSON still fails with its offset.
    @Test func detectsFromTopLevelKeys() throws {
        let cases: [(String, TokenizerJSONKind)] = [
            (#"{"version": "1.0", "added_tokens": [{"content": "}{\"]"}], "model": {"type": "BPE"}}"#, .huggingFace),
            (#"{"model": {}}"#, .huggingFace),
            (#"{"model": "x", "other": 1}"#, .unknown),
            (#"{"vocab": [{"rank": 0}], "x": {"a": [1, {"b": "]"}]}, "config": {"pattern": "\\p{L}"}}"#, .tekken),
            (#"{"config": {}, "vocab": []}"#, .tekken),
            (#"{"a": 1, "b": 2}"#, .vocabulary),
            (#"{"inner": {"model": {}}}"#, .unknown),
            (#"  {"a": "b"}"#, .unknown),
        ]
        for (text, kind) in cases {
            #expect(try TokenizerJSONKind.detect(Array(text.utf8)) == kind, "\(text)")
            #expect(TokenizerJSONKind.sniff(Array(text.utf8)) == (kind == .huggingFace || kind == .tekken ? kind : nil), "\(text)")
        }
        for bad in [#"{"a": 1,"#, #"{"a" 1}"#, #"{"a": [1, 2}"#] {
            #expect(throws: TokkiError.self) { try TokenizerJSONKind.detect(Array(bad.utf8)) }
        }
    }
}
