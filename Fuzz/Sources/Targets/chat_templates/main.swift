// Fuzzes chat templates, which model folders bring (tokenizer_config.json's `chat_template`,
// chat_template.jinja): the input is a template's source, parsed and rendered against a fixed
// conversation (a system message, Korean turns, an assistant turn with a tool call, tools) with
// small limits. Syntax errors and render errors must be thrown; crashes, hangs past the
// limits, and outputs whose generation spans leave the text are findings.
import FuzzSupport
import Tokki

let messages: [TemplateValue] = [
    ["role": "system", "content": "당신은 법률 도우미입니다."],
    ["role": "user", "content": "민법 제750조는?"],
    ["role": "assistant", "content": "불법행위 책임입니다.", "reasoning_content": "조문 확인",
     "tool_calls": [["type": "function", "function": ["name": "lookup", "arguments": ["article": 750]]]]],
    ["role": "tool", "content": "{\"조\": 750}"],
    ["role": "user", "content": "{{ not a template }} {% raw %}"],
]
let tools: [TemplateValue] = [["type": "function", "function": ["name": "lookup", "description": "조문 찾기",
                                                                 "parameters": ["type": "object", "properties": ["article": ["type": "integer"]]]]]]
let limits = ChatTemplate.Limits(maxOutputBytes: 1 << 20, maxSteps: 100_000, maxCallDepth: 32)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = inputBytes(start, count)
    guard let template = try? ChatTemplate(String(decoding: bytes, as: UTF8.self)) else { return 0 }
    for (withTools, prompt) in [(false, false), (true, true)] {
        guard let rendered = try? template.render(messages: messages, tools: withTools ? tools : nil, addGenerationPrompt: prompt,
                                                  specialTokens: ["bos_token": "<s>", "eos_token": "</s>"],
                                                  clock: .init(year: 2024, month: 7, day: 26), limits: limits) else { continue }
        precondition(rendered.utf8.count <= limits.maxOutputBytes, "the output is over the limit")
        precondition(String(validating: rendered.utf8, as: UTF8.self) != nil, "the output is not well-formed UTF-8")
        for span in rendered.generationByteSpans { precondition(span.lowerBound >= 0 && span.lowerBound <= span.upperBound, "a bad byte span") }
        for span in rendered.generationSpans { precondition(span.lowerBound >= 0 && span.lowerBound <= span.upperBound, "a bad span") }
    }
    return 0
}

runFuzzer { data, size in fuzz(data, size) }
