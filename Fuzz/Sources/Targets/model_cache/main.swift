// Fuzzes the model cache's image reader (ModelCache): the payload of a tokenizer.json image
// (first byte even) or of a tiktoken image (odd), then encodes and decodes with what loaded.
// The checksum that guards real images is not in the way here: every table must still be
// checked against the arrays it points into.
import Foundation
import FuzzSupport
@_spi(Fuzzing) import Tokki

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = inputBytes(start, count)
    guard let selector = bytes.first else { return 0 }
    guard let tokenizer = try? ModelCache.tokenizer(imagePayload: Array(bytes.dropFirst()), tiktoken: selector & 1 == 1) else { return 0 }
    if let ids = try? tokenizer.encodeIDs(probeText, options: EncodeOptions()) { _ = try? tokenizer.decode(ids) }
    _ = try? tokenizer.decode([0, 1, tokenizer.vocabularySize - 1, tokenizer.vocabularySize, -1])
    return 0
}

runFuzzer { data, size in fuzz(data, size) }
