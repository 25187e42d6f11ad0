import Testing
@testable import Tokki
import TokkiTestSupport

@Suite("UTF-8 validation")
struct UTF8ValidationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let bytes: [UInt8]
        let firstInvalid: Int?
        var testDescription: String { bytes.map { String($0, radix: 16) }.joined(separator: " ") }
    }

    static let cases: [Case] = [
        Case(bytes: [], firstInvalid: nil),
        Case(bytes: Array("가나 abc ①".utf8), firstInvalid: nil),
        Case(bytes: [0x80], firstInvalid: 0),                       // lone continuation
        Case(bytes: [0x61, 0xC0, 0x80], firstInvalid: 1),           // overlong NUL
        Case(bytes: [0xC1, 0xBF], firstInvalid: 0),                 // overlong
        Case(bytes: [0xE0, 0x80, 0x80], firstInvalid: 0),           // overlong 3-byte
        Case(bytes: [0xED, 0xA0, 0x80], firstInvalid: 0),           // surrogate U+D800
        Case(bytes: [0xF4, 0x90, 0x80, 0x80], firstInvalid: 0),     // above U+10FFFF
        Case(bytes: [0xF5, 0x80, 0x80, 0x80], firstInvalid: 0),
        Case(bytes: [0x61, 0xEA, 0xB0], firstInvalid: 1),           // truncated 가
        Case(bytes: Array("aaaaaaaaaaaaaaaa".utf8) + [0xFF], firstInvalid: 16),
        Case(bytes: Array("가가가".utf8) + [0xEA, 0x41], firstInvalid: 9),
        Case(bytes: [0xF0, 0x9F, 0x98, 0x80], firstInvalid: nil),   // 😀
    ]

    @Test(arguments: cases)
    func firstInvalidOffset(_ c: Case) {
        #expect(UTF8Validation.firstInvalidOffset(in: c.bytes) == c.firstInvalid)
    }

    @Test func agreesWithTheStandardLibraryOnRandomBytes() {
        var rng = SplitMix64(seed: 7)
        let alphabet: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x9F, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xEA, 0xED, 0xEF,
                                 0xF0, 0xF4, 0xF5, 0xFF, 0xA0, 0x90, 0x8F, 0xB0]
        for _ in 0..<20_000 {
            let bytes = (0..<Int(rng.next() % 10)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            let valid = String(validating: bytes, as: UTF8.self) != nil
            #expect((UTF8Validation.firstInvalidOffset(in: bytes) == nil) == valid, "\(bytes)")
        }
    }

    @Test func normalizeRejectsInvalidBytesWithTheirOffset() {
        #expect(throws: TokkiError.invalidUTF8(source: nil, line: nil, byteOffset: 3)) {
            try KoreanNormalizer().normalize(bytes: Array("가".utf8) + [0xFF, 0x41])
        }
    }

    @Test func repairSubstitutesReplacementCharacter() {
        #expect(UTF8Validation.repaired([0x61, 0xFF, 0x62]) == Array("a\u{FFFD}b".utf8))
        #expect(UTF8Validation.repaired([0x61, 0x62]) == [0x61, 0x62])
    }
}

@Suite("UTF-8 validation automaton")
struct UTF8AutomatonTests {
    /// Every two-byte sequence, and every three- and four-byte sequence over a lead from C0 and
    /// chosen later bytes, placed across a 16-byte block boundary, inside a block, and at the
    /// very end of a text (the SIMD path's padded last block): ``UTF8Validation/isWellFormed(_:)``
    /// (SIMD where the processor has it), the automaton and the standard library agree.
    @Test func simdAndAutomatonAgreeOnEverySequenceAcrossBlocks() {
        // Valid fillers: ASCII and Hangul, so that the sequence starts at varied offsets.
        // Well-formed text of `k` bytes ending in ASCII, or in a syllable.
        let hangul = Array("한국어 법률 제1조".utf8)   // 24 bytes
        func before(_ k: Int, syllable: Bool) -> [UInt8] {
            let pad = k - hangul.count - (syllable ? 3 : 0)
            return hangul + [UInt8](repeating: 0x78, count: pad) + (syllable ? Array("가".utf8) : [])
        }
        let prefixes = [45, 32, 31, 30].flatMap { k in [before(k, syllable: false), before(k, syllable: true)] }
        let after = Array(" 가나다 abc".utf8)
        var checked = 0
        func check(_ unit: [UInt8]) {
            // The sequence starts at byte 45 (mid-block), 32 (a block's start), 31 or 30
            // (across a boundary); then more text, or the end of the text.
            for prefix in prefixes {
                for tail in [after, []] {
                    let bytes = prefix + unit + tail
                    let expected = String(validating: bytes, as: UTF8.self) != nil
                    bytes.withUnsafeBufferPointer { b in
                        let simd = UTF8Validation.isWellFormed(b), automaton = UTF8Validation.isWellFormedByAutomaton(b)
                        if simd != expected || automaton != expected {
                            Issue.record("\(bytes.map { String($0, radix: 16) }): simd \(simd), automaton \(automaton), expected \(expected)")
                        }
                    }
                    checked += 1
                }
            }
        }
        let later: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xFF]
        for b0 in 0...255 {
            for b1 in 0...255 { check([UInt8(b0), UInt8(b1)]) }
        }
        for b0 in 0xC0...0xFF {
            for b1 in 0...255 { for b2: UInt8 in [0x41, 0x80, 0xBF, 0xC0, 0xE0] { check([UInt8(b0), UInt8(b1), b2]) } }
        }
        for b0 in 0xF0...0xF7 {
            for b1 in later { for b2 in later { for b3 in later { check([UInt8(b0), b1, b2, b3]) } } }
        }
        #expect(checked > 2_000_000)
    }

    /// Long mixed texts (ASCII runs past the 16-byte skip, Hangul, emoji) with one random
    /// byte changed: the automaton, the scalar scan and the standard library agree.
    @Test func agreesWithTheScalarScanOnLongTexts() {
        var rng = SplitMix64(seed: 5)
        let pieces = ["a", "abcdefghijklmnopqrstuvwxyz0123", "가", "대한민국 ", "😀", "é", "\n", " "]
        for _ in 0..<5_000 {
            var bytes = Array((0..<Int(rng.next() % 40)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined().utf8)
            if !bytes.isEmpty && rng.next() % 2 == 0 { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            let valid = String(validating: bytes, as: UTF8.self) != nil
            bytes.withUnsafeBufferPointer { b in
                #expect(UTF8Validation.isWellFormed(b) == valid)
                #expect(UTF8Validation.firstInvalidOffset(in: b) == UTF8Validation.firstInvalidOffsetScanning(b))
            }
        }
    }

    /// After Hangul syllables, every three bytes with a lead byte from E0 to EF (surrogates,
    /// overlongs, truncated and misplaced continuation bytes), then more syllables; and the
    /// same sequences cut short at the end of the text.
    @Test func everyThreeByteSequenceAfterHangulAgreesWithTheStandardLibrary() {
        let before = Array("한국 법".utf8), after = Array(" 가나".utf8)
        for b0 in 0xE0...0xEF {
            for b1 in 0..<256 {
                for b2 in [0x00, 0x20, 0x7F, 0x80, 0x9E, 0x9F, 0xA3, 0xA4, 0xBF, 0xC0, 0xEA, 0xFF] {
                    let bytes = before + [UInt8(b0), UInt8(b1), UInt8(b2)] + after
                    let valid = String(validating: bytes, as: UTF8.self) != nil
                    bytes.withUnsafeBufferPointer { b in
                        #expect(UTF8Validation.isWellFormed(b) == valid, "\(bytes)")
                        // A sequence cut short at the end of the text.
                        let cut = UnsafeBufferPointer(rebasing: b[..<(before.count + 2)])
                        #expect(UTF8Validation.isWellFormed(cut) == (String(validating: Array(cut), as: UTF8.self) != nil))
                    }
                }
            }
        }
    }

    /// Every lead byte followed by every second byte, then a continuation byte and more.
    @Test func everyTwoByteStartAgreesWithTheStandardLibrary() {
        for b0 in 0..<256 {
            for b1 in 0..<256 {
                let bytes: [UInt8] = [UInt8(b0), UInt8(b1), 0x80, 0x80, 0x41]
                let valid = String(validating: bytes, as: UTF8.self) != nil
                #expect(bytes.withUnsafeBufferPointer { UTF8Validation.isWellFormed($0) } == valid, "\(bytes)")
            }
        }
    }
}
