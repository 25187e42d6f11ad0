import ArgumentParser
import Foundation
import Tokki

/// `tokki convert IN OUT`: `.model` ↔ `tokenizer.json`.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a SentencePiece .model to a tokenizer.json, or back.",
        discussion: """
        The direction follows OUT's extension: .json writes a Hugging Face
        tokenizer.json, .model a SentencePiece model. SentencePiece unigram and BPE
        models convert to HF Unigram/BPE with their normalization as a Precompiled
        charsmap; tokenizer.json files convert back when their pipeline is one
        SentencePiece can express exactly (Unigram or BPE with Llama-style
        Prepend/Replace normalizers, optionally Precompiled). A Metaspace pipeline
        cannot be reproduced exactly (leading and repeated spaces, unfused unknowns):
        it is refused unless --approximate is given, which converts it anyway and says
        on stderr what will differ. The output is written atomically.

        Examples:
          tokki convert ko.model ko.tokenizer.json
          tokki convert tokenizer.json tokenizer.model
          tokki convert --approximate metaspace-bpe.json bpe.model
        """
    )

    @Flag(help: "Convert a tokenizer.json SentencePiece cannot reproduce exactly, and list the differences on stderr.")
    var approximate = false

    @Argument(help: "The input model (.model or tokenizer.json).")
    var input: String

    @Argument(help: "The output file: .json (tokenizer.json) or .model.")
    var output: String

    func run() throws {
        let bytes: [UInt8]
        // Conversion is between two particular formats: the only command that asks which one.
        let loaded = try loadModel(input, decodeOnly: true)
        if let sp = loaded as? SentencePieceTokenizer {
            guard output.hasSuffix(".json") else {
                throw fail(.usage, "converting a SentencePiece model: OUT must end in .json (a tokenizer.json)")
            }
            do throws(TokkiError) { bytes = try sp.model.huggingFaceJSON() } catch { throw fail(error) }
        } else if let hf = loaded as? HuggingFaceTokenizer {
            guard output.hasSuffix(".model") else {
                throw fail(.usage, "converting a tokenizer.json: OUT must end in .model (a SentencePiece model)")
            }
            if approximate {
                for what in hf.approximations { printError("tokki: warning: \(input): not exact: \(what)") }
            }
            do throws(TokkiError) { bytes = [UInt8](try hf.sentencePieceModel(approximate: approximate).serialized()) } catch { throw fail(error) }
        } else {
            throw fail(.usage, "\(input): tiktoken and Tekken files cannot be converted (no SentencePiece or tokenizer.json equivalent is written yet)")
        }
        try writeAtomically(bytes, to: output)
    }
}
