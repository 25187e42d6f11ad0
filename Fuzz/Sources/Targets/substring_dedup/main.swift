// Fuzzes exact-substring de-duplication (`tokki dedup --substring`): the suffix array, the
// permuted LCP array, the repeated-span search, the cuts at character boundaries and the JSONL
// field replacement. Input: [selector][lines]. Selector bits 0-5: the minimum length - 1;
// bit 6: the lines are JSONL records with a "text" field (else plain lines); bit 7: the
// disk-backed search runs with parts of 1-7 positions (else 8-64), through its temporary file
// and the merge, and must give the same ranges as in memory. Lines that are not
// valid UTF-8 (or records without the field) are skipped, as the CLI counts them. Traps when a
// cut splits a character, leaves a document, overlaps another, when the kept text is not
// valid UTF-8, when a replaced JSONL record does not read back, or when the suffix array of a
// short corpus is out of order.
import FuzzSupport
@testable import Tokki
@testable import TokkiData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = inputBytes(start, count)
    guard let selector = bytes.first else { return 0 }
    let minLength = Int(selector & 0x3F) + 1
    let jsonl = selector & 0x40 != 0
    guard let d = try? SubstringDeduplicator(minLength: minLength) else { fatalError("valid minimum rejected") }
    var records: [[UInt8]] = []
    for line in bytes.dropFirst().split(separator: 0x0A, omittingEmptySubsequences: false) {
        let raw = Array(line)
        guard UTF8Validation.firstInvalidOffset(in: raw) == nil else { continue }
        var text = raw
        if jsonl {
            guard let v = try? JSONLines.stringField("text", in: raw) else { continue }
            text = v
        }
        guard d.append(text) != nil else { continue }
        records.append(raw)
    }
    let corpus = d.corpus
    if corpus.count <= 512 {
        let sa = SuffixArray.build(corpus)
        precondition(Set(sa).count == corpus.count, "suffix array is not a permutation")
        for r in 1..<max(1, sa.count) {
            precondition(corpus[Int(sa[r - 1])...].lexicographicallyPrecedes(corpus[Int(sa[r])...]), "suffix array out of order")
        }
    }
    guard let found = try? d.find() else { return 0 }
    let part = selector & 0x80 != 0 ? 1 + corpus.count % 7 : 8 + corpus.count % 57
    guard let onDisk = try? d.find(disk: SubstringDiskMode(partBytes: part, directory: "/tmp")) else { fatalError("disk-backed search failed") }
    precondition(onDisk.ranges == found.ranges, "disk-backed search differs from the in-memory one")
    var previous: RemovedRange? = nil
    var total = 0
    for r in found.ranges {
        let doc = d.document(r.document)
        precondition(r.start >= 0 && r.start < r.end && r.end <= doc.count, "range outside its document")
        if let p = previous, p.document == r.document { precondition(p.end < r.start, "ranges overlap or touch") }
        if let p = previous { precondition(p.document <= r.document, "ranges out of order") }
        precondition(doc[doc.startIndex + r.start] & 0xC0 != 0x80, "cut starts inside a character")
        precondition(r.end == doc.count || doc[doc.startIndex + r.end] & 0xC0 != 0x80, "cut ends inside a character")
        total += r.count
        previous = r
    }
    precondition(total == found.bytesRemoved, "bytes removed miscounted")
    var next = 0
    var out: [UInt8] = []
    for i in 0..<d.documentCount {
        let first = next
        while next < found.ranges.count && found.ranges[next].document == i { next += 1 }
        out.removeAll(keepingCapacity: true)
        d.appendKept(document: i, removing: found.ranges[first..<next], to: &out)
        precondition(UTF8Validation.firstInvalidOffset(in: out) == nil, "kept text is not valid UTF-8")
        if jsonl, first < next {
            guard let span = try? JSONLines.stringFieldAndLiteral("text", in: records[i]) else { fatalError("record no longer readable") }
            var line = Array(records[i][..<span.literal.lowerBound])
            JSONText.appendString(out, to: &line)
            line += records[i][span.literal.upperBound...]
            guard let back = try? JSONLines.stringField("text", in: line) else { fatalError("replaced record is not valid JSON") }
            precondition(back == out, "replaced field reads back different")
        }
    }
    return 0
}

runFuzzer { data, size in fuzz(data, size) }
