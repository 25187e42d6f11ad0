// Fuzzes the readers of `tokki dedup --near --stage` files (`DedupSignatureReader`,
// `DedupDecisions`). Input: [selector][file]. Selector bit 0: a decisions file (else a
// signature file). A signature file that opens is read to its end (at most 4096 records); a
// decisions file that reads must write back to the same bytes and read back equal.
import Foundation
import FuzzSupport
@testable import TokkiData

let path = scratchDirectory + "/stage"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = inputBytes(start, count)
    guard let selector = bytes.first else { return 0 }
    writeScratch(Array(bytes.dropFirst()), to: path)
    if selector & 1 == 0 {
        guard let reader = try? DedupSignatureReader(path: path) else { return 0 }
        for _ in 0..<4096 {
            guard let record = try? reader.next() else { break }
            if case .text(_, let signature) = record { precondition(signature.count == reader.header.permutations, "signature length") }
        }
    } else {
        guard let decisions = try? DedupDecisions(path: path) else { return 0 }
        precondition(decisions.lineBases.count == decisions.header.inputs.count, "a line base per input")
        let copy = path + ".copy"
        guard (try? decisions.write(to: copy)) != nil else { return 0 }
        precondition((try? DedupDecisions(path: copy)) == decisions, "decisions do not read back")
        precondition(FileManager.default.contents(atPath: copy) == Data(bytes.dropFirst()), "decisions do not write back to the same bytes")
    }
    return 0
}

runFuzzer { data, size in fuzz(data, size) }
