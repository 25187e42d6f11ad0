import Foundation
import Testing
import Tokki   // the public API only: what a package that depends on Tokki can do
import TokkiTestSupport

/// A Hugging Face pipeline assembled from public stages gives the same encodings as the same
/// pipeline read from a tokenizer.json, for every model kind; other model types are refused.
@Suite struct PublicPipelineTests {
    static let texts = ["대한민국은 민주공화국이다.", "  대한민국의 주권은   국민에게 있고 ", "", "unknown 단어"]

    static func json(model: String) -> [UInt8] {
        Array("""
        {"version":"1.0","truncation":null,"padding":null,"added_tokens":[],"normalizer":null,
         "pre_tokenizer":{"type":"Split","pattern":{"Regex":"\\\\s+"},"behavior":"Removed","invert":false},
         "post_processor":null,"decoder":null,"model":\(model)}
        """.utf8)
    }

    func check(_ built: HuggingFaceTokenizer, _ model: String) throws {
        let loaded = try HuggingFaceTokenizer(json: Self.json(model: model))
        #expect(built.vocabularySize == loaded.vocabularySize)
        for text in Self.texts {
            let a = try built.encode(text, addSpecialTokens: false), b = try loaded.encode(text, addSpecialTokens: false)
            #expect(a == b, "\(text)")
            #expect(!a.ids.isEmpty || text.allSatisfy(\.isWhitespace))
        }
    }

    var split: SplittingStage { get throws { SplittingStage(try RegexSplit(pattern: "\\s+", behavior: .removed)) } }

    @Test func wordLevel() throws {
        let model = try WordLevelModel(vocabulary: ["[UNK]": 0, "대한민국은": 1, "민주공화국이다.": 2, "단어": 3], unknownToken: "[UNK]")
        #expect(model.id(for: "단어") == 3 && model.token(for: 1) == "대한민국은" && model.vocabularySize == 4)
        try check(try HuggingFaceTokenizer(preTokenizer: try split, model: model),
                  #"{"type":"WordLevel","vocab":{"[UNK]":0,"대한민국은":1,"민주공화국이다.":2,"단어":3},"unk_token":"[UNK]"}"#)
    }

    @Test func wordPiece() throws {
        let vocab = ["[UNK]": 0, "대한": 1, "##민국": 2, "##은": 3, "국민": 4, "##에게": 5, "단어": 6]
        let model = try WordPieceModel(vocabulary: vocab)
        let json = "{" + vocab.sorted { $0.value < $1.value }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
        try check(try HuggingFaceTokenizer(preTokenizer: try split, model: model),
                  ###"{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":100,"vocab":"### + json + "}")
    }

    @Test func unigram() throws {
        let pieces: [(token: String, score: Double)] = [("<unk>", 0), ("대한", -2), ("민국", -2.5), ("대한민국", -3), ("은", -1), ("국민", -2), ("단", -4), ("어", -4)]
        let model = try UnigramModel(vocabulary: pieces, unknownID: 0)
        let vocab = pieces.map { "[\"\($0.token)\",\($0.score)]" }.joined(separator: ",")
        try check(try HuggingFaceTokenizer(preTokenizer: try split, model: model),
                  #"{"type":"Unigram","unk_id":0,"byte_fallback":false,"vocab":["# + vocab + "]}")
    }

    @Test func bpe() throws {
        let vocab = ["<unk>": 0, "대": 1, "한": 2, "민": 3, "국": 4, "대한": 5, "민국": 6, "대한민국": 7, "은": 8]
        let merges = [("대", "한"), ("민", "국"), ("대한", "민국")]
        let model = try BPEModel(vocabulary: vocab, merges: merges, options: BPEModel.Options(unknownToken: "<unk>"))
        let v = "{" + vocab.sorted { $0.value < $1.value }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
        let m = "[" + merges.map { "[\"\($0.0)\",\"\($0.1)\"]" }.joined(separator: ",") + "]"
        try check(try HuggingFaceTokenizer(preTokenizer: try split, model: model),
                  #"{"type":"BPE","dropout":null,"unk_token":"<unk>","continuing_subword_prefix":null,"end_of_word_suffix":null,"fuse_unk":false,"byte_fallback":false,"vocab":"# + v + #","merges":"# + m + "}")
    }

    struct Foreign: HuggingFaceModel {
        var vocabularySize: Int { 1 }
        func id(for token: String) -> Int? { nil }
        func token(for id: Int) -> String? { nil }
    }

    @Test func modelsTokkiDoesNotImplementAreRefused() {
        #expect(throws: TokkiError.self) { try HuggingFaceTokenizer(model: Foreign()) }
    }
}
