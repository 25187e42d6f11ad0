// Fuzzes LineReader's decoding of outside bytes: gzip/zlib and Zstandard detection and
// streaming decompression, and ICU charset conversion (strict or replacing), over the input
// written to a file. The first byte chooses the charset, replacement, decompression and the
// reader's block size. Errors are fine; crashes, hangs and out-of-bounds accesses are not.
import Foundation
import FuzzSupport
import Tokki

let inputPath = scratchDirectory + "/decoding.bin"
let encodings: [String?] = [nil, "cp949", "euc-kr", "utf-16", "utf-16le", "shift_jis", "iso-2022-kr", nil]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = inputBytes(start, count)
    guard let selector = bytes.first else { return 0 }
    writeScratch(Array(bytes.dropFirst()), to: inputPath)
    let decoding = InputDecoding(decompress: selector & 0x40 == 0, encoding: encodings[Int(selector & 7)],
                                 replaceInvalid: selector & 8 != 0)
    let block = selector & 0x30 == 0 ? 16 : 1 << 12
    guard var reader = try? LineReader(path: inputPath, maxLineBytes: 1 << 16, blockSize: block, decoding: decoding) else { return 0 }
    var total = 0
    try? reader.forEachLine({ (line, _, offset) throws(TokkiError) in
        precondition(offset >= total, "offsets go back")
        total = offset + line.count
    }, failure: { $0 })
    return 0
}

runFuzzer { data, size in fuzz(data, size) }
