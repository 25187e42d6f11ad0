import Foundation
import Tokki

/// The small fixture models the encode and decode targets run, loaded once per process.
public struct FixtureModels: Sendable {
    /// SentencePiece unigram with NFKC and byte fallback.
    public let unigram: SentencePieceTokenizer
    /// SentencePiece BPE with NFKC and byte fallback.
    public let bpe: SentencePieceTokenizer
    /// SentencePiece BPE that keeps every space, as Llama 2's normalizer does (identity, the
    /// dummy prefix, no whitespace removal), over `bpe_identity_bf.model`'s pieces, with byte
    /// fallback: its ids-only path cuts raw lines into spaced words.
    public let bpeKeepingSpaces: SentencePieceTokenizer
    /// A GPT-2-style byte-level BPE tokenizer.json.
    public let byteLevel: HuggingFaceTokenizer
    /// A BERT WordPiece tokenizer.json.
    public let wordPiece: HuggingFaceTokenizer
    /// A Metaspace BPE tokenizer.json with byte fallback.
    public let metaspace: HuggingFaceTokenizer
    /// A Unigram tokenizer.json with a precompiled charsmap.
    public let hfUnigram: HuggingFaceTokenizer
    /// A tiktoken rank file with the cl100k pattern.
    public let tiktoken: TiktokenTokenizer

    /// Loads every model from `Tests/Fixtures` (exits when one is missing).
    public static let shared = FixtureModels()

    private init() {
        func sp(_ name: String) -> SentencePieceTokenizer {
            setup(name) { try SentencePieceTokenizer(contentsOf: fixture("sentencepiece/\(name)")) }
        }
        func hf(_ name: String) -> HuggingFaceTokenizer {
            setup(name) { try HuggingFaceTokenizer(contentsOf: fixture("hf/\(name)")) }
        }
        unigram = sp("unigram_nfkc_bf.model")
        bpe = sp("bpe_nfkc_bf.model")
        bpeKeepingSpaces = setup("bpe_identity_bf.model, spaces kept") {
            let base = try SentencePieceModel(contentsOf: fixture("sentencepiece/bpe_identity_bf.model"))
            var trainer = SentencePieceModel.TrainerSettings()
            trainer.byteFallback = true
            let normalizer = SentencePieceModel.NormalizerSettings(name: "identity", precompiledCharsmap: [], addDummyPrefix: true,
                                                                   removeExtraWhitespaces: false, escapeWhitespaces: true)
            return try SentencePieceTokenizer(model: SentencePieceModel(pieces: base.pieces, modelType: .bpe, normalizer: normalizer,
                                                                        trainer: trainer))
        }
        byteLevel = hf("bytelevel_bpe.json")
        wordPiece = hf("wordpiece_bert.json")
        metaspace = hf("metaspace_bpe_bf.json")
        hfUnigram = hf("precompiled_unigram.json")
        tiktoken = setup("korean-sample.tiktoken") {
            try TiktokenTokenizer(contentsOf: fixture("tiktoken/korean-sample.tiktoken"), pattern: "cl100k")
        }
    }
}
