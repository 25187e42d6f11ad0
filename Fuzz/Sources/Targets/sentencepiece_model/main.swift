// Fuzzes the SentencePiece `.model` reader (protobuf ModelProto) and, when a model loads,
// building its tokenizer and normalizer and a round of encoding and decoding.
import Foundation
import FuzzSupport
import Tokki

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = inputBytes(start, count)
    guard let model = try? SentencePieceModel(serialized: Data(bytes), path: "fuzz.model") else { return 0 }
    _ = try? model.serialized()
    guard let tokenizer = try? SentencePieceTokenizer(model: model) else { return 0 }
    let ids = tokenizer.encodeIDs(probeText, addBOS: true, addEOS: true)
    _ = try? tokenizer.decode(ids)
    _ = tokenizer.encode(probeText)
    return 0
}

runFuzzer { data, size in fuzz(data, size) }
