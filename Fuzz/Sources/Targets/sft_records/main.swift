// Fuzzes the supervised fine-tuning record path: a JSONL line parsed as a conversation in any
// of the four formats (messages, ShareGPT, Alpaca, prompt–completion), rendered with a
// generation-marked ChatML template or a plain one, tokenized with a fixture byte-level BPE,
// labelled, truncated (the first byte picks the policy and length) and packed. Bad records
// must be errors; crashes and inconsistent examples are findings.
import Foundation
import FuzzSupport
import Tokki
import TokkiObjectives

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../../Tests/Fixtures").standardized
let folder = try! ModelFolder(contentsOf: fixtures.appendingPathComponent("sft/chatml-generation").path)
let generation = try! folder.chatTemplate()
let plain = try! ChatTemplate("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}")
let eos = folder.specialTokens["eos_token"]?.id.map(Int32.init)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = inputBytes(start, count)
    guard let selector = bytes.first else { return 0 }
    let truncation = ChatExampleEncoder.Truncation.allCases[Int(selector & 3) % 3]
    let configuration = ChatExampleEncoder.Configuration(maxLength: 8 + Int(selector >> 3) * 8, trainOnPrompt: selector & 4 != 0,
                                                         trainOnEOS: selector & 2 != 0, truncation: truncation)
    let encoder = ChatExampleEncoder(template: selector & 0x80 != 0 ? plain : generation, tokenizer: folder.tokenizer,
                                     specialTokens: folder.templateVariables, eos: eos, configuration: configuration)
    guard let value = try? TemplateValue.parseJSON(Array(bytes.dropFirst())),
          let conversation = try? ChatConversation(record: value),
          let example = try? encoder.example(conversation, session: encoder.makeSession()) else { return 0 }
    precondition(example.ids.count == example.labels.count, "labels do not match ids")
    precondition(example.ids.count <= configuration.maxLength ?? .max, "an example is longer than the limit")
    precondition(example.labels.first.map { $0 == -100 } ?? true, "the first token is learned")
    let sft = try! SupervisedFineTuning(.init(sequenceLength: 64, packing: .bestFitDecreasing, packWindow: 4),
                                        tokens: SpecialTokens(vocabularySize: folder.tokenizer.vocabularySize, special: []))
    var builder = SupervisedFineTuning.Builder(sft)
    try? builder.append(Document(ids: example.ids, labels: example.labels))
    builder.finishInput()
    while builder.nextBatch(maxRows: 2, threads: 1) != nil {}
    return 0
}

runFuzzer { data, size in fuzz(data, size) }
