// Fuzzes the instruction-template reader and renderer: a tokki-flan/1 template set, then JSON
// lines of task records rendered with it. The input is the set, a 0x00 byte, and the records;
// the first byte chooses the shots (0-3), the kinds and whether a token budget (measured with
// the fixture unigram model) applies.
import Foundation
import FuzzSupport
import Tokki

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = inputBytes(start, count)
    guard let selector = bytes.first else { return 0 }
    let body = bytes.dropFirst()
    let split = body.firstIndex(of: 0) ?? body.endIndex
    guard let set = try? InstructionTemplateSet(json: Array(body[..<split]), source: "fuzz.json") else { return 0 }
    let lines = split < body.endIndex ? body[(split + 1)...].split(separator: 0x0A) : []
    var kinds = Set<InstructionTemplateKind>()
    for (k, kind) in InstructionTemplateKind.allCases.enumerated() where selector & (4 << k) == 0 { kinds.insert(kind) }
    if kinds.isEmpty { kinds = [.fewShot] }
    var renderer = InstructionRenderer(seed: UInt64(selector), shots: Int(selector & 3), kinds: kinds)
    renderer.exemplarTurns = selector & 0x40 != 0
    if selector & 0x80 != 0 {
        renderer.tokenizer = FixtureModels.shared.unigram
        renderer.maxTokens = 64
    }
    var records: [InstructionRecord] = []
    for (i, line) in lines.enumerated() {
        guard case .object(let object)? = try? TemplateValue.parseJSON(Array(line)) else { continue }
        for task in set.tasks {
            if let record = try? InstructionRecord(index: i, task: task, object: object) { records.append(record) }
        }
    }
    for record in records {
        guard let task = set.task(record.task) else { continue }
        if let example = try? renderer.render(record, task: task, exemplarPool: records) {
            _ = example.messages.count + example.promptCompletion.prompt.utf8.count
        }
    }
    return 0
}

runFuzzer { data, size in fuzz(data, size) }
