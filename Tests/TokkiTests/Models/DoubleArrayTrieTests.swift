import Testing
@testable import Tokki
import TokkiTestSupport

@Suite("DoubleArrayTrie")
struct DoubleArrayTrieTests {
    /// Random keys over a small alphabet (so they share prefixes), checked against brute force.
    @Test(arguments: [1, 10, 500, 20_000])
    func matchesBruteForce(_ keyCount: Int) throws {
        var rng = SplitMix64(seed: UInt64(keyCount))
        let alphabet: [UInt8] = [0x61, 0x62, 0x63, 0xE2, 0x96, 0x81, 0xEA, 0xB0, 0x80, 0xFF, 0x01]
        var keys = Set<[UInt8]>()
        while keys.count < keyCount {
            keys.insert((0..<(1 + Int(rng.next() % 12))).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
        }
        try Self.checkAgainstBruteForce(Array(keys), alphabet: alphabet, rng: &rng)
    }

    /// Keys in large groups sharing long prefixes (7 to 40 bytes: across the 8-byte words the
    /// builder sorts on), including keys that are prefixes of others.
    @Test(arguments: [7, 8, 9, 16, 17, 40])
    func longSharedPrefixes(_ shared: Int) throws {
        var rng = SplitMix64(seed: UInt64(shared) &* 977)
        let alphabet: [UInt8] = [0x61, 0x62, 0xE2, 0x96, 0x81, 0xEA]
        var keys = Set<[UInt8]>()
        for _ in 0..<6 {
            let prefix = (0..<shared).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            keys.insert(prefix)
            for _ in 0..<(30 + Int(rng.next() % 200)) {
                keys.insert(prefix + (0..<(1 + Int(rng.next() % 20))).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
            }
        }
        try Self.checkAgainstBruteForce(Array(keys), alphabet: alphabet, rng: &rng)
        // A duplicate deep inside such a group is found.
        let list = Array(keys)
        let long = list.max { $0.count < $1.count }!
        #expect(throws: DoubleArrayTrie.BuildError.duplicateKey(long)) { try DoubleArrayTrie(keys: list + [long], values: Array(0...list.count)) }
    }

    /// Builds a trie of `list` and checks look-ups of every key and of random queries.
    static func checkAgainstBruteForce(_ list: [[UInt8]], alphabet: [UInt8], rng: inout SplitMix64) throws {
        let values = list.indices.map { $0 * 7 + 3 }
        let trie = try DoubleArrayTrie(keys: list, values: values)
        var byKey: [[UInt8]: Int] = [:]
        for (k, v) in zip(list, values) { byKey[k] = v }
        for (k, v) in zip(list, values) { #expect(trie.value(for: k) == v) }
        let maxLength = list.map(\.count).max() ?? 0
        // Queries, including NUL bytes and bytes outside the alphabet: every reported prefix
        // must be a key with its value, and every key that is a prefix must be reported.
        for _ in 0..<2_000 {
            var q = (0..<Int(rng.next() % UInt64(maxLength + 4))).map { _ in rng.next() % 5 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            // Half the queries start with a key, so that long matches are tried too.
            if rng.next() % 2 == 0, let key = list.randomElement(using: &rng) { q = key + q }
            var found: [(Int, Int)] = []
            q.withUnsafeBufferPointer { b in
                guard let base = b.baseAddress else { return }
                trie.forEachPrefix(of: base, from: 0, to: b.count) { v, l in found.append((v, l)); return true }
            }
            let expected = (1...max(1, q.count)).compactMap { l -> (Int, Int)? in
                guard l <= q.count, let v = byKey[Array(q[0..<l])] else { return nil }
                return (v, l)
            }
            #expect(found.map(\.0) == expected.map(\.0) && found.map(\.1) == expected.map(\.1), "\(q)")
            #expect(trie.value(for: q) == byKey[q])
        }
    }

    @Test func rejectsBadKeys() {
        #expect(throws: DoubleArrayTrie.BuildError.duplicateKey([0x61])) { try DoubleArrayTrie(keys: [[0x61], [0x61]], values: [1, 2]) }
        #expect(throws: DoubleArrayTrie.BuildError.invalidKey([])) { try DoubleArrayTrie(keys: [[]], values: [1]) }
        #expect(throws: DoubleArrayTrie.BuildError.invalidKey([0x61, 0x00])) { try DoubleArrayTrie(keys: [[0x61, 0x00]], values: [1]) }
        #expect(throws: DoubleArrayTrie.BuildError.valueOutOfRange(-1)) { try DoubleArrayTrie(keys: [[0x61]], values: [-1]) }
    }

    @Test func compiledCharsmapNormalizesLikeItsRules() throws {
        // A charsmap we compile ourselves must drive the SentencePiece normalizer exactly.
        let rules: [(source: [UInt8], target: [UInt8])] = [
            (Array("①".utf8), Array("1".utf8)), (Array("ㄱㅏ".utf8), Array("가".utf8)),
            (Array("ㄱ".utf8), Array("ᄀ".utf8)), (Array("\t".utf8), Array(" ".utf8)),
        ]
        let blob = try PrecompiledCharsmap.compile(rules)
        let settings = SentencePieceModel.NormalizerSettings(name: "test", precompiledCharsmap: blob, addDummyPrefix: true,
                                                             removeExtraWhitespaces: true, escapeWhitespaces: true)
        let n = try SentencePieceNormalizer(settings: settings)
        #expect(try n.normalize("①ㄱㅏ\tㄱx") == "▁1가▁ᄀx")
    }
}

@Suite("ByteStringTable")
struct ByteStringTableTests {
    /// Hashes always have their low bit set (never 0); the slot where a probe starts must not
    /// depend on it, or only odd slots would start probes and clusters would double.
    @Test func probesStartAtEvenAndOddSlots() {
        let mask = 1023
        var homes: Set<Int> = []
        for k in 0..<4096 {
            let key = Array("word\(k)".utf8)
            let h = key.withUnsafeBufferPointer { ByteStringTableHalf.hash($0.baseAddress!, $0.count) }
            #expect(h & 1 == 1)
            homes.insert(ByteStringTableHalf.home(h, mask))
        }
        let even = homes.filter { $0 % 2 == 0 }.count
        #expect(even > 300 && homes.count - even > 300, "homes: \(even) even of \(homes.count)")
    }

    @Test func matchesADictionary() {
        var rng = SplitMix64(seed: 99)
        var reference: [[UInt8]: Int32] = [:]
        while reference.count < 5000 {
            let key = (0..<(1 + Int(rng.next() % 9))).map { _ in UInt8(truncatingIfNeeded: rng.next() % 6) }  // NUL bytes included
            if reference[key] == nil { reference[key] = Int32(reference.count) }
        }
        let keys = Array(reference.keys)
        var pool: [UInt8] = [], starts: [Int32] = [], lengths: [Int32] = []
        for k in keys { starts.append(Int32(pool.count)); lengths.append(Int32(k.count)); pool += k }
        guard case .success(let built) = ByteStringTable.build(pool: pool, starts: starts, lengths: lengths, values: keys.map { reference[$0]! }) else {
            Issue.record("build reported a duplicate"); return
        }
        var inserted = ByteStringTable(capacity: 10)
        for k in keys { #expect(k.withUnsafeBufferPointer { inserted.insert($0, reference[k]!) }) }
        #expect(built.count == keys.count && inserted.count == keys.count)
        for _ in 0..<20_000 {
            let q = (0..<(1 + Int(rng.next() % 9))).map { _ in UInt8(truncatingIfNeeded: rng.next() % 7) }
            q.withUnsafeBufferPointer { b in
                #expect(built.value(b.baseAddress!, b.count) == reference[q])
                #expect(inserted.value(b.baseAddress!, b.count) == reference[q])
            }
        }
        // A duplicate is reported with its index, and refused by insert.
        let dupPool = pool + keys[7]
        let dup = ByteStringTable.build(pool: dupPool, starts: starts + [Int32(pool.count)], lengths: lengths + [Int32(keys[7].count)],
                                        values: keys.map { reference[$0]! } + [1])
        if case .failure(let d) = dup { #expect(d.index == 7 || d.index == keys.count) } else { Issue.record("duplicate not found") }
        #expect(!keys[7].withUnsafeBufferPointer { inserted.insert($0, 5) })
    }

    /// The table of a vocabulary's ids over its own pool: every key of the set is found with
    /// its id, ids outside the set and absent texts are not, and a repeated text is reported
    /// with the later id. Keys run from 1 to 300 bytes and hold zero bytes (keys that differ
    /// only in trailing zeros, or only past byte 255, are distinct).
    @Test func pooledKeyTableFindsExactlyItsIDs() {
        var rng = SplitMix64(seed: 21)
        // Distinct keys over a small alphabet with 0 in it (many shared prefixes and equal
        // hashes' neighbours), mostly short.
        var seen = Set<[UInt8]>()
        var texts: [[UInt8]] = []
        func length() -> Int {
            switch rng.next() % 10 {
            case 0: return 250 + Int(rng.next() % 51)
            case 1, 2: return 7 + Int(rng.next() % 6)
            default: return 1 + Int(rng.next() % 8)
            }
        }
        while texts.count < 3_000 {
            let k = (0..<length()).map { _ in [0x00, 0x61, 0x62, 0x63, 0x64, 0xEA][Int(rng.next() % 6)] as UInt8 }
            if seen.insert(k).inserted { texts.append(k) }
        }
        // Keys that differ only by trailing zeros, and long keys that differ only past byte 255.
        for extra in [[0x61], [0x61, 0x00], [0x61, 0x00, 0x00], Array(repeating: 0x62, count: 256) + [0x61],
                      Array(repeating: 0x62, count: 256) + [0x63]] as [[UInt8]] where seen.insert(extra).inserted {
            texts.append(extra)
        }
        var pool: [UInt8] = [], starts: [Int32] = [0]
        for t in texts { pool += t; starts.append(Int32(pool.count)) }
        // Every third id is left out of the set.
        let ids = texts.indices.filter { $0 % 3 != 0 }.map { Int32($0) }
        guard case .success(let table) = PooledKeyTable.build(pool: pool, starts: starts, ids: ids) else {
            Issue.record("build reported a duplicate"); return
        }
        for (k, t) in texts.enumerated() {
            t.withUnsafeBufferPointer { b in
                #expect(table.value(b.baseAddress!, b.count) == (k % 3 != 0 ? Int32(k) : nil), "\(t)")
            }
        }
        var absent = 0
        for _ in 0..<20_000 {
            let q = (0..<length()).map { _ in [0x00, 0x61, 0x62, 0x63, 0x64, 0xEA, 0x65][Int(rng.next() % 7)] as UInt8 }
            if seen.contains(q) { continue }
            absent += 1
            q.withUnsafeBufferPointer { b in #expect(table.value(b.baseAddress!, b.count) == nil, "\(q)") }
        }
        #expect(absent > 1_000)
        for q in [[0x61, 0x00, 0x00, 0x00], Array(repeating: 0x62, count: 256) + [0x64], Array(repeating: 0x62, count: 256)] as [[UInt8]]
        where !seen.contains(q) {
            q.withUnsafeBufferPointer { b in #expect(table.value(b.baseAddress!, b.count) == nil, "\(q.count) bytes") }
        }
        // A text repeated under a later id.
        let dupPool = pool + texts[10]
        let dup = PooledKeyTable.build(pool: dupPool, starts: starts + [Int32(dupPool.count)], ids: ids + [Int32(texts.count)])
        if case .failure(let d) = dup { #expect(d.id == texts.count) } else { Issue.record("duplicate not found") }
    }

    @Test func duplicatePieceInABPEModelIsNamed() throws {
        var proto = try Sentencepiece_ModelProto(serializedBytes: Fixtures.data("sentencepiece/bpe_nfkc.model"))
        let target = proto.pieces[300].piece
        proto.pieces[301].piece = target
        do {
            _ = try SentencePieceTokenizer(model: SentencePieceModel(proto: proto, path: "dup.model"))
            Issue.record("a duplicated piece loaded")
        } catch {
            #expect(error.description.contains("defined twice") && error.description.contains("dup.model"), "\(error)")
        }
    }

    /// A duplicated piece is named with both ids in a unigram model too (its trie), and among
    /// the control pieces (their hash table).
    @Test(arguments: [(300, 301), (1, 2)])
    func duplicatePieceInAUnigramModelIsNamed(_ first: Int, _ second: Int) throws {
        var proto = try Sentencepiece_ModelProto(serializedBytes: Fixtures.data("sentencepiece/unigram_nfkc.model"))
        proto.pieces[second].piece = proto.pieces[first].piece
        proto.pieces[second].type = proto.pieces[first].type
        do {
            _ = try SentencePieceTokenizer(model: SentencePieceModel(proto: proto, path: "dup.model"))
            Issue.record("a duplicated piece loaded")
        } catch {
            #expect(error.description.contains("defined twice") && error.description.contains("ids \(first), \(second)"), "\(error)")
        }
    }
}
