import Foundation
import Testing
import TokkiTestSupport
@_spi(Fuzzing) @testable import Tokki

/// The model cache for SentencePiece `.model` files: the vocabulary's tables (a unigram
/// model's trie, a BPE model's hash tables) come from the file's image on the second load and
/// encode exactly as the built ones; an image that does not fit the model, or whose tables
/// would send a look-up outside the per-piece arrays, is passed over or rejected.
@Suite("Model cache: SentencePiece models")
struct SentencePieceModelCacheTests {
    static let models = ["unigram_nfkc_bf.model", "unigram_identity.model", "bpe_nfkc_bf.model", "bpe_identity_uds.model",
                         "char_identity.model"]
    static let texts = ["대한민국 헌법 제1조\r\n①項 🙂", "ＡＢＣ　ｶﾀｶﾅ\ttab  spaces", "", "Hello, world! 123 <unk> <s>",
                        String(repeating: "법률안 ", count: 40), "\u{0}가\u{FFFD}"]

    static func cache() -> ModelCache {
        ModelCache(directory: NSTemporaryDirectory() + "tokki-sp-cache-\(UUID().uuidString)", minimumSize: 0)
    }

    static func images(_ cache: ModelCache) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: cache.directory)) ?? []).filter { $0.hasSuffix(".tkc") }.sorted()
    }

    static func expectSame(_ a: SentencePieceTokenizer, _ b: SentencePieceTokenizer, _ label: String) {
        for text in texts {
            let x = a.encode(text), y = b.encode(text)
            #expect(x.ids == y.ids && x.offsets == y.offsets, "\(label): \(text)")
            #expect(a.encodeIDs(text) == b.encodeIDs(text), "\(label): \(text)")
        }
        for piece in ["<s>", "</s>", "<unk>", "▁가", "가", "▁", "<0x41>", "nope"] {
            #expect(a.id(for: piece) == b.id(for: piece), "\(label): id of \(piece)")
        }
    }

    /// First load: built, and an image written (kind SentencePiece); second load: the tables
    /// read from the image (checked: another model's image is refused there) give the same ids,
    /// offsets and piece look-ups.
    @Test(arguments: models)
    func aModelFromItsImageEncodesTheSame(_ name: String) throws {
        let cache = Self.cache()
        defer { try? FileManager.default.removeItem(atPath: cache.directory) }
        let path = Fixtures.url("sentencepiece/" + name).path
        let options = TokenizerLoadOptions(cache: cache)
        let plain = try SentencePieceTokenizer(contentsOf: URL(fileURLWithPath: path))
        let first = try #require(try loadTokenizer(at: path, options: options) as? SentencePieceTokenizer)
        let images = Self.images(cache)
        #expect(images.count == 1 && images[0].hasPrefix("f-"))
        let second = try #require(try loadTokenizer(at: path, options: options) as? SentencePieceTokenizer)
        Self.expectSame(plain, first, "\(name), built")
        Self.expectSame(plain, second, "\(name), from the image")
        // The image's tables are what the second load used: read them back and compare.
        let key = try #require(cache.key(forFile: path))
        var reader = try #require(cache.image(for: key))
        let tables = try SentencePieceVocabulary.Tables(image: &reader, model: plain.model)
        #expect(tables.trie == plain.vocabulary.matchable)
        #expect(tables.prefixSearch == (plain.model.modelType == .unigram))
    }

    /// An image written for one model is refused for another (its pieces' fingerprint differs,
    /// here with the same piece count), and the file then loads as without a cache; the image
    /// is written again, right.
    @Test func anotherModelsImageIsPassedOver() throws {
        let cache = Self.cache()
        defer { try? FileManager.default.removeItem(atPath: cache.directory) }
        let dir = NSTemporaryDirectory() + "tokki-sp-src-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/m.model"
        try FileManager.default.copyItem(atPath: Fixtures.url("sentencepiece/unigram_identity.model").path, toPath: file)
        let options = TokenizerLoadOptions(cache: cache)
        // The image of another unigram model stored under this file's key.
        let other = try SentencePieceTokenizer(contentsOf: Fixtures.url("sentencepiece/unigram_nfkc_bf.model"))
        var w = ImageWriter()
        SentencePieceVocabulary.Tables.write(other.vocabulary, to: &w)
        let key = try #require(cache.key(forFile: file))
        cache.store(w, for: key, kind: .sentencePiece)
        var reader = try #require(cache.image(for: key))
        let plain = try SentencePieceTokenizer(contentsOf: URL(fileURLWithPath: file))
        #expect(throws: ImageReader.Malformed.self) { _ = try SentencePieceVocabulary.Tables(image: &reader, model: plain.model) }
        let loaded = try #require(try loadTokenizer(at: file, options: options) as? SentencePieceTokenizer)
        Self.expectSame(plain, loaded, "another model's image")
        var rewritten = try #require(cache.image(for: key))
        #expect(try SentencePieceVocabulary.Tables(image: &rewritten, model: plain.model).trie == plain.vocabulary.matchable)
    }

    /// The same piece texts with one piece's type changed (a normal piece made a control
    /// piece, which the trie must not hold): the image of the original is refused.
    @Test func anotherTypeOfOnePieceIsRefused() throws {
        let path = Fixtures.url("sentencepiece/unigram_identity.model").path
        let plain = try SentencePieceTokenizer(contentsOf: URL(fileURLWithPath: path))
        var w = ImageWriter()
        SentencePieceVocabulary.Tables.write(plain.vocabulary, to: &w)
        var proto = try Sentencepiece_ModelProto(serializedBytes: try readFileBytes(path))
        let k = try #require(proto.pieces.indices.last { proto.pieces[$0].type == .normal })
        proto.pieces[k].type = .control
        let edited = try SentencePieceModel(proto: proto, path: nil)
        var same = ImageReader(bytes: ReadOnlyBytes(w.bytes))
        _ = try SentencePieceVocabulary.Tables(image: &same, model: plain.model)
        var other = ImageReader(bytes: ReadOnlyBytes(w.bytes))
        #expect(throws: ImageReader.Malformed.self) { _ = try SentencePieceVocabulary.Tables(image: &other, model: edited) }
    }

    /// A trie whose value units name pieces past the vocabulary, and key tables whose slots do
    /// (or that have no empty slot), are rejected; every truncation and every changed byte of
    /// a real payload throws or gives a tokenizer that encodes (under AddressSanitizer: inside
    /// its arrays).
    @Test(arguments: ["unigram_nfkc_bf.model", "bpe_nfkc_bf.model"])
    func malformedTablesAreRejectedOrStayInBounds(_ name: String) throws {
        let plain = try SentencePieceTokenizer(contentsOf: Fixtures.url("sentencepiece/" + name))
        let model = plain.model
        var w = ImageWriter()
        SentencePieceVocabulary.Tables.write(plain.vocabulary, to: &w)
        let payload = w.bytes
        var thrown = 0, loaded = 0
        func attempt(_ p: [UInt8]) {
            guard let t = try? ModelCache.sentencePieceTokenizer(imagePayload: p, model: model) else { thrown += 1; return }
            loaded += 1
            for text in ["대한민국 헌법 🙂", "abc <s>"] { _ = t.encode(text); _ = t.encodeIDs(text) }
        }
        let step = max(1, payload.count / 600)
        for cut in stride(from: 0, to: payload.count, by: step) { attempt(Array(payload.prefix(cut))) }
        #expect(loaded == 0, "every truncation throws")
        for offset in stride(from: 0, to: payload.count, by: step) {
            var p = payload
            p[offset] ^= offset % 2 == 0 ? 0x80 : 0x01
            attempt(p)
        }
        #expect(loaded > 0 && thrown > 0)

        // Hand-made: a trie value past the piece count.
        if model.modelType == .unigram {
            var units = plain.vocabulary.matchable.units
            let q = try #require(units.indices.first { DoubleArrayTrie.hasLeaf(units[$0]) && ($0 ^ DoubleArrayTrie.offset(units[$0])) < units.count })
            let p = q ^ DoubleArrayTrie.offset(units[q])
            units[p] = (1 << 31) | UInt32(model.store.count)
            #expect(!DoubleArrayTrie(units: units).valuesAreBelow(model.store.count))
            #expect(plain.vocabulary.matchable.valuesAreBelow(model.store.count))
        }
        // Hand-made key tables: an id past the pieces; no empty slot.
        func reserved(_ slots: [UInt64]) throws -> PooledKeyTable {
            var t = ImageWriter()
            t.array(slots)
            var r = ImageReader(bytes: ReadOnlyBytes(t.bytes))
            return try PooledKeyTable(image: &r, pool: model.store.pool, starts: model.store.starts)
        }
        #expect(throws: ImageReader.Malformed.self) { _ = try reserved([UInt64(model.store.count) << 32 | 5, 0]) }
        #expect(throws: ImageReader.Malformed.self) { _ = try reserved([1 << 32 | 5, 2 << 32 | 7]) }
        #expect(throws: ImageReader.Malformed.self) { _ = try reserved([0, 0, 0]) }   // not a power of two
        #expect(try reserved([0, 1 << 32 | 5]).value([0x41], 1) == nil)
    }
}
