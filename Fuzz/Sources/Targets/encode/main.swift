// Encodes arbitrary bytes with one fixture model per family, chosen by the first byte:
// SentencePiece unigram / BPE (also one keeping every space, checked against the whole-line
// path), byte-level BPE, WordPiece, Metaspace BPE and Unigram tokenizer.json (WordPiece and
// Metaspace BPE checked against the general path), tiktoken. Byte APIs get the raw bytes (they
// accept malformed UTF-8); String APIs get them decoded with U+FFFD; UTF-8-only fast paths get
// well-formed input only.
import Foundation
import FuzzSupport
import Tokki

let models = FixtureModels.shared

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = inputBytes(start, count)
    guard let selector = bytes.first else { return 0 }
    let body = Array(bytes.dropFirst())
    let text = String(decoding: body, as: UTF8.self)
    let wellFormed = String(validating: body, as: UTF8.self) != nil
    body.withUnsafeBufferPointer { input in
        switch selector % 7 {
        case 0, 1:
            // Selector 1 with bit 6 set: the BPE model that keeps every space, whose ids-only
            // path (spaced words, cached) must give the whole-line path's ids, twice over.
            let keepsSpaces = selector % 7 == 1 && selector & 0x40 != 0
            let sp = selector % 7 == 0 ? models.unigram : keepsSpaces ? models.bpeKeepingSpaces : models.bpe
            let whole = sp.encode(bytes: input, addBOS: true, addEOS: true)
            var ids: [Int32] = []
            var scratch = SentencePieceTokenizer.Scratch()
            sp.encodeIDs(input, into: &ids, scratch: &scratch, addBOS: true, addEOS: true)
            if keepsSpaces {
                var again: [Int32] = []
                sp.encodeIDs(input, into: &again, scratch: &scratch, addBOS: true, addEOS: true)
                precondition(ids == whole.ids.map { Int32($0) } && again == ids, "spaced words differ from the whole line")
            }
            if selector & 0x80 != 0 && body.count < 512 {
                _ = sp.nbestEncodeIDs(text, size: 3)
                _ = sp.sampleEncodeIDs(text, alpha: 0.1, seed: UInt64(selector))
            }
        case 2, 3, 4, 5:
            let hf = [models.byteLevel, models.wordPiece, models.metaspace, models.hfUnigram][Int(selector % 7) - 2]
            _ = try? hf.encode(text, addSpecialTokens: selector & 0x80 != 0)
            _ = try? hf.encode(text, pair: text, addSpecialTokens: true)
            if wellFormed {
                var ids: [Int32] = []
                var scratch = HuggingFaceTokenizer.Scratch()
                try? hf.encodeIDs(input, into: &ids, scratch: &scratch, addSpecialTokens: selector & 0x80 != 0)
                // WordPiece and Metaspace BPE take the raw-word path: its ids, from misses and
                // then from the cache, must be the general path's.
                if selector & 0x80 == 0 && (selector % 7 == 3 || selector % 7 == 4),
                   let general = try? hf.encode(text, addSpecialTokens: false) {
                    var again: [Int32] = []
                    try? hf.encodeIDs(input, into: &again, scratch: &scratch)
                    let expected = general.ids.map { Int32($0) }
                    precondition(ids == expected && again == expected, "raw words differ from the general path")
                }
            }
        default:
            _ = try? models.tiktoken.encodeOrdinary(text)
            if wellFormed {
                var ids: [Int32] = []
                var scratch = HuggingFaceTokenizer.Scratch()
                try? models.tiktoken.encodeOrdinary(input, into: &ids, scratch: &scratch)
            }
        }
    }
    return 0
}

runFuzzer { data, size in fuzz(data, size) }
