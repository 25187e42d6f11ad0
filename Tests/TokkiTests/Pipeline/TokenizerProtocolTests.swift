import Foundation
import Testing
@testable import Tokki
import TokkiTestSupport

/// The one `Tokenizer` protocol and `loadTokenizer(at:)`: every format loads through the same
/// function, and the protocol's paths agree with each other and with the concrete types.
@Suite struct TokenizerProtocolTests {
    static let texts = ["「민법」 제3조제1항에 따라 권리능력은 사람이 생존한 동안 있다.", "", "  대한민국은 민주공화국이다.  ",
                        "Hello, world! 123 ㈜ 한국", "줄\t바꿈\n두 줄", "😀 emoji 가나다"]

    static let committed: [(path: String, type: Any.Type)] = [
        (Fixtures.url("sentencepiece/unigram_nfkc_bf.model").path, SentencePieceTokenizer.self),
        (Fixtures.url("sentencepiece/bpe_identity.model").path, SentencePieceTokenizer.self),
        (Fixtures.url("hf/bytelevel_bpe.json").path, HuggingFaceTokenizer.self),
        (Fixtures.url("hf/wordpiece_bert.json").path, HuggingFaceTokenizer.self),
        (Fixtures.url("hf/unigram.json").path, HuggingFaceTokenizer.self),
    ]

    /// The ids of one text through every path of the protocol: `encode`, `encodeIDs` with a
    /// scratch, a reused `TokenIDEncoder`, and the batch functions on 1 and 3 threads.
    func checkPathsAgree(_ tokenizer: any Tokenizer, options: EncodeOptions = EncodeOptions()) throws {
        let encoder = tokenizer.makeIDEncoder(options: options)
        var expected: [[Int]] = []
        for text in Self.texts {
            let e = try tokenizer.encode(text, options: options)
            #expect(e.ids.count == e.pieces.count && e.ids.count == e.offsets.count, "\(text)")
            #expect(try tokenizer.encodeIDs(text, options: options) == e.ids, "\(text)")
            try encoder.encode(Array(text.utf8))
            #expect(encoder.ids.map(Int.init) == e.ids, "\(text)")
            let viaBytes = try Array(text.utf8).withUnsafeBufferPointer { (b) throws(TokkiError) in try tokenizer.encode(bytes: b, options: options) }
            #expect(viaBytes.ids == e.ids)
            for id in e.ids { #expect(id >= 0 && id < tokenizer.vocabularySize) }
            expected.append(e.ids)
        }
        for threads in [1, 3] {
            #expect(try tokenizer.encodeIDsBatch(Self.texts, options: options, threads: threads) == expected)
            #expect(try tokenizer.encodeBatch(Self.texts, options: options, threads: threads).map(\.ids) == expected)
        }
    }

    @Test func everyCommittedFormatLoadsThroughOneFunction() throws {
        for (path, type) in Self.committed {
            let tokenizer = try loadTokenizer(at: path)
            #expect(Swift.type(of: tokenizer) == type, "\(path)")
            try checkPathsAgree(tokenizer)
        }
    }

    @Test func protocolPathsMatchTheConcreteTypes() throws {
        let spPath = Fixtures.url("sentencepiece/unigram_nfkc_bf.model").path
        let sp = try SentencePieceTokenizer(contentsOf: URL(fileURLWithPath: spPath))
        let anySP = try loadTokenizer(at: spPath)
        for text in Self.texts {
            #expect(try anySP.encodeIDs(text, options: EncodeOptions(addSpecialTokens: true)) == sp.encodeIDs(text, addBOS: true, addEOS: true))
            #expect(try anySP.encodeIDs(text, options: EncodeOptions(addEOS: true)) == sp.encodeIDs(text, addEOS: true))
            #expect(try anySP.decode(sp.encodeIDs(text), skipSpecialTokens: true) == (try sp.decode(sp.encodeIDs(text))))
        }
        #expect(anySP.specialTokenRoles == SpecialTokenRoles(bos: sp.bosID, eos: sp.eosID, pad: sp.padID, unknown: sp.unknownID))
        #expect(anySP.acceptsMalformedUTF8 && anySP.specialTokenPolicy == .bosEOS)

        let hfPath = Fixtures.url("hf/wordpiece_bert.json").path
        let hf = try HuggingFaceTokenizer(contentsOf: URL(fileURLWithPath: hfPath))
        let anyHF = try loadTokenizer(at: hfPath)
        for text in Self.texts {
            #expect(try anyHF.encode(text, options: EncodeOptions(addSpecialTokens: true)) == (try hf.encode(text, addSpecialTokens: true)))
            #expect(try anyHF.encode(text, options: EncodeOptions()) == (try hf.encode(text, addSpecialTokens: false)))
        }
        #expect(anyHF.continuingSubwordPrefix == "##")
        #expect(anyHF.specialTokenPolicy == .postProcessor && !anyHF.acceptsMalformedUTF8)
        #expect(Set(anyHF.specialTokenIDs) == Set(hf.addedTokens.filter(\.special).map(\.id)))
        try checkPathsAgree(anyHF, options: EncodeOptions(addSpecialTokens: true))
    }

    @Test func tiktokenThroughTheProtocol() throws {
        let path = Fixtures.url("tiktoken/korean-sample.tiktoken").path
        // The file name names no pattern: without one the loader refuses to guess.
        #expect(throws: TokkiError.self) { try loadTokenizer(at: path) }
        let any = try loadTokenizer(at: path, options: TokenizerLoadOptions(pattern: "cl100k_base", specialTokens: ["<|eot|>": 600]))
        let concrete = try #require(any as? TiktokenTokenizer)
        for text in Self.texts {
            #expect(try any.encodeIDs(text, options: EncodeOptions()) == (try concrete.encodeOrdinary(text)))
            let e = try any.encode(text, options: EncodeOptions())
            // Token texts laid end to end are the text (for tokens that are whole characters).
            #expect(e.offsets.last?.upperBound ?? 0 == text.utf8.count)
        }
        try checkPathsAgree(any)
        #expect(any.specialTokenID(for: "<|eot|>") == 600 && any.specialTokenIDs == [600])
        #expect(any.specialTokenID(for: "a") == nil)   // an ordinary token is not a role name
        let ids = try any.encodeIDs("가", options: EncodeOptions()) + [600]
        #expect(try any.decode(ids) == "가<|eot|>")                                   // tiktoken keeps special text
        #expect(try any.decode(ids, skipSpecialTokens: true) == "가")
        #expect(throws: TokkiError.self) { try any.decode([601], skipSpecialTokens: true) }
        // No BOS/EOS to add: asking is an error, not silently ignored.
        #expect(throws: TokkiError.self) { try any.encode("가", options: EncodeOptions(addBOS: true)) }
        #expect(throws: TokkiError.self) { try any.encodeIDs("가", options: EncodeOptions(addSpecialTokens: true)) }
    }

    @Test(.enabled(if: Published.tokenizersFetched, "needs the published Tekken files (scripts/fetch/fetch_published_tokenizers.sh)"))
    func tekkenThroughTheProtocol() throws {
        let path = Published.path("mistral_tekken_240911.json")
        let any = try loadTokenizer(at: path)
        let tekken = try #require(any as? TekkenTokenizer)
        for text in Self.texts {
            #expect(try any.encodeIDs(text, options: EncodeOptions(addSpecialTokens: true)) == (try tekken.encode(text, addBOS: true, addEOS: true)))
            #expect(try any.encode(text, options: EncodeOptions(addBOS: true)).ids == (try tekken.encode(text, addBOS: true)))
        }
        try checkPathsAgree(any, options: EncodeOptions(addBOS: true))
        #expect(any.specialTokenRoles.bos == tekken.bosID && any.token(for: 1) == "<s>")
    }

    /// A model given as a pipe (`--model <(…)`): read once, its format told from its bytes —
    /// the same tokenizer as from the file, for every format; a GPT-2 vocab.json, whose
    /// merges.txt a pipe cannot have beside it, is a clear error. A writer thread feeds the
    /// pipe (files larger than its buffer), and the reader opens `/dev/fd/N` once.
    @Test func modelsFromPipes() throws {
        // A loader that stopped reading early must fail the test, not kill it with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        func piped(_ file: URL, options: TokenizerLoadOptions = TokenizerLoadOptions()) throws -> any Tokenizer {
            let bytes = try Data(contentsOf: file)
            var ends: [Int32] = [0, 0]
            #expect(pipe(&ends) == 0)
            let writeEnd = ends[1]
            let writer = Thread {
                bytes.withUnsafeBytes { raw in
                    var done = 0
                    while done < raw.count {
                        let n = write(writeEnd, raw.baseAddress! + done, raw.count - done)
                        if n <= 0 { break }
                        done += n
                    }
                }
                close(writeEnd)
            }
            writer.start()
            defer { close(ends[0]) }
            return try loadTokenizer(at: "/dev/fd/\(ends[0])", options: options)
        }
        let tiktokenOptions = TokenizerLoadOptions(pattern: "cl100k")
        let cases: [(String, TokenizerLoadOptions)] = [
            ("hf/bytelevel_bpe.json", TokenizerLoadOptions()), ("hf/unigram.json", TokenizerLoadOptions()),
            ("sentencepiece/bpe_identity.model", TokenizerLoadOptions()), ("tiktoken/korean-sample.tiktoken", tiktokenOptions),
        ]
        for (name, options) in cases {
            let file = Fixtures.url(name)
            let fromFile = try loadTokenizer(at: file.path, options: options)
            let fromPipe = try piped(file, options: options)
            #expect(type(of: fromPipe) == type(of: fromFile), "\(name)")
            for text in Self.texts + ["대한민국 헌법 제1조\r\n①項 🙂 ＡＢＣ"] {
                #expect(try fromPipe.encodeIDs(text, options: EncodeOptions()) == (try fromFile.encodeIDs(text, options: EncodeOptions())), "\(name)")
            }
        }
        // A rank file's pattern comes from its name, which a pipe does not have.
        #expect(throws: TokkiError.self) { try piped(Fixtures.url("tiktoken/korean-sample.tiktoken")) }
    }

    @Test func modelFoldersAndErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokki-loader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // An empty folder, then one with a SentencePiece model, then also a tokenizer.json (preferred).
        #expect(throws: TokkiError.self) { try loadTokenizer(at: dir.path) }
        try FileManager.default.copyItem(at: Fixtures.url("sentencepiece/bpe_identity.model"), to: dir.appendingPathComponent("tokenizer.model"))
        #expect(try loadTokenizer(at: dir.path) is SentencePieceTokenizer)
        #expect(try TokenizerFormat.detect(at: dir.path) == .sentencePiece)
        try FileManager.default.copyItem(at: Fixtures.url("hf/unigram.json"), to: dir.appendingPathComponent("tokenizer.json"))
        #expect(try loadTokenizer(at: dir.path) is HuggingFaceTokenizer)
        #expect(try TokenizerFormat.detect(at: dir.path) == .huggingFace)

        // A missing file, a JSON file of no known kind, a vocab.json without merges.txt.
        do { _ = try loadTokenizer(at: dir.path + "/nope.model"); Issue.record("loaded a missing file") } catch {
            guard case .io(let path, _) = error else { Issue.record("\(error)"); return }
            #expect(path.hasSuffix("nope.model"))
        }
        let odd = dir.appendingPathComponent("odd.json")
        try Data("{\"hello\": 1}".utf8).write(to: odd)
        do { _ = try loadTokenizer(at: odd.path); Issue.record("loaded an unknown JSON file") } catch {
            guard case .invalidModel(let path, _) = error else { Issue.record("\(error)"); return }
            #expect(path == odd.path)
        }
        let vocab = dir.appendingPathComponent("sub/vocab.json")
        try FileManager.default.createDirectory(at: vocab.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("{\"a\": 0, \"b\": 1}".utf8).write(to: vocab)
        #expect(try TokenizerFormat.detect(at: vocab.path) == .gpt2)
        #expect(throws: TokkiError.self) { try loadTokenizer(at: vocab.path) }
        try Data("#version: 0.2\n".utf8).write(to: vocab.deletingLastPathComponent().appendingPathComponent("merges.txt"))
        #expect(try loadTokenizer(at: vocab.path).vocabularySize == 2)
        // Added special tokens are for tiktoken only.
        do {
            _ = try loadTokenizer(at: dir.path, options: TokenizerLoadOptions(specialTokens: ["<x>": 5]))
            Issue.record("took special tokens for a tokenizer.json")
        } catch {
            guard case .invalidConfiguration = error else { Issue.record("\(error)"); return }
        }
        // A tokenizer.json's post-processor decides special tokens: BOS/EOS alone are refused.
        let hf = try loadTokenizer(at: dir.path)
        #expect(throws: TokkiError.self) { try hf.encode("a", options: EncodeOptions(addBOS: true)) }
    }

    @Test func storedTruncationAndPaddingCanBeLeftOut() throws {
        // A tokenizer.json that stores truncation (4 tokens) and padding (to 6).
        var json = String(decoding: try Fixtures.data("hf/wordpiece_bert.json"), as: UTF8.self)
        let truncation = #"{"direction":"Right","max_length":4,"strategy":"LongestFirst","stride":0}"#
        let padding = #"{"strategy":{"Fixed":6},"direction":"Right","pad_to_multiple_of":null,"pad_id":0,"pad_type_id":0,"pad_token":"[PAD]"}"#
        json = json.replacingOccurrences(of: #""truncation":null"#, with: #""truncation":"# + truncation)
            .replacingOccurrences(of: #""padding":null"#, with: #""padding":"# + padding)
        #expect(json.contains(#""max_length":4"#) && json.contains(#""Fixed":6"#))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tokki-trunc-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(json.utf8).write(to: file)
        let text = "대한민국은 민주공화국이다 대한민국의 주권은 국민에게 있고"
        let stored = try loadTokenizer(at: file.path)
        #expect(try stored.encodeIDs(text, options: EncodeOptions()).count == 6)
        let bare = try loadTokenizer(at: file.path, options: TokenizerLoadOptions(storedTruncation: false, storedPadding: false))
        #expect(try bare.encodeIDs(text, options: EncodeOptions()).count > 6)
        #expect(try stored.withoutStoredTruncationAndPadding().encodeIDs(text, options: EncodeOptions()) == (try bare.encodeIDs(text, options: EncodeOptions())))
        #expect(stored.specialTokenRoles.pad == 0)
    }

    @Test func processWideThreadSetting() {
        let before = Parallelism.threads
        defer { Parallelism.threads = before }
        Parallelism.threads = 3
        #expect(Parallelism.threads == 3 && Parallelism.resolve(nil) == 3 && Parallelism.resolve(5) == 5)
        Parallelism.threads = 0
        #expect(Parallelism.threads == 1)
        // Ranges cover 0..<count once, in order, whatever the thread count.
        for threads in [1, 2, 7] {
            let squares = Parallelism.map(1000, threads: threads, empty: 0) { range, out in for k in range { out[k] = k * k } }
            #expect(squares == (0..<1000).map { $0 * $0 })
        }
    }
}
