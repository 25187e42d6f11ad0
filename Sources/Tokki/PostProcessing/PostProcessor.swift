/// The last stage of a Hugging Face pipeline: adds special tokens around one sequence or a
/// pair and sets type ids (each pipeline stage is one small protocol, so a new template is
/// one conforming type). The tokenizer then merges
/// the returned encodings (and their overflowing parts) as `tokenizers` does.
public protocol PostProcessor: Sendable {
    /// How many tokens the stage adds to a single sequence or a pair.
    func addedTokenCount(pair: Bool) -> Int
    /// Rewrites the encodings of a sequence (and its pair); offsets are UTF-8 byte offsets.
    func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding]
}
