import Testing
import Tokki
@testable import TokkiTraining
import TokkiTestSupport

@Suite("BPE pair merger")
struct PairMergerTests {
    /// Naive BPE: recount every adjacent valid pair of every sequence before each merge,
    /// take the most frequent (ties: the smaller (left, right) ids), rewrite left to right.
    static func naiveMerges(symbols: [[UInt8]], sequences: [[Int32]], frequencies: [Int64],
                            isValid: ([UInt8]) -> Bool, limit: Int) -> [(Int32, Int32, Int64)] {
        var symbols = symbols
        var sequences = sequences
        var out: [(Int32, Int32, Int64)] = []
        while out.count < limit {
            var counts: [UInt64: Int64] = [:]
            for (w, seq) in sequences.enumerated() where seq.count > 1 {
                for i in 0..<(seq.count - 1) where seq[i] >= 0 && seq[i + 1] >= 0
                    && isValid(symbols[Int(seq[i])] + symbols[Int(seq[i + 1])]) {
                    counts[UInt64(UInt32(seq[i])) << 32 | UInt64(UInt32(seq[i + 1])), default: 0] += frequencies[w]
                }
            }
            guard let best = counts.filter({ $0.value > 0 }).min(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key })
            else { break }
            let a = Int32(best.key >> 32), b = Int32(best.key & 0xFFFF_FFFF)
            let new = Int32(symbols.count)
            symbols.append(symbols[Int(a)] + symbols[Int(b)])
            for w in sequences.indices {
                var rewritten: [Int32] = []
                var i = 0
                let seq = sequences[w]
                while i < seq.count {
                    if i + 1 < seq.count && seq[i] == a && seq[i + 1] == b { rewritten.append(new); i += 2 } else { rewritten.append(seq[i]); i += 1 }
                }
                sequences[w] = rewritten
            }
            out.append((a, b, best.value))
        }
        return out
    }

    /// The incremental merger gives exactly the naive merges — order, pairs and counts — on
    /// random weighted sequences with repeats (`aaa`), never-merging symbols (-1) and a
    /// validity rule.
    @Test(arguments: [1, 2, 3, 4])
    func incrementalEqualsNaive(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let alphabet = 2 + Int(rng.next() % 5)
        let symbols = (0..<alphabet).map { [UInt8($0)] }
        var sequences: [[Int32]] = []
        var frequencies: [Int64] = []
        for _ in 0..<(20 + Int(rng.next() % 60)) {
            sequences.append((0..<Int(rng.next() % 12)).map { _ in rng.next() % 13 == 0 ? -1 : Int32(rng.next() % UInt64(alphabet)) })
            frequencies.append(Int64(1 + rng.next() % 9))
        }
        let isValid: ([UInt8]) -> Bool = { $0.count <= 5 && !($0.first == 0 && $0.last == 1) }
        let expected = Self.naiveMerges(symbols: symbols, sequences: sequences, frequencies: frequencies, isValid: isValid, limit: 200)
        // The same rule as summaries: length, first and last byte (+1; 0: none).
        func summary(_ s: [UInt8]) -> UInt64 { UInt64(s.count) | (UInt64(s[0]) + 1) << 16 | (UInt64(s[s.count - 1]) + 1) << 32 }
        var merger = try PairMerger(symbols: symbols, summaries: symbols.map(summary), sequences: sequences, frequencies: frequencies) { x, y in
            let length = (x & 0xFFFF) + (y & 0xFFFF)
            let first = x >> 16 & 0xFFFF, last = y >> 32
            return length <= 5 && !(first == 1 && last == 2) ? length | first << 16 | last << 32 : nil
        }
        var got: [(Int32, Int32, Int64)] = []
        var texts = symbols
        while got.count < 200, let m = merger.next() {
            got.append((m.left, m.right, m.count))
            texts.append(texts[Int(m.left)] + texts[Int(m.right)])
            // Texts, and the first symbol spelled the same.
            #expect(Array(merger.text(m.symbol)) == texts[Int(m.symbol)])
            #expect(m.original == Int32(texts.firstIndex(of: texts[Int(m.symbol)]) ?? -1))
        }
        #expect(expected.count > 5)
        #expect(got.count == expected.count)
        for (g, e) in zip(got, expected) { #expect(g == e) }
    }

    /// A merge that spells an existing text (an initial symbol `ab`; later `abab` a second
    /// time) names the first symbol with that text.
    @Test func repeatedTextsNameTheFirstSymbol() throws {
        let symbols: [[UInt8]] = [[0], [1], [0, 1]]
        var merger = try PairMerger(symbols: symbols, summaries: [1, 1, 2], sequences: [[0, 1, 0, 1], [0, 1, 0], [2, 0, 1]],
                                    frequencies: [5, 4, 1]) { x, y in x + y }
        var merges: [(Int32, Int32, Int32, Int32)] = []
        while let m = merger.next() { merges.append((m.left, m.right, m.symbol, m.original)) }
        // (a, b) ×15 → 3 = "ab", spelled like symbol 2; then (ab, ab) ×5 → 4 = "abab";
        // (ab, a) ×4 → 5 = "aba"; (2, ab) ×1 → 6 = "abab" again.
        #expect(merges.count == 4)
        #expect(merges[0] == (0, 1, 3, 2))
        #expect(merges[1] == (3, 3, 4, 4))
        #expect(merges[2] == (3, 0, 5, 5))
        #expect(merges[3] == (2, 3, 6, 4))
        #expect(Array(merger.text(6)) == [0, 1, 0, 1])
    }
}

@Suite("Training word counts")
struct WordCounterTests {
    /// Counting distinct raw words and normalizing each once gives exactly the counts of
    /// normalizing every line, under every training normalization, on lines built to break
    /// it (characters that normalize to spaces or to nothing, literal `▁`, rules producing
    /// leading spaces, malformed bytes), for 1 and 3 threads.
    @Test(arguments: [TrainingNormalization.korean, .nfkc, .nmtNFKC, .identity])
    func rawWordCountsEqualLineCounts(_ normalization: TrainingNormalization) throws {
        let settings = try normalization.settings()
        let normalizer = try SentencePieceNormalizer(settings: settings, userDefinedSymbols: ["(주)", "제1조"])
        #expect(normalizer.normalizesWordsIndependently)
        let pool: [[UInt8]] = ["법률", "제1조", " ", "  ", "\t", "\u{3000}", "▁", "a▁", "¨", "\u{200B}", "\u{0001}", "ｱ", "①",
                               "(주)", "...", "가나", "ᄀ", "\u{1161}", "Ａ", "abc"].map { Array($0.utf8) } + [[0xFF], [0xE2, 0x96], [0xC3]]
        var rng = SplitMix64(seed: 41)
        var lines: [[UInt8]] = []
        for _ in 0..<3000 {
            var line: [UInt8] = []
            for _ in 0..<Int(rng.next() % 16) { line += pool[Int(rng.next() % UInt64(pool.count))] }
            lines.append(line)
        }
        var expected: [[UInt8]: Int64] = [:]
        var output = SentencePieceNormalizer.Output()
        for line in lines {
            line.withUnsafeBufferPointer { normalizer.normalize($0, into: &output) }
            output.bytes.withUnsafeBufferPointer { b in
                WordCounts.forEachWord(b) { s, e in expected[Array(b[s..<e]), default: 0] += 1 }
            }
        }
        for threads in [1, 3] {
            var counter = WordCounter(normalizer: normalizer, threads: threads)
            counter.add(lines: Array(lines[..<1000]))
            counter.add(lines: Array(lines[1000...]))
            let got = counter.finish().sorted()
            #expect(got.count == expected.count)
            #expect(Dictionary(uniqueKeysWithValues: got.map { ($0.word, $0.count) }) == expected, "\(normalization) threads \(threads)")
        }
    }

    /// The byte-level trainer's words: the counts of splitting every normalized line.
    @Test func pretokenCountsEqualLineCounts() throws {
        let normalizer = PrecompiledNormalizer(try PrecompiledCharsmap(try CharsmapCompiler.compile(.korean)))
        let split = try RegexSplit(pattern: try #require(PretokenizationPattern.named("gpt2")), behavior: .isolated, dialect: .oniguruma)
        let pool = ["대한민국은", " 민주공화국이다.", "  ", "수고ㄳ", " ①", " 123", "\t!", "abc", "Ａ", ""]
        var rng = SplitMix64(seed: 43)
        var lines: [[UInt8]] = []
        for _ in 0..<2000 {
            var line = ""
            for _ in 0..<Int(rng.next() % 8) { line += pool[Int(rng.next() % UInt64(pool.count))] }
            lines.append(Array(line.utf8))
        }
        var expected: [[UInt8]: Int64] = [:]
        for line in lines {
            let text = try normalizer.normalize(bytes: line).normalized
            try text.withUnsafeBufferPointer { b in for r in try split.split(b) { expected[Array(b[r]), default: 0] += 1 } }
        }
        for threads in [1, 3] {
            var counter = WordCounter(.pretokens(normalizer: normalizer, split: split), threads: threads)
            counter.add(lines: Array(lines[..<700]))
            counter.add(lines: Array(lines[700...]))
            let got = counter.finish().sorted()
            #expect(got.map(\.word) == expected.keys.sorted { $0.lexicographicallyPrecedes($1) }, "threads \(threads)")
            #expect(Dictionary(uniqueKeysWithValues: got.map { ($0.word, $0.count) }) == expected, "threads \(threads)")
        }
    }
}

@Suite("Unigram lattice")
struct UnigramLatticeTests {
    /// The E-step's expected counts are bit-identical for any thread count (fixed parts,
    /// summed in order), and equal to a plain sequential sum up to rounding; the Viterbi
    /// counts are exact.
    @Test func expectedCountsDoNotDependOnThreads() throws {
        var rng = SplitMix64(seed: 7)
        let alphabet: [UInt32] = [0x2581, 0xAC00, 0xB098, 0xB2E4, 0x61, 0x62]
        var words: [[UInt8]] = []
        for _ in 0..<9000 {
            var w: [UInt32] = [0x2581]
            for _ in 0..<(1 + Int(rng.next() % 6)) { w.append(alphabet[1 + Int(rng.next() % 5)]) }
            words.append(Array(PieceText.string(w).utf8))
        }
        var pieces: [[UInt32]] = alphabet.map { [$0] }
        for a in alphabet { for b in alphabet.dropFirst() { pieces.append([a, b]) } }
        pieces.append([0x2581, 0xAC00, 0xB098])
        let trainerPieces: [UnigramTrainer.Piece] = pieces.indices.map { (score: -1.0 - Double($0 % 7) * 0.3, id: $0) }
        let index = try PieceIndex(pieces)
        let lattice = Lattice(index: index, pieces: trainerPieces)
        let corpus = LatticeWords(words)
        let freqs = words.indices.map { Double(1 + $0 % 5) }
        let one = lattice.expectedCounts(corpus, freqs, threads: 1)
        #expect(one.reduce(0, +) > 1000)
        for threads in [2, 3] {
            #expect(lattice.expectedCounts(corpus, freqs, threads: threads) == one)
            #expect(lattice.viterbiCounts(corpus, freqs, threads: threads) == lattice.viterbiCounts(corpus, freqs, threads: 1))
        }
        // Edges cached once over all seeds give the same lattice after pieces are dropped.
        let cache = try #require(EdgeCache.build(lattice, corpus, threads: 2, budget: 1 << 24))
        #expect(EdgeCache.build(lattice, corpus, threads: 2, budget: 10) == nil)
        let fewer = trainerPieces.filter { pieces[$0.id].count == 1 || $0.id % 3 != 0 }
        let plain = Lattice(index: index, pieces: fewer)
        let cached = Lattice(index: index, pieces: fewer, cache: cache)
        #expect(cached.expectedCounts(corpus, freqs, threads: 2) == plain.expectedCounts(corpus, freqs, threads: 2))
        #expect(cached.viterbiCounts(corpus, freqs, threads: 2) == plain.viterbiCounts(corpus, freqs, threads: 2))
        #expect(fewer.count < trainerPieces.count)
        // One part at a time, word by word, must agree up to rounding.
        let single = LatticeWords(Array(words[..<100]))
        let some = lattice.expectedCounts(single, Array(freqs[..<100]), threads: 2)
        let total = some.reduce(0, +)
        #expect(total > 0)
        // Every word's expected piece counts cover its characters: sum over pieces of
        // expected × length = frequency × characters.
        var lengthWeighted = 0.0, characters = 0.0
        for (k, e) in some.enumerated() { lengthWeighted += e * Double(pieces[trainerPieces[k].id].count) }
        for w in 0..<100 { characters += freqs[w] * Double(String(decoding: words[w], as: UTF8.self).unicodeScalars.count) }
        #expect(abs(lengthWeighted - characters) < 1e-6 * characters)
    }
}
