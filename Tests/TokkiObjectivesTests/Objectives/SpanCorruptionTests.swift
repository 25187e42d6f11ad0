import Testing
@testable import TokkiObjectives
import TokkiTestSupport

@Suite("Span corruption")
struct SpanCorruptionTests {
    /// T5's random_spans_helper values (computed by hand from the formula, OBJECTIVES.md §2.3).
    @Test(arguments: [(128, 141, 29), (512, 568, 114), (1024, 1137, 229), (2048, 2274, 456)])
    func lengthHelperMatchesT5(_ input: Int, _ raw: Int, _ targets: Int) {
        let l = SpanCorruption.lengths(inputLength: input, noiseDensity: 0.15, meanSpanLength: 3)
        #expect(l.raw == raw && l.targets == targets)
    }

    /// The UL2 denoisers' lengths at 512 (OBJECTIVES.md §2.4).
    @Test(arguments: [(8.0, 0.15, 588, 100), (64, 0.15, 600, 92), (3, 0.5, 766, 512), (8, 0.5, 908, 512), (64, 0.5, 1006, 512)])
    func lengthHelperForUL2Denoisers(_ mu: Double, _ d: Double, _ raw: Int, _ targets: Int) {
        let l = SpanCorruption.lengths(inputLength: 512, noiseDensity: d, meanSpanLength: mu)
        #expect(l.raw == raw && l.targets == targets)
    }

    @Test func noiseMaskHasTheExactCountAndShape() {
        for index in 0..<200 {
            var rng = CounterRNG(seed: 5, index: UInt64(index))
            let mask = SpanCorruption.noiseMask(length: 568, noiseDensity: 0.15, meanSpanLength: 3, rng: &rng)
            #expect(mask.filter { $0 }.count == 85)  // round(568 · 0.15) = round(85.2)
            let starts = (0..<568).filter { mask[$0] && ($0 == 0 || !mask[$0 - 1]) }.count
            #expect(starts == 28)  // round(85 / 3)
            #expect(!mask[0] && mask[567])  // non-noise first, noise last
        }
        // Round half to even: 10 · 0.25 = 2.5 → 2 noise tokens; 14 · 0.25 = 3.5 → 4.
        var rng = CounterRNG(seed: 1, index: 0)
        #expect(SpanCorruption.noiseMask(length: 10, noiseDensity: 0.25, meanSpanLength: 1, rng: &rng).filter { $0 }.count == 2)
        #expect(SpanCorruption.noiseMask(length: 14, noiseDensity: 0.25, meanSpanLength: 1, rng: &rng).filter { $0 }.count == 4)
        // Clamped to 1 … length−1, and length 1 still gets no noise beyond itself.
        #expect(SpanCorruption.noiseMask(length: 3, noiseDensity: 0.01, meanSpanLength: 3, rng: &rng).filter { $0 }.count == 1)
    }

    @Test func spanLengthsAreSpreadAroundTheMean() {
        // Segment lengths follow T5's uniform segmentation: spans of every length 1…k occur and
        // the first span is not always the longest.
        var histogram = [Int: Int]()
        for index in 0..<500 {
            var rng = CounterRNG(seed: 9, index: UInt64(index))
            let mask = SpanCorruption.noiseMask(length: 568, noiseDensity: 0.15, meanSpanLength: 3, rng: &rng)
            var run = 0
            for m in mask + [false] {
                if m { run += 1 } else if run > 0 { histogram[run, default: 0] += 1; run = 0 }
            }
        }
        let spans = histogram.values.reduce(0, +)
        let mean = Double(histogram.reduce(0) { $0 + $1.key * $1.value }) / Double(spans)
        #expect(abs(mean - 85.0 / 28.0) < 1e-9)
        // Uniform segmentation of 85 into 28 parts: P(length 1) = C(83,26)/C(84,27) ≈ 0.32.
        let ones = Double(histogram[1] ?? 0) / Double(spans)
        #expect(ones > 0.29 && ones < 0.35, "share of length-1 spans \(ones)")
    }

    @Test func rowsRoundTripAndSentinelsAreInOrder() throws {
        let objective = try SpanCorruption(.init(), tokens: TestVocabulary.tokens)
        #expect(objective.rawLengths == [568] && objective.targetLength == 114)
        let rows = (0..<16).map { TestVocabulary.document(568, seed: UInt64($0)) }
        let batch = objective.batch(rows, firstSample: 100)
        let input = try #require(batch["input_ids"]), labels = try #require(batch["labels"])
        let decoder = try #require(batch["decoder_input_ids"]), attention = try #require(batch["attention_mask"])
        #expect(input.shape == [16, 512] && labels.shape == [16, 114])
        for r in 0..<16 {
            let i = Array(input.row(r)), t = Array(labels.row(r))
            // Full rows fill both tensors exactly: no padding, EOS last.
            #expect(i.last == 2 && t.last == 2 && !attention.row(r).contains(0))
            // Sentinels by name: <extra_id_0> = 5, <extra_id_1> = 6, … in order, in both.
            let inSentinels = i.filter { (5...104).contains($0) }, outSentinels = t.filter { (5...104).contains($0) }
            #expect(inSentinels == (0..<28).map { Int32(5 + $0) })
            #expect(outSentinels == inSentinels)
            // Put the spans back: the raw row comes out.
            var spans: [Int32: [Int32]] = [:]
            var current: Int32 = -1
            for x in t.dropLast() { if (5...104).contains(x) { current = x } else { spans[current, default: []].append(x) } }
            var rebuilt: [Int32] = []
            for x in i.dropLast() { if (5...104).contains(x) { rebuilt += spans[x] ?? [] } else { rebuilt.append(x) } }
            #expect(rebuilt == rows[r])
            // decoder_input_ids = labels shifted right after the pad id.
            #expect(Array(decoder.row(r)) == [0] + t.dropLast())
        }
    }

    @Test func sentinelsFromTheVocabularyEndDescend() throws {
        var c = SpanCorruption.Configuration()
        c.sentinels = .vocabularyEnd
        c.inputLength = 128
        let objective = try SpanCorruption(c, tokens: TestVocabulary.tokens)
        let b = objective.batch([TestVocabulary.document(141, seed: 1)], firstSample: 0)
        let sentinels = b["input_ids"]!.row(0).filter { $0 >= 990 }
        #expect(Array(sentinels) == (0..<sentinels.count).map { Int32(999 - $0) })
        #expect(sentinels.count == 7)  // round(21 / 3) at 141 raw tokens
    }

    @Test func shortFinalRowsArePadded() throws {
        var builder = SpanCorruption.Builder(try SpanCorruption(.init(), tokens: TestVocabulary.tokens))
        try builder.append(Document(ids: TestVocabulary.document(600, seed: 3)))
        #expect(builder.pendingRows == 1)
        builder.finishInput()
        #expect(builder.pendingRows == 2)
        let next = builder.nextBatch(maxRows: 8, threads: 1)
        let b = try #require(next)
        let last = b["input_ids"]!.row(1), mask = b["attention_mask"]!.row(1)
        // 32 raw tokens: 5 noise (round 4.8), 2 spans → 27 + 2 + EOS = 30 input tokens.
        #expect(mask.filter { $0 == 1 }.count == 30 && last.filter { $0 == 0 }.count == 512 - 30)
        #expect(b["labels"]!.row(1).filter { $0 != -100 }.count == 5 + 2 + 1)
    }

    @Test func ul2MixtureUsesModeTokensAndFitsItsTensors() throws {
        var c = SpanCorruption.Configuration()
        c.denoisers = SpanCorruption.Denoiser.ul2
        c.seed = 4
        // At 512 the (μ 3, r 0.5) denoiser needs 128 sentinels, more than <extra_id_0…99>.
        #expect(throws: ObjectiveError.self) { try SpanCorruption(c, tokens: TestVocabulary.tokens) }
        c.inputLength = 256
        let objective = try SpanCorruption(c, tokens: TestVocabulary.tokens)
        #expect(objective.targetLength >= 255 - 1)
        var builder = SpanCorruption.Builder(objective)
        for k in 0..<40 { try builder.append(Document(ids: TestVocabulary.document(1000, seed: UInt64(k)))) }
        builder.finishInput()
        var modes: [Int32: Int] = [:]
        while let b = builder.nextBatch(maxRows: 16, threads: 2) {
            let input = b["input_ids"]!, labels = b["labels"]!
            for r in 0..<b.rows {
                let row = Array(input.row(r))
                modes[row[0], default: 0] += 1
                #expect([997, 998, 999].contains(row[0]))
                #expect(row.contains(2))
                let l = Array(labels.row(r)).filter { $0 != -100 }
                #expect(l.last == 2)
                if row[0] == 999 {
                    // Prefix LM: no sentinels; the target is the rest of the row.
                    #expect(!row.contains { (5...104).contains($0) } && !l.contains { (5...104).contains($0) })
                }
            }
        }
        // 3 of 7 denoisers are X ([NLG]) etc.: all three modes occur.
        #expect(modes.count == 3)
    }

    @Test func prefixLMRowsSplitIntoPrefixAndSuffix() throws {
        var c = SpanCorruption.Configuration()
        c.inputLength = 64
        c.denoisers = [.init(.prefixLM(targetFraction: 0.25), modeToken: "[S2S]")]
        let objective = try SpanCorruption(c, tokens: TestVocabulary.tokens)
        #expect(objective.rawLengths == [62])   // 64 − mode token − EOS
        let rows = (0..<50).map { TestVocabulary.document(62, seed: UInt64($0)) }
        let b = objective.batch(rows, firstSample: 0)
        var targetShare = 0.0
        for r in 0..<50 {
            let input = Array(b["input_ids"]!.row(r)).filter { $0 != 0 }, labels = Array(b["labels"]!.row(r)).filter { $0 != -100 }
            #expect(input.first == 999 && input.last == 2 && labels.last == 2)
            // Prefix + suffix = the raw row; the suffix is at least 1 and at most half the row.
            #expect(Array(input.dropFirst().dropLast()) + labels.dropLast() == rows[r])
            #expect(labels.count - 1 >= 1 && labels.count - 1 <= 32)   // prefix in [round(30.5) = 30, 61]
            targetShare += Double(labels.count - 1) / 62
        }
        // Prefix length uniform in [round(0.5 · 61), 61]: the target is about a quarter of the row.
        #expect(abs(targetShare / 50 - 0.25) < 0.06)
    }

    @Test func configurationErrorsNameWhatIsMissing() {
        var noSentinels = TestVocabulary.tokens
        noSentinels.lookup = { $0.hasPrefix("<extra_id_2") ? nil : TestVocabulary.lookup($0) }
        #expect(throws: ObjectiveError.self) { try SpanCorruption(.init(), tokens: noSentinels) }
        do {
            _ = try SpanCorruption(.init(), tokens: noSentinels)
        } catch {
            #expect(error.description.contains("<extra_id_2"))
        }
        var noEOS = TestVocabulary.tokens
        noEOS.eos = nil
        #expect(throws: ObjectiveError.missingToken("end-of-sequence token (EOS)", objective: "span-corruption")) {
            try SpanCorruption(.init(), tokens: noEOS)
        }
        var short = SpanCorruption.Configuration()
        short.inputLength = 3
        #expect(throws: ObjectiveError.self) { try SpanCorruption(short, tokens: TestVocabulary.tokens) }
        var ul2 = SpanCorruption.Configuration()
        ul2.denoisers = SpanCorruption.Denoiser.ul2
        var noModes = TestVocabulary.tokens
        noModes.lookup = { $0 == "[NLG]" ? nil : TestVocabulary.lookup($0) }
        #expect(throws: ObjectiveError.missingToken("mode token [NLG]", objective: "UL2")) { try SpanCorruption(ul2, tokens: noModes) }
    }
}

/// Issue #14 item 3: `--seq-len 4…9` wrote past the end of the input and label tensors. T5's
/// length helper rounded the span count to 0 where the mask still cuts one span (and puts one
/// sentinel in each tensor), so the tensors were one slot short.
@Suite("Span corruption: short rows fit their tensors")
struct SpanCorruptionShortRowTests {
    /// The counts the helper promises hold for the masks actually drawn, at every raw length up
    /// to the row's (the mask of a full row and of every shorter final row).
    @Test(arguments: [(0.15, 3.0), (0.5, 3), (0.15, 8), (0.15, 64), (0.5, 64), (0.3, 1), (0.05, 3)])
    func helperCountsMatchTheDrawnMasks(_ density: Double, _ mu: Double) {
        for inputLength in 4...40 {
            let l = SpanCorruption.lengths(inputLength: inputLength, noiseDensity: density, meanSpanLength: mu)
            for n in 1...l.raw {
                for index in 0..<8 {
                    var rng = CounterRNG(seed: 3, index: UInt64(index))
                    let mask = SpanCorruption.noiseMask(length: n, noiseDensity: density, meanSpanLength: mu, rng: &rng)
                    let noise = mask.filter { $0 }.count
                    let noiseSpans = (0..<n).filter { mask[$0] && ($0 == 0 || !mask[$0 - 1]) }.count
                    let keptSpans = (0..<n).filter { !mask[$0] && ($0 == 0 || mask[$0 - 1]) }.count
                    let inputs = n - noise + noiseSpans + 1, targets = noise + keptSpans + 1
                    #expect(inputs <= inputLength, "input \(inputLength), d \(density), μ \(mu): \(n) raw tokens need \(inputs) input slots")
                    #expect(targets <= l.targets, "input \(inputLength), d \(density), μ \(mu): \(n) raw tokens need \(targets) target slots, helper says \(l.targets)")
                }
            }
        }
    }

    /// Korean-like documents through the builder at every short length and batch size: every
    /// row reads back to its raw tokens.
    @Test(arguments: 4...12)
    func shortInputLengthsRoundTrip(_ inputLength: Int) throws {
        var c = SpanCorruption.Configuration()
        c.inputLength = inputLength
        let objective = try SpanCorruption(c, tokens: TestVocabulary.tokens)
        for batchSize in 1...3 {
            var builder = SpanCorruption.Builder(objective)
            var stream: [Int32] = []
            for k in 0..<30 {
                let doc = TestVocabulary.document(k % 7 * 3 + 1, seed: UInt64(k))
                stream += doc
                try builder.append(Document(ids: doc))
            }
            builder.finishInput()
            var rebuilt: [Int32] = []
            while let b = builder.nextBatch(maxRows: batchSize, threads: 2) {
                let input = try #require(b["input_ids"]), labels = try #require(b["labels"])
                #expect(input.shape == [b.rows, inputLength] && labels.shape == [b.rows, objective.targetLength])
                for r in 0..<b.rows {
                    rebuilt += SpanCorruptionShortRowTests.reassemble(Array(input.row(r)), Array(labels.row(r)))
                }
            }
            #expect(rebuilt == stream, "input length \(inputLength), batch size \(batchSize)")
        }
    }

    /// A raw row from an input row and its target (sentinels 5…104, EOS 2, pad 0, −100).
    static func reassemble(_ input: [Int32], _ labels: [Int32]) -> [Int32] {
        var spans: [Int32: [Int32]] = [:]
        var current: Int32 = -1
        for x in labels where x != -100 && x != 2 {
            if (5...104).contains(x) { current = x } else { spans[current, default: []].append(x) }
        }
        var out: [Int32] = []
        for x in input where x != 0 && x != 2 {
            if (5...104).contains(x) { out += spans[x] ?? [] } else { out.append(x) }
        }
        return out
    }
}
