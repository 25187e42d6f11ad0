import ArgumentParser
import Foundation
import Tokki

/// Loads the tokenizer named by `--model`, mapping failures to exit codes.
func loadTokenizer(_ path: String?) throws(ExitCode) -> SentencePieceTokenizer {
    guard let path else {
        throw fail(.usage, "no default vocabulary ships yet: pass --model PATH (a SentencePiece .model file)")
    }
    guard FileManager.default.fileExists(atPath: path) else {
        throw fail(.noInput, "model file '\(path)' does not exist")
    }
    do {
        return try SentencePieceTokenizer(contentsOf: URL(fileURLWithPath: path))
    } catch {
        throw fail(error)
    }
}

/// Appends `s` to `out` as a JSON string literal.
func appendJSONString(_ s: String, to out: inout [UInt8]) {
    out.append(0x22)
    for b in s.utf8 {
        switch b {
        case 0x22: out += [0x5C, 0x22]
        case 0x5C: out += [0x5C, 0x5C]
        case 0x0A: out += [0x5C, 0x6E]
        case 0x0D: out += [0x5C, 0x72]
        case 0x09: out += [0x5C, 0x74]
        case 0..<0x20:
            let hex = Array("0123456789abcdef".utf8)
            out += [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]]
        default: out.append(b)
        }
    }
    out.append(0x22)
}

/// Appends the decimal digits of `v`.
@inline(__always)
func appendInt(_ v: Int, to out: inout [UInt8]) {
    if v < 0 { out.append(0x2D); appendInt(-v, to: &out); return }
    if v < 10 { out.append(0x30 + UInt8(v)); return }
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                 UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var n = 0
    var x = v
    withUnsafeMutableBytes(of: &digits) { d in
        while x > 0 { d[n] = 0x30 + UInt8(x % 10); x /= 10; n += 1 }
        while n > 0 { n -= 1; out.append(d[n]) }
    }
}
