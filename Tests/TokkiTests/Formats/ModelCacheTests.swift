import Foundation
import Testing
import TokkiTestSupport
@_spi(Fuzzing) @testable import Tokki

/// The model cache (``ModelCache``): a tokenizer read from a compiled image is the tokenizer
/// its file loads as; a damaged or foreign image is passed over; a malformed image payload
/// throws instead of reading outside its arrays; a cache that cannot be written changes
/// nothing but speed.
@Suite("Model cache")
struct ModelCacheTests {
    /// A fresh cache folder (removed by the caller) that takes files of any size.
    private static func cache() -> ModelCache {
        ModelCache(directory: NSTemporaryDirectory() + "tokki-cache-test-\(UUID().uuidString)", minimumSize: 0)
    }

    private static func images(_ cache: ModelCache) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: cache.directory)) ?? []).filter { $0.hasSuffix(".tkc") }.sorted()
    }

    private static let texts = ["대한민국 헌법 제1조\r\n①項 🙂", "ＡＢＣ　ｶﾀｶﾅ\ttab  spaces", "", "Hello, world! 123 <unk> \u{0}",
                                String(repeating: "법률안 ", count: 40)]

    /// Two tokenizers give the same ids, offsets and decodings on `texts`, and the same model
    /// when written back as `tokenizer.json`.
    private static func expectSame(_ a: HuggingFaceTokenizer, _ b: HuggingFaceTokenizer, _ label: String) throws {
        for text in texts {
            let x = try a.encode(text, addSpecialTokens: true), y = try b.encode(text, addSpecialTokens: true)
            #expect(x.ids == y.ids && x.offsets == y.offsets && x.pieces == y.pieces, "\(label): \(text)")
            #expect(try a.decode(x.ids) == b.decode(y.ids), "\(label): \(text)")
        }
        #expect(a.vocabularySize == b.vocabularySize, "\(label)")
        #expect(modelJSON(a) == modelJSON(b), "\(label): written back")
    }

    /// The model written as `tokenizer.json` (vocabulary and merges), for a BPE model.
    private static func modelJSON(_ t: HuggingFaceTokenizer) -> [UInt8] {
        guard let bpe = t.model as? BPEModel else { return [] }
        var w = JSONWriter()
        bpe.writeJSON(to: &w)
        return w.bytes
    }

    /// A BPE tokenizer.json loads through the cache twice (building the image, then reading
    /// it) as it loads without one; the image alone, without the file's vocabulary, gives the
    /// same tokenizer.
    @Test(arguments: ["bytelevel_bpe", "bytelevel_bpe_nfkc_split", "metaspace_bpe", "metaspace_bpe_bf", "precompiled_identity_bpe"])
    func tokenizerJSONFromAnImageIsTheSame(_ name: String) throws {
        let path = Fixtures.url("hf/\(name).json").path
        let bytes = ReadOnlyBytes(try readFileBytes(path))
        let plain = try TokenizerJSON.load(source: bytes, path: path)
        let cache = Self.cache()
        defer { try? FileManager.default.removeItem(atPath: cache.directory) }
        let first = try TokenizerJSON.load(source: bytes, path: path, cache: cache)
        #expect(Self.images(cache).count == 1)
        let second = try TokenizerJSON.load(source: bytes, path: path, cache: cache)
        try Self.expectSame(plain, first, name)
        try Self.expectSame(plain, second, name)
        var image = try #require(cache.image(for: cache.key(for: bytes, kind: .tokenizerJSON)))
        let fromImage = try TokenizerJSON.loadCompiled(&image, path: path)
        try Self.expectSame(plain, fromImage, "\(name) from the image")
        // Read from the cache, the hash tables are used where they lie in the image's mapping.
        for t in [second, fromImage] {
            let bpe = try #require(t.bpe)
            #expect(bpe.tokens.table.isMapped && bpe.merges.isMapped, "\(name): tables copied out of the image")
        }
        #expect(!(try #require(plain.bpe)).tokens.table.isMapped)
    }

    /// A table used in place in an image's mapping is copied on its first change: the change
    /// shows in the changed table only, and both answer every key as before.
    @Test func aMappedTableIsCopiedOnItsFirstChange() throws {
        let keys = (0..<3000).map { Array("키\($0)".utf8) }
        let pool = keys.flatMap { $0 }
        var starts: [Int32] = [], at: Int32 = 0
        for k in keys { starts.append(at); at += Int32(k.count) }
        let table = try ByteStringTable.build(pool: pool, starts: starts, lengths: keys.map { Int32($0.count) },
                                              values: keys.indices.map(Int32.init)).get()
        var w = ImageWriter()
        table.write(to: &w)
        let dir = NSTemporaryDirectory() + "tokki-mapped-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(w.bytes).write(to: URL(fileURLWithPath: dir + "/t.bin"))
        let mapped = try mapFileBytes(dir + "/t.bin", mapThreshold: 0)
        #expect(mapped.isMapped)
        var r = ImageReader(bytes: mapped)
        var sections = try ByteStringTable.sections(&r)
        let read = try ByteStringTable(low: try ByteStringTableHalf(image: &sections[0]), high: try ByteStringTableHalf(image: &sections[1]),
                                       pool: pool, at: 0)
        #expect(read.isMapped)
        var changed = read
        let new = Array("새 키".utf8)
        #expect(new.withUnsafeBufferPointer { changed.insert($0, 9999) })
        #expect(!changed.isMapped && read.isMapped)
        for (i, k) in keys.enumerated() {
            #expect(k.withUnsafeBufferPointer { read.value($0.baseAddress!, $0.count) } == Int32(i))
            #expect(k.withUnsafeBufferPointer { changed.value($0.baseAddress!, $0.count) } == Int32(i))
        }
        #expect(new.withUnsafeBufferPointer { changed.value($0.baseAddress!, $0.count) } == 9999)
        #expect(new.withUnsafeBufferPointer { read.value($0.baseAddress!, $0.count) } == nil)
    }

    /// The program's identity (part of every image's name) is that of the running program
    /// file: its size, modification time and inode, as `stat` of the path Foundation gives
    /// for it reports them, and not zero.
    @Test func theProgramIdentityIsTheRunningProgramFile() throws {
        let exe = try #require(Bundle.main.executablePath)
        var st = stat()
        #expect(stat(exe, &st) == 0)
        #expect(ModelCache.programIdentity == ModelCache.identity(of: st))
        #expect(ModelCache.programIdentity != (0, 0))
        // Another file (this machine's shell) has another identity.
        var other = stat()
        #expect(stat("/bin/sh", &other) == 0)
        #expect(ModelCache.identity(of: other) != ModelCache.programIdentity)
    }

    /// A load through the cache reads the image when there is one: another model's image,
    /// stored under this file's key, is what loads.
    @Test func theFolderComesFromTheEnvironment() {
        #expect(ModelCache.fromEnvironment(["HOME": "/h"])?.directory == "/h/.cache/tokki/model-cache")
        #expect(ModelCache.fromEnvironment(["HOME": "/h", "XDG_CACHE_HOME": "/x"])?.directory == "/x/tokki/model-cache")
        #expect(ModelCache.fromEnvironment(["HOME": "/h", "XDG_CACHE_HOME": "relative"])?.directory == "/h/.cache/tokki/model-cache")
        #expect(ModelCache.fromEnvironment(["HOME": "/h", "TOKKI_CACHE_DIR": "/c"])?.directory == "/c")
        for off in ["0", "off", "No", "FALSE"] {
            #expect(ModelCache.fromEnvironment(["HOME": "/h", "TOKKI_CACHE_DIR": "/c", "TOKKI_MODEL_CACHE": off]) == nil)
        }
        #expect(ModelCache.fromEnvironment([:]) == nil)
        #expect(ModelCache.fromEnvironment(["HOME": "/h"])?.maximumBytes == ModelCache.defaultMaximumBytes)
        #expect(ModelCache.fromEnvironment(["HOME": "/h", "TOKKI_CACHE_MAX_MB": "5"])?.maximumBytes == 5 << 20)
        #expect(ModelCache.fromEnvironment(["TOKKI_CACHE_DIR": "/c", "TOKKI_CACHE_MAX_MB": "0"])?.maximumBytes == 0)
        #expect(ModelCache.fromEnvironment(["XDG_CACHE_HOME": "/x", "TOKKI_CACHE_MAX_MB": "7"])?.maximumBytes == 7 << 20)
        for bad in ["-1", "1.5", "abc", "", "99999999999999999999"] {
            #expect(ModelCache.fromEnvironment(["HOME": "/h", "TOKKI_CACHE_MAX_MB": bad])?.maximumBytes == ModelCache.defaultMaximumBytes)
        }
    }

    @Test func theImageIsWhatLoads() throws {
        let a = Fixtures.url("hf/bytelevel_bpe.json").path, b = Fixtures.url("hf/metaspace_bpe.json").path
        let aBytes = ReadOnlyBytes(try readFileBytes(a)), bBytes = ReadOnlyBytes(try readFileBytes(b))
        let cache = Self.cache()
        defer { try? FileManager.default.removeItem(atPath: cache.directory) }
        _ = try TokenizerJSON.load(source: aBytes, path: a, cache: cache)
        let file = cache.directory + "/" + (try #require(Self.images(cache).first))
        let payload = Array(try readFileBytes(file).dropFirst(ModelCache.headerSize))
        var w = ImageWriter()
        w.append(payload)
        cache.store(w, for: cache.key(for: bBytes, kind: .tokenizerJSON), kind: .tokenizerJSON)
        let loaded = try TokenizerJSON.load(source: bBytes, path: b, cache: cache)
        try Self.expectSame(try TokenizerJSON.load(source: aBytes, path: a), loaded, "a's image under b's key")
    }

    /// Byte-level models with `ignore_merges` keep their raw-byte table in the image, and a
    /// continuing-subword prefix survives too.
    @Test func ignoreMergesAndPrefixSurvive() throws {
        let path = Fixtures.url("hf/bytelevel_bpe.json").path
        var text = String(decoding: try readFileBytes(path), as: UTF8.self)
        #expect(text.contains("\"ignore_merges\": false") || text.contains("\"ignore_merges\":false"))
        text = text.replacingOccurrences(of: "\"ignore_merges\": false", with: "\"ignore_merges\": true")
            .replacingOccurrences(of: "\"ignore_merges\":false", with: "\"ignore_merges\":true")
        let bytes = ReadOnlyBytes(Array(text.utf8))
        let plain = try TokenizerJSON.load(source: bytes, path: "ignore_merges.json")
        let cache = Self.cache()
        defer { try? FileManager.default.removeItem(atPath: cache.directory) }
        _ = try TokenizerJSON.load(source: bytes, path: "ignore_merges.json", cache: cache)
        var image = try #require(cache.image(for: cache.key(for: bytes, kind: .tokenizerJSON)))
        let fromImage = try TokenizerJSON.loadCompiled(&image, path: "ignore_merges.json")
        let bpe = try #require(fromImage.model as? BPEModel)
        #expect(bpe.rawTokens != nil)
        try Self.expectSame(plain, fromImage, "ignore_merges")
    }

    /// A file copied to a temporary folder (removed by the caller).
    private static func copy(_ fixture: String) throws -> String {
        let path = NSTemporaryDirectory() + "tokki-cache-src-\(UUID().uuidString)-" + (fixture as NSString).lastPathComponent
        try FileManager.default.copyItem(atPath: Fixtures.url(fixture).path, toPath: path)
        return path
    }

    /// A file loaded through the cache is found by its identity: the second load reads the
    /// image named after the file (another model's payload stored under that name is what
    /// loads, so the file itself was not read), and equals the file's tokenizer.
    @Test func aFileIsFoundByItsIdentity() throws {
        let cache = Self.cache()
        defer { try? FileManager.default.removeItem(atPath: cache.directory) }
        let file = try Self.copy("hf/bytelevel_bpe.json")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let options = TokenizerLoadOptions(cache: cache)
        let plain = try TokenizerJSON.load(bytes: try readFileBytes(file), path: file)
        let first = try #require(try loadTokenizer(at: file, options: options) as? HuggingFaceTokenizer)
        #expect(Self.images(cache).count == 1 && Self.images(cache)[0].hasPrefix("f-"))
        let second = try #require(try loadTokenizer(at: file, options: options) as? HuggingFaceTokenizer)
        try Self.expectSame(plain, first, "first load")
        try Self.expectSame(plain, second, "from the image")
        // Another model's payload under this file's name is what loads.
        let other = Fixtures.url("hf/metaspace_bpe.json").path
        let otherBytes = ReadOnlyBytes(try readFileBytes(other))
        let elsewhere = Self.cache()
        defer { try? FileManager.default.removeItem(atPath: elsewhere.directory) }
        _ = try TokenizerJSON.load(source: otherBytes, path: other, cache: elsewhere)
        let payload = Array(try readFileBytes(elsewhere.directory + "/" + (try #require(Self.images(elsewhere).first)))
            .dropFirst(ModelCache.headerSize))
        var w = ImageWriter()
        w.append(payload)
        cache.store(w, for: try #require(cache.key(forFile: file)), kind: .tokenizerJSON)
        let swapped = try #require(try loadTokenizer(at: file, options: options) as? HuggingFaceTokenizer)
        try Self.expectSame(try TokenizerJSON.load(source: otherBytes, path: other), swapped, "the other model's image")
    }

    /// A file that is rewritten gets a new key (its size and times change): the new content
    /// loads, not the old image. Special tokens for a tokenizer.json are still refused.
    @Test func aRewrittenFileGetsANewImage() throws {
        let cache = Self.cache()
        defer { try? FileManager.default.removeItem(atPath: cache.directory) }
        let file = try Self.copy("hf/bytelevel_bpe.json")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let options = TokenizerLoadOptions(cache: cache)
        let before = try #require(cache.key(forFile: file))
        _ = try loadTokenizer(at: file, options: options)
        let replacement = try readFileBytes(Fixtures.url("hf/metaspace_bpe.json").path)
        try Data(replacement).write(to: URL(fileURLWithPath: file))
        let after = try #require(cache.key(forFile: file))
        #expect(before.fileName != after.fileName)
        let loaded = try #require(try loadTokenizer(at: file, options: options) as? HuggingFaceTokenizer)
        try Self.expectSame(try TokenizerJSON.load(bytes: replacement, path: file), loaded, "rewritten")
        #expect(Self.images(cache).count == 2)
        #expect(throws: TokkiError.self) {
            _ = try loadTokenizer(at: file, options: TokenizerLoadOptions(specialTokens: ["<x>": 99_999], cache: cache))
        }
        // Not a regular file, or too small: no file key.
        #expect(cache.key(forFile: NSTemporaryDirectory()) == nil)
        #expect(ModelCache(directory: cache.directory).key(forFile: file) == nil)
    }

    /// A tiktoken file through the cache, by its identity: the same ids, and added special
    /// tokens still apply to a tokenizer read from the image.
    @Test func aTiktokenFileIsFoundByItsIdentity() throws {
        let cache = Self.cache()
        defer { try? FileManager.default.removeItem(atPath: cache.directory) }
        let file = try Self.copy("tiktoken/korean-sample.tiktoken")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let special = ["<|end|>": 900_000]
        let options = TokenizerLoadOptions(pattern: "cl100k", specialTokens: special, cache: cache)
        let plain = try loadTokenizer(at: file, options: TokenizerLoadOptions(pattern: "cl100k", specialTokens: special))
        for round in 0..<2 {
            let t = try loadTokenizer(at: file, options: options)
            #expect(Self.images(cache).count == 1 && Self.images(cache)[0].hasPrefix("f-"))
            #expect(t.vocabularySize == 900_001 && plain.vocabularySize == 900_001)
            #expect((t as? TiktokenTokenizer)?.specialTokens == special)
            for text in Self.texts + ["대한민국<|end|>"] {
                #expect(try t.encodeIDs(text, options: EncodeOptions()) == plain.encodeIDs(text, options: EncodeOptions()),
                        "round \(round): \(text)")
            }
        }
    }

    /// Models other than BPE (WordPiece, Unigram, WordLevel) make no image and load as before.
    @Test(arguments: ["wordpiece_bert", "unigram", "wordlevel"])
    func otherModelsMakeNoImage(_ name: String) throws {
        let path = Fixtures.url("hf/\(name).json").path
        let bytes = ReadOnlyBytes(try readFileBytes(path))
        let cache = Self.cache()
        defer { try? FileManager.default.removeItem(atPath: cache.directory) }
        let a = try TokenizerJSON.load(source: bytes, path: path, cache: cache)
        let b = try TokenizerJSON.load(source: bytes, path: path)
        #expect(Self.images(cache).isEmpty)
        for text in Self.texts { #expect(try a.encode(text).ids == b.encode(text).ids) }
    }

    /// A tiktoken rank file through the cache: the same ranks and ids, on load and reload.
    @Test func tiktokenRanksFromAnImageAreTheSame() throws {
        let path = Fixtures.url("tiktoken/korean-sample.tiktoken").path
        let bytes = ReadOnlyBytes(try readFileBytes(path))
        let cache = Self.cache()
        defer { try? FileManager.default.removeItem(atPath: cache.directory) }
        let plain = try TiktokenTokenizer(ranks: TiktokenRanks(source: bytes, path: path), pattern: PretokenizationPattern.cl100k)
        for round in 0..<2 {
            let ranks = try TiktokenRanks(source: bytes, path: path, cache: cache)
            #expect(Self.images(cache).count == 1)
            let cached = try TiktokenTokenizer(ranks: ranks, pattern: PretokenizationPattern.cl100k)
            #expect(ranks.count == plain.ranks.count)
            for text in Self.texts {
                #expect(try cached.encodeOrdinary(text) == plain.encodeOrdinary(text), "round \(round): \(text)")
            }
            for id in 0..<ranks.count { #expect(ranks.tokenTable.bytes(of: id) == plain.ranks.tokenTable.bytes(of: id)) }
        }
    }

    /// An image with one byte changed fails its checksum: it is passed over, the file loads
    /// as without a cache, and a good image is written in its place. An image of another file
    /// (same name, other content) is passed over too.
    @Test func damagedImagesArePassedOver() throws {
        let path = Fixtures.url("hf/bytelevel_bpe.json").path
        let bytes = ReadOnlyBytes(try readFileBytes(path))
        let plain = try TokenizerJSON.load(source: bytes, path: path)
        let cache = Self.cache()
        defer { try? FileManager.default.removeItem(atPath: cache.directory) }
        _ = try TokenizerJSON.load(source: bytes, path: path, cache: cache)
        let file = cache.directory + "/" + (try #require(Self.images(cache).first))
        let good = try readFileBytes(file)
        for offset in [0, 20, ModelCache.headerSize, ModelCache.headerSize + 100, good.count - 1] {
            var bad = good
            bad[offset] ^= 0x40
            try Data(bad).write(to: URL(fileURLWithPath: file))
            #expect(cache.image(for: cache.key(for: bytes, kind: .tokenizerJSON)) == nil, "byte \(offset)")
            try Self.expectSame(plain, try TokenizerJSON.load(source: bytes, path: path, cache: cache), "byte \(offset) changed")
            #expect(try readFileBytes(file) == good, "byte \(offset): the image is written again")
        }
        try Data(good.dropLast(8)).write(to: URL(fileURLWithPath: file))
        #expect(cache.image(for: cache.key(for: bytes, kind: .tokenizerJSON)) == nil)
        // Another file's key: no image.
        var other = bytes.arrayCopy
        other.append(0x20)
        #expect(cache.image(for: cache.key(for: ReadOnlyBytes(other), kind: .tokenizerJSON)) == nil)
        #expect(cache.key(for: bytes, kind: .tokenizerJSON).fileName != cache.key(for: bytes, kind: .tiktoken).fileName)
    }

    /// Payloads that pass the checksum but are malformed (every byte changed in turn, every
    /// truncation) throw, or give a tokenizer that encodes without reading outside its
    /// arrays: every index is checked against the array it points into.
    @Test func malformedPayloadsThrowOrStayInBounds() throws {
        let path = Fixtures.url("hf/metaspace_bpe_bf.json").path
        let bytes = ReadOnlyBytes(try readFileBytes(path))
        let cache = Self.cache()
        defer { try? FileManager.default.removeItem(atPath: cache.directory) }
        _ = try TokenizerJSON.load(source: bytes, path: path, cache: cache)
        let file = cache.directory + "/" + (try #require(Self.images(cache).first))
        let payload = Array(try readFileBytes(file).dropFirst(ModelCache.headerSize))
        var thrown = 0, loaded = 0
        // Each payload as an array (its tables copied, where AddressSanitizer sees every byte
        // past the end) and mapped (its tables used in place, as the cache uses image files):
        // both throw, or both load.
        func attempt(_ p: [UInt8]) {
            var results: [Bool] = []
            for bytes in [ReadOnlyBytes(p), ReadOnlyBytes(mappedCopyOf: p)] {
                var reader = ImageReader(bytes: bytes)
                guard let t = try? TokenizerJSON.loadCompiled(&reader, path: path) else { results.append(false); continue }
                results.append(true)
                for text in ["대한민국 헌법 🙂", "abc"] { _ = try? t.encode(text, addSpecialTokens: true) }
            }
            #expect(results.count == 2 && results[0] == results[1])
            if results.first == true { loaded += 1 } else { thrown += 1 }
        }
        // About 1,500 attempts in all (each parses the skeleton and checks every table).
        let step = max(1, payload.count / 700)
        for cut in stride(from: 0, to: payload.count, by: step) { attempt(Array(payload.prefix(cut))) }
        #expect(thrown == (payload.count + step - 1) / step, "every truncation throws")
        for offset in stride(from: 0, to: payload.count, by: step) {
            var p = payload
            p[offset] ^= offset % 2 == 0 ? 0x80 : 0x01
            attempt(p)
        }
        #expect(loaded > 0 && thrown > 0)
    }

    /// Each table's own reader rejects what would send a look-up outside an array: a slot
    /// naming a missing entry, an entry past the pool, a token range past the pool, a table
    /// with no empty slot, a merge table rank past the merges.
    @Test func inconsistentTablesAreRejected() throws {
        let table = try TokenTable(tokens: [(ArraySlice(Array("가".utf8)), 0), (ArraySlice(Array("나".utf8)), 1), (ArraySlice(Array("가나".utf8)), 2)])
        var w = ImageWriter()
        table.write(to: &w)
        var r = ImageReader(bytes: ReadOnlyBytes(w.bytes))
        let back = try TokenTable(image: &r)
        #expect(back.id(Array("가나".utf8)) == 2 && back.id(Array("나".utf8)) == 1 && back.id(Array("다".utf8)) == nil)
        // The pool (first array) cut by one byte: token 2 runs past it.
        var shortPool = ImageWriter()
        shortPool.array(Array(table.pool.dropLast()))
        shortPool.array(table.starts)
        shortPool.array(table.lengths)
        table.table.write(to: &shortPool)
        var r2 = ImageReader(bytes: ReadOnlyBytes(shortPool.bytes))
        #expect(throws: ImageReader.Malformed.self) { _ = try TokenTable(image: &r2) }
        // An element size that is not the reader's.
        var wrongSize = ImageWriter()
        wrongSize.array(table.starts.map { Int64($0) })
        var r3 = ImageReader(bytes: ReadOnlyBytes(wrongSize.bytes))
        #expect(throws: ImageReader.Malformed.self) { _ = try r3.array(Int32.self) }
        // A count far past the end.
        var huge = ImageWriter()
        huge.int(Int.max / 2)
        huge.int(4)
        var r4 = ImageReader(bytes: ReadOnlyBytes(huge.bytes))
        #expect(throws: ImageReader.Malformed.self) { _ = try r4.array(Int32.self) }
        // A merge table with no merges whose packed form holds an entry (rank 0): no merge
        // has that rank.
        var noMerges = ImageWriter()
        noMerges.int(0)
        noMerges.int(16)   // no wide slots (16 bytes each)
        noMerges.array([UInt64(1) << 44] + [UInt64](repeating: 0, count: 15))
        noMerges.array([Int32]())
        var r6 = ImageReader(bytes: ReadOnlyBytes(noMerges.bytes))
        #expect(throws: ImageReader.Malformed.self) { _ = try PairTable(image: &r6) }
        var negative = ImageWriter()
        negative.int(-1)
        negative.int(4)
        var r5 = ImageReader(bytes: ReadOnlyBytes(negative.bytes))
        #expect(throws: ImageReader.Malformed.self) { _ = try r5.array(Int32.self) }
    }

    /// A cache folder that cannot be made (its path is a file) changes nothing: the
    /// tokenizer loads, nothing is thrown.
    @Test func anUnwritableCacheIsIgnored() throws {
        let blocker = NSTemporaryDirectory() + "tokki-cache-blocker-\(UUID().uuidString)"
        try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
        defer { try? FileManager.default.removeItem(atPath: blocker) }
        let cache = ModelCache(directory: blocker + "/models", minimumSize: 0)
        let path = Fixtures.url("hf/bytelevel_bpe.json").path
        let bytes = ReadOnlyBytes(try readFileBytes(path))
        let t = try TokenizerJSON.load(source: bytes, path: path, cache: cache)
        try Self.expectSame(try TokenizerJSON.load(source: bytes, path: path), t, "unwritable")
    }

    /// At most ``ModelCache/maximumEntries`` images stay; the oldest go first. Temporary files
    /// left more than an hour ago are removed, recent ones (another process writing) kept.
    @Test func oldImagesArePruned() throws {
        let cache = Self.cache()
        defer { try? FileManager.default.removeItem(atPath: cache.directory) }
        try FileManager.default.createDirectory(atPath: cache.directory, withIntermediateDirectories: true)
        for k in 0..<(ModelCache.maximumEntries + 5) {
            let file = cache.directory + "/old-\(k).tkc"
            try Data([1]).write(to: URL(fileURLWithPath: file))
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000 + Double(k))], ofItemAtPath: file)
        }
        let stale = cache.directory + "/x.tkc.1-2.tmp", fresh = cache.directory + "/y.tkc.1-2.tmp"
        try Data([1]).write(to: URL(fileURLWithPath: stale))
        try Data([1]).write(to: URL(fileURLWithPath: fresh))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: stale)
        let path = Fixtures.url("hf/bytelevel_bpe.json").path
        _ = try TokenizerJSON.load(source: ReadOnlyBytes(try readFileBytes(path)), path: path, cache: cache)
        #expect(!FileManager.default.fileExists(atPath: stale) && FileManager.default.fileExists(atPath: fresh))
        let left = Self.images(cache)
        #expect(left.count == ModelCache.maximumEntries)
        #expect(!left.contains("old-0.tkc") && !left.contains("old-5.tkc") && left.contains("old-6.tkc"))
    }

    /// Writes `count` fake images of `size` bytes each into `cache`'s folder, the k-th dated
    /// 1,000,000 + k seconds after 1970 (older than anything real).
    private static func fakeImages(_ cache: ModelCache, count: Int, size: Int) throws {
        try FileManager.default.createDirectory(atPath: cache.directory, withIntermediateDirectories: true)
        for k in 0..<count {
            let file = cache.directory + "/old-\(k).tkc"
            try Data(repeating: 7, count: size).write(to: URL(fileURLWithPath: file))
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000 + Double(k))], ofItemAtPath: file)
        }
    }

    /// The size of the image the byte-level BPE fixture makes.
    private static func fixtureImageSize() throws -> Int {
        let probe = Self.cache()
        defer { try? FileManager.default.removeItem(atPath: probe.directory) }
        let path = Fixtures.url("hf/bytelevel_bpe.json").path
        _ = try TokenizerJSON.load(source: ReadOnlyBytes(try readFileBytes(path)), path: path, cache: probe)
        let names = Self.images(probe)
        try #require(names.count == 1)
        return try #require((try FileManager.default.attributesOfItem(atPath: probe.directory + "/" + names[0])[.size] as? NSNumber)?.intValue)
    }

    /// Beyond ``ModelCache/maximumBytes``, the oldest images go first, until the rest fits;
    /// the image just written stays.
    @Test func imagesBeyondTheByteCapArePruned() throws {
        let size = try Self.fixtureImageSize()
        let plain = Self.cache()
        let cache = ModelCache(directory: plain.directory, minimumSize: 0, maximumBytes: size + 25_000)
        defer { try? FileManager.default.removeItem(atPath: cache.directory) }
        try Self.fakeImages(cache, count: 5, size: 10_000)
        let path = Fixtures.url("hf/bytelevel_bpe.json").path
        _ = try TokenizerJSON.load(source: ReadOnlyBytes(try readFileBytes(path)), path: path, cache: cache)
        let left = Self.images(cache)
        // The new image and the two newest fakes fit (size + 20,000); a third would not.
        #expect(left.count == 3)
        #expect(left.contains("old-3.tkc") && left.contains("old-4.tkc"))
        #expect(!left.contains("old-0.tkc") && !left.contains("old-1.tkc") && !left.contains("old-2.tkc"))
        let total = try left.reduce(0) { sum, name in
            sum + ((try FileManager.default.attributesOfItem(atPath: cache.directory + "/" + name)[.size] as? NSNumber)?.intValue ?? 0)
        }
        #expect(total == size + 20_000)
    }

    /// An image larger than the whole cap is still kept when it was just written (the model
    /// it was made for loads fast next time), and everything else goes.
    @Test func theImageJustWrittenStaysAlone() throws {
        let plain = Self.cache()
        let cache = ModelCache(directory: plain.directory, minimumSize: 0, maximumBytes: 1)
        defer { try? FileManager.default.removeItem(atPath: cache.directory) }
        try Self.fakeImages(cache, count: 3, size: 100)
        let path = Fixtures.url("hf/bytelevel_bpe.json").path
        let source = ReadOnlyBytes(try readFileBytes(path))
        _ = try TokenizerJSON.load(source: source, path: path, cache: cache)
        let left = Self.images(cache)
        #expect(left.count == 1 && !left.contains { $0.hasPrefix("old-") })
        // And it is used: a second load reads it, the same tokenizer.
        try Self.expectSame(try TokenizerJSON.load(source: source, path: path), try TokenizerJSON.load(source: source, path: path, cache: cache),
                            "after pruning")
        #expect(Self.images(cache) == left)
    }

    /// Reading an image marks it used (its modification time, which pruning orders by), at
    /// most once an hour: an image read two hours after it was last marked is marked again, one
    /// marked ten minutes ago is left alone.
    @Test func aReadImageIsMarkedUsed() throws {
        let cache = Self.cache()
        defer { try? FileManager.default.removeItem(atPath: cache.directory) }
        let path = Fixtures.url("hf/bytelevel_bpe.json").path
        let source = ReadOnlyBytes(try readFileBytes(path))
        _ = try TokenizerJSON.load(source: source, path: path, cache: cache)
        let names = Self.images(cache)
        try #require(names.count == 1)
        let image = cache.directory + "/" + names[0]
        func modified() throws -> Date { try #require(try FileManager.default.attributesOfItem(atPath: image)[.modificationDate] as? Date) }
        let twoHoursAgo = Date(timeIntervalSinceNow: -7200)
        try FileManager.default.setAttributes([.modificationDate: twoHoursAgo], ofItemAtPath: image)
        _ = try TokenizerJSON.load(source: source, path: path, cache: cache)
        #expect(try modified().timeIntervalSinceNow > -60)
        let tenMinutesAgo = Date(timeIntervalSinceNow: -600)
        try FileManager.default.setAttributes([.modificationDate: tenMinutesAgo], ofItemAtPath: image)
        _ = try TokenizerJSON.load(source: source, path: path, cache: cache)
        #expect(abs(try modified().timeIntervalSince(tenMinutesAgo)) < 1)
    }

    /// The content hash differs when any single byte changes, at every length around the
    /// 32-byte stripe, and does not depend on alignment.
    @Test func contentHashSeesEveryByte() {
        for n in [0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 100] {
            let base = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let h = base.withUnsafeBytes { ContentHash.digest($0) }
            var seen = Set<String>(["\(h)"])
            for i in 0..<n {
                var b = base
                b[i] ^= 1
                let g = b.withUnsafeBytes { ContentHash.digest($0) }
                seen.insert("\(g)")
            }
            #expect(seen.count == n + 1, "length \(n)")
            let shifted = [0] + base
            let s = shifted.withUnsafeBytes { ContentHash.digest(UnsafeRawBufferPointer(rebasing: $0[1...])) }
            #expect(s.0 == h.0 && s.1 == h.1)
            if n > 0 {
                let longer = (base + [0]).withUnsafeBytes { ContentHash.digest($0) }
                #expect(longer.0 != h.0 || longer.1 != h.1, "a trailing zero byte changes the hash (length \(n))")
            }
        }
    }
}
