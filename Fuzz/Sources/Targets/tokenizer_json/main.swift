// Fuzzes the Hugging Face tokenizer.json reader (and the JSON-kind detection) and, when a
// tokenizer loads, a round of encoding (single and pair) and decoding.
import Foundation
import FuzzSupport
import Tokki

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = inputBytes(start, count)
    _ = try? TokenizerJSONKind.detect(bytes, path: "fuzz.json")
    guard let tokenizer = try? HuggingFaceTokenizer(json: bytes, path: "tokenizer.json") else { return 0 }
    if let encoding = try? tokenizer.encode(probeText, pair: "둘째 문장", addSpecialTokens: true) {
        _ = try? tokenizer.decode(encoding.ids, skipSpecialTokens: false)
        _ = try? tokenizer.decode(encoding.ids, skipSpecialTokens: true)
    }
    _ = try? tokenizer.encode("", addSpecialTokens: true)
    return 0
}

runFuzzer { data, size in fuzz(data, size) }
