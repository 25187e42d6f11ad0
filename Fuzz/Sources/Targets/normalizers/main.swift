// Fuzzes the normalizers on raw bytes. First byte (mod 4):
//   0  the Korean preset with default options, and the Hanja stage (hangul, annotate), on the rest;
//   1  the Korean preset with the options in the second byte's bits, on the rest;
//   2  a SentencePiece normalizer over a fuzzed precompiled charsmap: bytes 1–2 are the
//      blob's length (little-endian), then the blob, then the text;
//   3  the SentencePiece normalizer of a fixture model (NFKC charsmap) with the settings
//      in the second byte's bits, and the Hugging Face Precompiled normalizer, on the rest.
import Foundation
import FuzzSupport
import Tokki

let korean = KoreanNormalizer()
let hanjaStages = [HanjaNormalizer(.hangul), HanjaNormalizer(.annotate)]
nonisolated(unsafe) var koreanVariants: [UInt8: KoreanNormalizer] = [:]
/// Mode 3's normalizers by settings bits (parsing the 240 KB charsmap per input ran at 60 inputs/s).
nonisolated(unsafe) var fixtureVariants: [UInt8: SentencePieceNormalizer] = [:]
let fixtureSettings = setup("unigram_nfkc.model") {
    try SentencePieceModel(contentsOf: fixture("sentencepiece/unigram_nfkc.model")).normalizer
}
let fixtureCharsmap = setup("the NFKC charsmap") { try PrecompiledCharsmap(fixtureSettings.precompiledCharsmap) }

func koreanVariant(_ bits: UInt8) -> KoreanNormalizer {
    if let n = koreanVariants[bits] { return n }
    var o = KoreanNormalizer.Options()
    o.compatibilityFolding = bits & 1 != 0
    o.keepCompatibilityJamo = bits & 2 != 0
    o.keepEnclosedAlphanumerics = bits & 4 != 0
    o.keepEnclosedCJK = bits & 8 != 0
    o.keepCompatibilityIdeographs = bits & 16 != 0
    o.keepSquareUnits = bits & 32 != 0
    o.foldQuotes = bits & 64 != 0
    o.removeControlCharacters = bits & 128 != 0
    o.mapHalfwidthHangul = bits & 128 == 0
    let n = KoreanNormalizer(options: o)
    koreanVariants[bits] = n
    return n
}

func runSentencePiece(_ normalizer: SentencePieceNormalizer, _ text: [UInt8]) {
    var output = SentencePieceNormalizer.Output()
    text.withUnsafeBufferPointer { normalizer.normalize($0, into: &output) }
    _ = try? normalizer.normalize(bytes: text)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = inputBytes(start, count)
    guard let selector = bytes.first else { return 0 }
    switch selector % 4 {
    case 0:
        let text = Array(bytes.dropFirst())
        _ = try? korean.normalize(bytes: text)
        for stage in hanjaStages { _ = try? stage.normalize(bytes: text) }
    case 1:
        guard bytes.count >= 2 else { return 0 }
        _ = try? koreanVariant(bytes[1]).normalize(bytes: Array(bytes.dropFirst(2)))
    case 2:
        guard bytes.count >= 3 else { return 0 }
        let length = min(Int(bytes[1]) | Int(bytes[2]) << 8, bytes.count - 3)
        let blob = Array(bytes[3..<(3 + length)])
        let text = Array(bytes[(3 + length)...])
        let settings = SentencePieceModel.NormalizerSettings(name: "fuzz", precompiledCharsmap: blob,
                                                             addDummyPrefix: selector & 4 != 0,
                                                             removeExtraWhitespaces: selector & 8 != 0,
                                                             escapeWhitespaces: selector & 16 != 0)
        guard let normalizer = try? SentencePieceNormalizer(settings: settings, treatWhitespaceAsSuffix: selector & 32 != 0) else { return 0 }
        runSentencePiece(normalizer, text)
        if let charsmap = try? PrecompiledCharsmap(blob) { _ = try? PrecompiledNormalizer(charsmap).normalize(bytes: text) }
    default:
        guard bytes.count >= 2 else { return 0 }
        let bits = bytes[1] & 0x1F
        let normalizer: SentencePieceNormalizer
        if let cached = fixtureVariants[bits] {
            normalizer = cached
        } else {
            var settings = fixtureSettings
            settings.addDummyPrefix = bits & 1 != 0
            settings.removeExtraWhitespaces = bits & 2 != 0
            settings.escapeWhitespaces = bits & 4 != 0
            let symbols = bits & 16 != 0 ? ["▁▁", "ab", "가나", " "] : []
            normalizer = setup("the fixture normalizer") {
                try SentencePieceNormalizer(settings: settings, treatWhitespaceAsSuffix: bits & 8 != 0, userDefinedSymbols: symbols)
            }
            fixtureVariants[bits] = normalizer
        }
        let text = Array(bytes.dropFirst(2))
        runSentencePiece(normalizer, text)
        _ = try? PrecompiledNormalizer(fixtureCharsmap).normalize(bytes: text)
    }
    return 0
}

runFuzzer { data, size in fuzz(data, size) }
