// Fuzzes the JSONL corpus reader: TokkiTraining's corpus reader (streaming lines, UTF-8
// checks, and Tokki's JSON-lines field reader on every line when a text field is named) over
// the input written to a file. The first byte chooses strict mode and the field name.
import Foundation
import FuzzSupport
import Tokki
@testable import TokkiTraining

let corpusPath = scratchDirectory + "/corpus.jsonl"
let fields = ["text", "content", "", "본문"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = inputBytes(start, count)
    guard let selector = bytes.first else { return 0 }
    let body = Array(bytes.dropFirst())
    let field = fields[Int(selector >> 1) % fields.count]
    writeScratch(body, to: corpusPath)
    let options = CorpusOptions(inputs: [corpusPath], textField: selector & 0x10 != 0 ? nil : field, strict: selector & 1 != 0)
    let reader = CorpusReader(options: options)
    var total = 0
    try? reader.forEachText { text throws(TrainingError) in total += text.count }
    return 0
}

runFuzzer { data, size in fuzz(data, size) }
