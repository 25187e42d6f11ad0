// Fuzzes TokkiData's PIIScrubber: any bytes are scrubbed without a crash; the matches are in
// order, inside the input and counted; the output is the input with each match replaced by
// its placeholder (so valid UTF-8 stays valid UTF-8); scrubbing the output changes nothing
// (idempotence). The first byte chooses the template (bit 0: `[{KIND}]`) and the kinds
// (bits 1-6, one per kind; none set = all).
import FuzzSupport
import TokkiData

let all = PIIScrubber.Kind.allCases
let scrubbers: [PIIScrubber] = (0..<128).map { selector in
    let bits = selector >> 1
    let kinds = bits == 0 ? Set(all) : Set(all.enumerated().filter { bits & (1 << $0.offset) != 0 }.map(\.element))
    if selector & 1 == 0 { return PIIScrubber(kinds: kinds) }
    return setup("template") { try PIIScrubber(kinds: kinds, template: "[{KIND}]") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = inputBytes(start, count)
    guard let selector = bytes.first else { return 0 }
    let scrubber = scrubbers[Int(selector & 0x7F)]
    let body = Array(bytes.dropFirst())
    var out: [UInt8] = []
    var matches: [PIIScrubber.Match] = []
    let counts = body.withUnsafeBufferPointer { scrubber.scrub(utf8: $0, into: &out, matches: &matches) }
    precondition(counts.total == matches.count, "counts \(counts.total) != matches \(matches.count)")
    // The output rebuilt from the input and the matches.
    var expected: [UInt8] = []
    var at = 0
    for m in matches {
        precondition(m.range.lowerBound >= at && m.range.upperBound <= body.count && !m.range.isEmpty, "match \(m) out of order")
        precondition(scrubber.kinds.contains(m.kind))
        expected += body[at..<m.range.lowerBound]
        expected += Array(scrubber.placeholder(for: m.kind).utf8)
        at = m.range.upperBound
    }
    expected += body[at...]
    precondition(out == expected, "output is not the input with the matches replaced")
    if String(validating: body, as: UTF8.self) != nil {
        precondition(String(validating: out, as: UTF8.self) != nil, "valid UTF-8 in, invalid out")
    }
    var again: [UInt8] = []
    let second = out.withUnsafeBufferPointer { scrubber.scrub(utf8: $0, into: &again) }
    precondition(second.total == 0 && again == out, "not idempotent: \(String(decoding: body, as: UTF8.self).debugDescription)")
    return 0
}

runFuzzer { data, size in fuzz(data, size) }
