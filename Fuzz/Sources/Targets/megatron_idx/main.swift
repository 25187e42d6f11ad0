// Fuzzes the Megatron-LM indexed dataset reader (`MegatronDataset`): the first two bytes
// give the `.bin` size (little-endian, filled with a byte pattern), the rest is the `.idx`.
// A dataset that opens has every sequence read back.
import Foundation
import FuzzSupport
import TokkiData

let prefix = scratchDirectory + "/fuzz"
let binPattern = (0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 31) }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = inputBytes(start, count)
    guard bytes.count >= 2 else { return 0 }
    let binSize = Int(bytes[0]) | Int(bytes[1]) << 8
    writeScratch(Array(binPattern[..<binSize]), to: prefix + ".bin")
    writeScratch(Array(bytes.dropFirst(2)), to: prefix + ".idx")
    guard let dataset = try? MegatronDataset(prefix: prefix) else { return 0 }
    for i in 0..<min(dataset.count, 1024) { _ = try? dataset.sequence(i) }
    return 0
}

runFuzzer { data, size in fuzz(data, size) }
