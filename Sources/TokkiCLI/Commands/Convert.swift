import ArgumentParser
import Foundation
import Tokki

/// `tokki convert IN OUT`: `.model` ↔ `tokenizer.json`.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a SentencePiece .model to a tokenizer.json, or back.",
        discussion: """
        The direction follows OUT's extension: .json writes a Hugging Face tokenizer.json,
        .model a SentencePiece model. SentencePiece unigram and BPE models convert to HF
        Unigram/BPE with their normalization as a Precompiled charsmap; tokenizer.json files
        convert back when their pipeline is one SentencePiece can express (Unigram or BPE with
        Metaspace or Llama-style Prepend/Replace normalizers, optionally Precompiled). The
        output is written atomically.

        Examples:
          tokki convert ko.model ko.tokenizer.json
          tokki convert tokenizer.json tokenizer.model
        """
    )

    @Argument(help: "The input model (.model or tokenizer.json).")
    var input: String

    @Argument(help: "The output file: .json (tokenizer.json) or .model.")
    var output: String

    func run() throws {
        let bytes: [UInt8]
        switch try loadModel(input, needsPattern: false) {
        case .sentencePiece(let sp):
            guard output.hasSuffix(".json") else {
                throw fail(.usage, "converting a SentencePiece model: OUT must end in .json (a tokenizer.json)")
            }
            do { bytes = try sp.model.huggingFaceJSON() } catch { throw fail(error) }
        case .huggingFace(let hf):
            guard output.hasSuffix(".model") else {
                throw fail(.usage, "converting a tokenizer.json: OUT must end in .model (a SentencePiece model)")
            }
            do { bytes = [UInt8](try hf.sentencePieceModel().serialized()) } catch { throw fail(error) }
        case .tiktoken, .tekken:
            throw fail(.usage, "\(input): tiktoken and Tekken files cannot be converted (no SentencePiece or tokenizer.json equivalent is written yet)")
        }
        try writeAtomically(bytes, to: output)
    }
}
