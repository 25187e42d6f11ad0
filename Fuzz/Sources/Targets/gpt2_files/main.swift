// Fuzzes the GPT-2 `vocab.json` + `merges.txt` reader: the input is split at the first
// "\n#MERGES\n" into the two files (the reader only takes paths, so they are written to a
// scratch directory), then a loaded tokenizer encodes and decodes a probe text.
import Foundation
import FuzzSupport
import Tokki

let marker = Array("\n#MERGES\n".utf8)
let vocabPath = scratchDirectory + "/vocab.json"
let mergesPath = scratchDirectory + "/merges.txt"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let (vocab, merges) = split(inputBytes(start, count), at: marker)
    writeScratch(vocab, to: vocabPath)
    writeScratch(merges, to: mergesPath)
    guard let tokenizer = try? HuggingFaceTokenizer(vocabulary: URL(fileURLWithPath: vocabPath),
                                                    merges: URL(fileURLWithPath: mergesPath)) else { return 0 }
    if let encoding = try? tokenizer.encode(probeText, addSpecialTokens: true) {
        _ = try? tokenizer.decode(encoding.ids, skipSpecialTokens: false)
    }
    return 0
}

runFuzzer { data, size in fuzz(data, size) }
