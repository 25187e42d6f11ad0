// Fuzzes the tiktoken rank-file reader (first byte even) and the Mistral Tekken reader
// (first byte odd) on the rest of the input, then encodes and decodes with what loaded.
import Foundation
import FuzzSupport
import Tokki

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = inputBytes(start, count)
    guard let selector = bytes.first else { return 0 }
    let body = Array(bytes.dropFirst())
    if selector & 1 == 0 {
        guard let ranks = try? TiktokenRanks(bytes: body, path: "fuzz.tiktoken"),
              let tokenizer = try? TiktokenTokenizer(ranks: ranks, pattern: PretokenizationPattern.cl100k)
        else { return 0 }
        if let ids = try? tokenizer.encodeOrdinary(probeText) { _ = try? tokenizer.decode(ids) }
        _ = try? tokenizer.decode([0, 1, ranks.count - 1, ranks.count, -1])
    } else {
        guard let tekken = try? TekkenTokenizer(json: body, path: "tekken.json") else { return 0 }
        if let ids = try? tekken.encode(probeText, addBOS: true, addEOS: true) {
            _ = try? tekken.decode(ids, skipSpecialTokens: false)
        }
        _ = try? tekken.decode([0, 1, tekken.vocabularySize - 1, tekken.vocabularySize, -1])
    }
    return 0
}

runFuzzer { data, size in fuzz(data, size) }
