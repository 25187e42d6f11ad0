// Writes the generated part of the seed corpus (Fuzz/Corpus/<target>/gen-*): tiny
// SentencePiece models, their tokenizer.json conversions and small precompiled charsmaps,
// built with Tokki's own writers, plus truncated and bit-flipped variants.
// Run: swift run -c debug make_seeds  (from Fuzz/; scripts/tools/fuzz.sh --seeds does it all).
import Foundation
@_spi(Fuzzing) import Tokki

let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Corpus")

func write(_ target: String, _ name: String, _ bytes: [UInt8]) {
    let dir = corpus.appendingPathComponent(target)
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent("gen-" + name)
    guard FileManager.default.createFile(atPath: url.path, contents: Data(bytes)) else {
        FileHandle.standardError.write(Data("cannot write \(url.path)\n".utf8))
        exit(1)
    }
}

/// Writes `bytes`, its first half and a copy with a few bytes flipped.
func writeVariants(_ target: String, _ name: String, _ bytes: [UInt8], prefix: [UInt8] = []) {
    write(target, name, prefix + bytes)
    write(target, name + ".half", prefix + Array(bytes.prefix(bytes.count / 2)))
    var flipped = bytes
    for k in stride(from: 7, to: flipped.count, by: max(1, flipped.count / 5)) { flipped[k] ^= 0x5A }
    write(target, name + ".flip", prefix + flipped)
}

do {
    let charsmap = try PrecompiledCharsmap.compile([
        (Array("Ａ".utf8), Array("A".utf8)), (Array("①".utf8), Array("1".utf8)),
        (Array("ㄱㅏ".utf8), Array("가".utf8)), (Array("\u{200B}".utf8), []),
        (Array("ﬁ".utf8), Array("fi".utf8)), (Array(" ".utf8), Array("▁".utf8)),
    ])
    let words = ["▁", "▁대", "한", "민", "국", "은", "▁민주", "공화", "이다", ".", "a", "b", "ab", "▁ab", "1", "A", "fi"]
    for (type, name) in [(SentencePieceModel.ModelType.unigram, "unigram"), (.bpe, "bpe"), (.word, "word"), (.char, "char")] {
        for withCharsmap in [false, true] {
            var pieces = [SentencePieceModel.Piece(piece: "<unk>", score: 0, type: .unknown),
                          SentencePieceModel.Piece(piece: "<s>", score: 0, type: .control),
                          SentencePieceModel.Piece(piece: "</s>", score: 0, type: .control),
                          SentencePieceModel.Piece(piece: "<mask>", score: 0, type: .userDefined)]
            pieces += words.enumerated().map { SentencePieceModel.Piece(piece: $0.element, score: -Float($0.offset) - 1) }
            var trainer = SentencePieceModel.TrainerSettings()
            trainer.vocabularySize = pieces.count
            if withCharsmap && type == .bpe {
                trainer.byteFallback = true
                pieces += (0..<256).map { SentencePieceModel.Piece(piece: String(format: "<0x%02X>", $0), score: 0, type: .byte) }
                trainer.vocabularySize = pieces.count
            }
            let normalizer = SentencePieceModel.NormalizerSettings(name: withCharsmap ? "custom" : "identity",
                                                                   precompiledCharsmap: withCharsmap ? charsmap : [])
            let model = try SentencePieceModel(pieces: pieces, modelType: type, normalizer: normalizer, trainer: trainer)
            let bytes = [UInt8](try model.serialized())
            let tag = name + (withCharsmap ? "-charsmap" : "")
            writeVariants("sentencepiece_model", tag + ".model", bytes)
            if type == .unigram || type == .bpe {
                writeVariants("tokenizer_json", tag + ".json", try model.huggingFaceJSON())
            }
        }
    }
    // Normalizers, mode 2: [selector][length LE16][charsmap blob][text].
    let length = [UInt8(charsmap.count & 0xFF), UInt8(charsmap.count >> 8)]
    for (k, text) in ["ＡＢ ① ㄱㅏ\u{200B}나 ﬁ", "  a  b  ", "가\u{FF}\u{80}"].enumerated() {
        write("normalizers", "charsmap-\(k)", [UInt8(2 + 4 * (k + 1))] + length + charsmap + Array(text.utf8))
    }
    var broken = charsmap
    broken[0] ^= 0x04
    write("normalizers", "charsmap-badsize", [2] + length + broken + Array("Ａ".utf8))
    write("normalizers", "charsmap-short", [2, 3, 0] + charsmap.prefix(3))
    // Model cache images (payload after the 64-byte header), selector 0: tokenizer.json, 1: tiktoken.
    let cacheDir = NSTemporaryDirectory() + "tokki-seed-cache-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: cacheDir) }
    let cache = ModelCache(directory: cacheDir, minimumSize: 0)
    for (selector, file) in [(UInt8(0), "hf/bytelevel_bpe.json"), (0, "hf/metaspace_bpe_bf.json"), (1, "tiktoken/korean-sample.tiktoken"),
                             (2, "sentencepiece/unigram_nfkc_bf.model"), (3, "sentencepiece/bpe_nfkc_bf.model")] {
        try? FileManager.default.removeItem(atPath: cacheDir)
        let source = corpus.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/" + file).path
        _ = try loadTokenizer(at: source, options: TokenizerLoadOptions(pattern: selector == 1 ? "cl100k" : nil, cache: cache))
        let images = try FileManager.default.contentsOfDirectory(atPath: cacheDir).filter { $0.hasSuffix(".tkc") }
        guard let image = images.first, let data = FileManager.default.contents(atPath: cacheDir + "/" + image) else {
            throw TokkiError.io(path: cacheDir, reason: "no image was written for \(file)")
        }
        writeVariants("model_cache", (file as NSString).lastPathComponent, Array([UInt8](data).dropFirst(64)), prefix: [selector])
    }
} catch {
    FileHandle.standardError.write(Data("make_seeds: \(error)\n".utf8))
    exit(1)
}

/// Unused: the fuzz build links libFuzzer into every executable, which needs this symbol.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt { 0 }
