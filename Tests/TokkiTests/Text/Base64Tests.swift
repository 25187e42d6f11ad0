import Foundation
import Testing
@testable import Tokki
import TokkiTestSupport

@Suite("Base64")
struct Base64Tests {
    /// The pointer decoder (rank files, Tekken) against Foundation's decoder and the array
    /// decoder, on random bytes, and on malformed texts (both decoders must refuse them and
    /// leave the output as it was).
    @Test func pointerDecoderAgreesWithFoundation() {
        var rng = SplitMix64(seed: 9)
        var pool: [UInt8] = [7, 7]
        for length in 0..<200 {
            let bytes = (0..<(length % 40)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let text = Array(Data(bytes).base64EncodedString().utf8)
            let before = pool.count
            let ok = text.withUnsafeBufferPointer { t in
                withUnsafePointer(to: UInt8(0)) { z in Base64.decode(t.baseAddress ?? z, t.count, appendingTo: &pool) }
            }
            if bytes.isEmpty {
                #expect(!ok && pool.count == before)  // "" is not a token, as before
            } else {
                #expect(ok && Array(pool[before...]) == bytes)
                #expect(Base64.decode(text[...]) == bytes)
            }
            // Into a buffer of exactly the bound (the rank-file parser's pool): the same bytes;
            // with less room than the bound, nothing.
            let room = Base64.maxDecodedCount(text.count)
            #expect(room >= bytes.count && room - bytes.count <= 2)
            var buffer = [UInt8](repeating: 0xAA, count: room + 1)
            let written = text.withUnsafeBufferPointer { t in
                buffer.withUnsafeMutableBufferPointer { b in
                    withUnsafePointer(to: UInt8(0)) { z in Base64.decode(t.baseAddress ?? z, t.count, into: b.baseAddress!, capacity: room) }
                }
            }
            #expect(written == (bytes.isEmpty ? nil : bytes.count))
            if let written { #expect(Array(buffer[..<written]) == bytes && buffer[room] == 0xAA) }
            if room > 0 {
                let short = text.withUnsafeBufferPointer { t in
                    buffer.withUnsafeMutableBufferPointer { Base64.decode(t.baseAddress!, t.count, into: $0.baseAddress!, capacity: room - 1) }
                }
                #expect(short == nil)
            }
        }
        for bad in ["QQ", "QQ=", "Q===", "QQ=A", "QU!=", "=QQ=", "QUJD\n", "QU JD", "QUJ=QUJD"] {
            let text = Array(bad.utf8)
            let before = pool
            let ok = text.withUnsafeBufferPointer { Base64.decode($0.baseAddress!, $0.count, appendingTo: &pool) }
            #expect(!ok && pool == before, "\(bad)")
            #expect(Base64.decode(text[...]) == nil, "\(bad)")
        }
        // Only `=`: nothing, as Python's b64decode reads it (Whisper's multilingual file).
        for empty in ["=", "==", "===="] {
            let before = pool
            let ok = Array(empty.utf8).withUnsafeBufferPointer { Base64.decode($0.baseAddress!, $0.count, appendingTo: &pool) }
            #expect(ok && pool == before)
            #expect(Base64.decode(Array(empty.utf8)[...]) == [])
        }
    }
}
