// Decodes arbitrary ids (the input after the first byte read as little-endian 32-bit
// integers, negative ones included) with the fixture model the first byte picks.
import Foundation
import FuzzSupport
import Tokki

let models = FixtureModels.shared

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = inputBytes(start, count)
    guard let selector = bytes.first else { return 0 }
    var ids: [Int] = []
    var k = 1
    while k + 4 <= bytes.count {
        let v = UInt32(bytes[k]) | UInt32(bytes[k + 1]) << 8 | UInt32(bytes[k + 2]) << 16 | UInt32(bytes[k + 3]) << 24
        // Small ids are the interesting ones: the high bit of the selector keeps them in the vocabulary range.
        ids.append(selector & 0x80 != 0 ? Int(v % 70_000) : Int(Int32(bitPattern: v)))
        k += 4
    }
    switch selector % 7 {
    case 0: _ = try? models.unigram.decode(ids)
    case 1: _ = try? models.bpe.decode(ids)
    case 2, 3, 4, 5:
        let hf = [models.byteLevel, models.wordPiece, models.metaspace, models.hfUnigram][Int(selector % 7) - 2]
        _ = try? hf.decode(ids, skipSpecialTokens: true)
        _ = try? hf.decode(ids, skipSpecialTokens: false)
    default: _ = try? models.tiktoken.decode(ids)
    }
    return 0
}

runFuzzer { data, size in fuzz(data, size) }
