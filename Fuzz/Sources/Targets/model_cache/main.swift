// Fuzzes the model cache's image reader (ModelCache): the payload of a tokenizer.json image
// (first byte 0 mod 4), of a tiktoken image (1), or of a SentencePiece `.model` file's tables
// checked against the fixture unigram (2) or BPE (3) model, then encodes and decodes with what
// loaded. The checksum that guards real images is not in the way here: every table must still
// be checked against the arrays it points into.
import Foundation
import FuzzSupport
@_spi(Fuzzing) import Tokki

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = inputBytes(start, count)
    guard let selector = bytes.first else { return 0 }
    if selector & 2 == 2 {
        let model = (selector & 1 == 0 ? FixtureModels.shared.unigram : FixtureModels.shared.bpe).model
        guard let tokenizer = try? ModelCache.sentencePieceTokenizer(imagePayload: Array(bytes.dropFirst()), model: model) else { return 0 }
        if let ids = try? tokenizer.encodeIDs(probeText, options: EncodeOptions()) { _ = try? tokenizer.decode(ids) }
        _ = tokenizer.encode(probeText)
        _ = tokenizer.id(for: "<s>")
        _ = tokenizer.id(for: "▁가")
        return 0
    }
    guard let tokenizer = try? ModelCache.tokenizer(imagePayload: Array(bytes.dropFirst()), tiktoken: selector & 1 == 1) else { return 0 }
    if let ids = try? tokenizer.encodeIDs(probeText, options: EncodeOptions()) { _ = try? tokenizer.decode(ids) }
    _ = try? tokenizer.decode([0, 1, tokenizer.vocabularySize - 1, tokenizer.vocabularySize, -1])
    return 0
}

runFuzzer { data, size in fuzz(data, size) }
