import Testing
@testable import TokkiObjectives
import TokkiTestSupport

/// Property tests over each objective's parameter space (issue #14): every sequence length from
/// below the smallest accepted one to 64, batch sizes 1–5, documents of 0–3 tokens mixed with
/// long ones. Every combination either throws an `ObjectiveError` from `init` (before any batch
/// exists) or gives batches whose every row is valid and reads back to the input.

@Suite("Property: span corruption and UL2")
struct SpanCorruptionPropertyTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let configure: @Sendable (inout SpanCorruption.Configuration) -> Void
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "T5 defaults") { _ in },
        Case(name: "d 0.5 μ 3") { $0.noiseDensity = 0.5 },
        Case(name: "d 0.15 μ 8") { $0.meanNoiseSpanLength = 8 },
        Case(name: "d 0.15 μ 64") { $0.meanNoiseSpanLength = 64 },
        Case(name: "d 0.5 μ 64") { $0.noiseDensity = 0.5; $0.meanNoiseSpanLength = 64 },
        Case(name: "d 0.01 μ 1") { $0.noiseDensity = 0.01; $0.meanNoiseSpanLength = 1 },
        Case(name: "d 0.9 μ 1") { $0.noiseDensity = 0.9; $0.meanNoiseSpanLength = 1 },
        Case(name: "d 0.3 μ 2.5 rolled") { $0.noiseDensity = 0.3; $0.meanNoiseSpanLength = 2.5; $0.randomRoll = true },
        Case(name: "defaults rolled") { $0.randomRoll = true },
        Case(name: "separate documents") { $0.separateDocuments = true },
        Case(name: "sentinels from the vocabulary end") { $0.sentinels = .vocabularyEnd; $0.noiseDensity = 0.5; $0.meanNoiseSpanLength = 1 },
        Case(name: "UL2") { $0.denoisers = SpanCorruption.Denoiser.ul2 },
        Case(name: "UL2 rolled, separated") { $0.denoisers = SpanCorruption.Denoiser.ul2; $0.randomRoll = true; $0.separateDocuments = true },
        Case(name: "prefix LM 0.5") { $0.denoisers = [.init(.prefixLM(targetFraction: 0.5))] },
        Case(name: "prefix LM 0.1 with mode") { $0.denoisers = [.init(.prefixLM(targetFraction: 0.1), modeToken: "[S2S]")] },
    ]

    @Test(arguments: cases)
    func everyLengthAndBatchSizeGivesValidRowsOrAnError(_ c: Case) throws {
        var accepted = 0
        for inputLength in 1...64 {
            var configuration = SpanCorruption.Configuration()
            configuration.inputLength = inputLength
            configuration.seed = UInt64(inputLength)
            c.configure(&configuration)
            let objective: SpanCorruption
            do {
                objective = try SpanCorruption(configuration, tokens: TestVocabulary.tokens)
            } catch {
                // Only a too-short row, or too few named sentinels, may be refused.
                switch error {
                case let .sequenceTooShort(length, minimum, _):
                    #expect(length == inputLength && minimum > inputLength && minimum <= 6, "\(c.name) at \(inputLength): \(error)")
                case let .missingToken(what, _):
                    #expect(what.contains("sentinel"), "\(c.name) at \(inputLength): \(error)")
                default:
                    Issue.record("\(c.name) at \(inputLength): unexpected \(error)")
                }
                continue
            }
            accepted += 1
            for shape in PropertyCorpus.shapes {
                let docs = PropertyCorpus.documents(shape.lengths, seed: UInt64(inputLength))
                var stream: [Int32] = []
                for d in docs {
                    stream += d
                    if configuration.separateDocuments && !d.isEmpty { stream.append(2) }
                }
                var reference: [[[Int32]]] = []
                for batchSize in 1...5 {
                    var builder = SpanCorruption.Builder(objective)
                    let batches = try drain(&builder, documents: docs.map { Document(ids: $0) }, batchSize: batchSize,
                                            threads: batchSize % 2 + 1)
                    let names = SpanCorruption.tensorNames
                    let tensors = names.map { allRows(batches, $0) }
                    if batchSize == 1 {
                        reference = tensors
                        let rebuilt = try Self.check(batches, objective, "\(c.name), input \(inputLength), \(shape.name)")
                        #expect(rebuilt == stream, "\(c.name), input \(inputLength), \(shape.name): rows do not read back to the documents")
                    } else {
                        // Same rows whatever the batch size and thread count.
                        #expect(tensors == reference, "\(c.name), input \(inputLength), \(shape.name), batch \(batchSize)")
                        #expect(batches.allSatisfy { $0.rows <= batchSize && $0.rows > 0 })
                    }
                }
            }
        }
        #expect(accepted > 0, "\(c.name): no length accepted")
    }

    /// Checks every row of `batches`; returns the raw tokens the rows hold, in order.
    static func check(_ batches: [Batch], _ o: SpanCorruption, _ label: String) throws -> [Int32] {
        let W = o.configuration.inputLength, T = o.targetLength
        let sentinels = o.sentinelIDs
        let sentinelSet = Set(sentinels)
        let modes = Set(o.modeIDs.compactMap { $0 })
        var rebuilt: [Int32] = []
        var sample: UInt64 = 0
        for b in batches {
            #expect(b.firstSample == sample, "\(label): batch starts at sample \(b.firstSample), expected \(sample)")
            sample += UInt64(b.rows)
            let input = try #require(b["input_ids"]), attention = try #require(b["attention_mask"])
            let labels = try #require(b["labels"]), decoder = try #require(b["decoder_input_ids"])
            let decoderMask = try #require(b["decoder_attention_mask"])
            #expect(input.shape == [b.rows, W] && attention.shape == [b.rows, W], "\(label)")
            #expect(labels.shape == [b.rows, T] && decoder.shape == [b.rows, T] && decoderMask.shape == [b.rows, T], "\(label)")
            for r in 0..<b.rows {
                let i = Array(input.row(r)), a = Array(attention.row(r)), l = Array(labels.row(r))
                let d = Array(decoder.row(r)), m = Array(decoderMask.row(r))
                let k = a.filter { $0 == 1 }.count, t = l.filter { $0 != -100 }.count
                // Attention and labels: a prefix, then padding (pad id, −100).
                #expect(a == Array(repeating: 1, count: k) + Array(repeating: 0, count: W - k), "\(label) row \(r): attention \(a)")
                #expect(i[k...].allSatisfy { $0 == 0 }, "\(label) row \(r): input padding \(i)")
                #expect(k >= 2 && i[k - 1] == 2, "\(label) row \(r): input does not end with EOS: \(i)")
                guard k >= 1 else { continue }
                // (A one-token prefix-LM row has an empty target: EOS alone.)
                #expect(l[..<t].allSatisfy { $0 != -100 } && t >= 1 && l[t - 1] == 2, "\(label) row \(r): labels \(l)")
                guard t >= 1, k >= 2 else { continue }
                // decoder_input_ids = labels shifted right after the pad id, masked alike.
                #expect(d == [0] + l[..<(t - 1)] + Array(repeating: 0, count: T - t), "\(label) row \(r): decoder \(d)")
                #expect(m == Array(repeating: 1, count: t) + Array(repeating: 0, count: T - t), "\(label) row \(r)")
                var body = Array(i[..<(k - 1)])
                let target = Array(l[..<(t - 1)])
                let denoiser = o.denoiser(forSample: b.firstSample + UInt64(r))
                if let mode = o.modeIDs[denoiser] {
                    #expect(body.first == mode, "\(label) row \(r): no mode token")
                    body.removeFirst()
                } else {
                    #expect(!body.contains { modes.contains($0) }, "\(label) row \(r)")
                }
                if case .prefixLM = o.mixture[denoiser].kind {
                    #expect(!body.contains { sentinelSet.contains($0) } && !target.contains { sentinelSet.contains($0) })
                    #expect(!target.isEmpty || body.count <= 1, "\(label) row \(r): empty prefix-LM target")
                    rebuilt += body + target
                    continue
                }
                #expect(t >= 2, "\(label) row \(r): a span-corruption target without a sentinel")
                // Sentinels: 0, 1, 2, … in order, in both tensors.
                let inSentinels = body.filter { sentinelSet.contains($0) }, outSentinels = target.filter { sentinelSet.contains($0) }
                #expect(inSentinels == Array(sentinels.prefix(inSentinels.count)), "\(label) row \(r): input sentinels \(inSentinels)")
                #expect(outSentinels == Array(sentinels.prefix(outSentinels.count)), "\(label) row \(r): target sentinels \(outSentinels)")
                // Put the spans back in order: the k-th sentinel of the input takes the k-th
                // group of noise tokens of the target (groups are cut at the target's sentinels;
                // a rolled mask may start the target with noise).
                var groups: [[Int32]] = [[]]
                for x in target { if sentinelSet.contains(x) { groups.append([]) } else { groups[groups.count - 1].append(x) } }
                if groups[0].isEmpty { groups.removeFirst() }
                groups.removeAll { $0.isEmpty }
                var next = 0
                var raw: [Int32] = []
                for x in body {
                    if sentinelSet.contains(x) {
                        #expect(next < groups.count, "\(label) row \(r): a sentinel without its span")
                        if next < groups.count { raw += groups[next] }
                        next += 1
                    } else {
                        raw.append(x)
                    }
                }
                #expect(next == groups.count, "\(label) row \(r): \(groups.count) spans for \(next) sentinels")
                // The noise count is the one T5's formula gives for the row's length.
                if case let .spans(density, mu) = o.mixture[denoiser].kind, raw.count >= 2 {
                    let noise = target.filter { !sentinelSet.contains($0) }.count
                    #expect(noise == SpanCorruption.spanCounts(length: raw.count, noiseDensity: density, meanSpanLength: mu).noise,
                            "\(label) row \(r): \(noise) noise tokens in \(raw.count)")
                }
                rebuilt += raw
            }
        }
        return rebuilt
    }

    /// Settings outside the objective's domain are refused by `init`, naming the setting.
    @Test(arguments: [(0.0, 3.0), (1.0, 3.0), (-0.1, 3.0), (Double.nan, 3.0), (0.15, 0.5), (0.15, Double.nan), (0.15, -1.0)])
    func outOfRangeNoiseSettingsAreRefused(_ density: Double, _ mu: Double) {
        var c = SpanCorruption.Configuration()
        c.noiseDensity = density
        c.meanNoiseSpanLength = mu
        #expect(throws: ObjectiveError.invalidConfiguration("noise density must be in (0, 1) and the mean span length at least 1")) {
            try SpanCorruption(c, tokens: TestVocabulary.tokens)
        }
    }

    /// A density so close to 1 that rows would need billions of tokens is refused, not looped on.
    @Test func densityNearOneIsRefusedNotLoopedOn() {
        var c = SpanCorruption.Configuration()
        c.noiseDensity = 1 - 1e-12
        c.meanNoiseSpanLength = 1e9
        c.sentinels = .vocabularyEnd
        #expect(throws: ObjectiveError.self) { try SpanCorruption(c, tokens: TestVocabulary.tokens) }
    }

    /// UL2 with sentinels from the vocabulary's end, where the mode tokens live, is refused.
    @Test func modeTokensMayNotBeSentinels() {
        var c = SpanCorruption.Configuration()
        c.denoisers = SpanCorruption.Denoiser.ul2
        c.inputLength = 64
        c.sentinels = .vocabularyEnd
        #expect(throws: ObjectiveError.self) { try SpanCorruption(c, tokens: TestVocabulary.tokens) }
        do {
            _ = try SpanCorruption(c, tokens: TestVocabulary.tokens)
        } catch {
            #expect(error.description.contains("mode token"), "\(error)")
        }
    }
}

@Suite("Property: masked LM")
struct MaskedLanguageModelingPropertyTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let selection: MaskedLanguageModeling.Selection
        let words: String   // none, explicit, starts
        let span: Bool
        let p: Double
        let special: Bool
        var testDescription: String { "\(selection.rawValue) words \(words)\(span ? " span" : "") p \(p)\(special ? "" : " no BOS/EOS")" }
    }

    static let cases: [Case] = {
        var out: [Case] = []
        for selection in MaskedLanguageModeling.Selection.allCases {
            for words in ["none", "explicit", "starts"] {
                for span in [false, true] {
                    for p in [0.15, 1.0] { out.append(Case(selection: selection, words: words, span: span, p: p, special: true)) }
                }
            }
        }
        out.append(Case(selection: .bernoulli, words: "none", span: false, p: 0, special: true))
        out.append(Case(selection: .exactCount, words: "explicit", span: false, p: 0.5, special: false))
        out.append(Case(selection: .bernoulli, words: "starts", span: true, p: 0.3, special: false))
        return out
    }()

    /// A word-start table: ids divisible by 3 begin words.
    static let starts: [Bool] = (0..<TestVocabulary.size).map { $0 % 3 == 0 }

    @Test(arguments: cases)
    func everyLengthPaddingAndBatchSizeGivesValidRowsOrAnError(_ c: Case) throws {
        let tokens = TestVocabulary.tokens
        let specialTable = tokens.specialTable()
        var labelled = 0, maskable = 0, budgets = 0
        for sequenceLength in 1...64 {
            var configuration = MaskedLanguageModeling.Configuration()
            configuration.sequenceLength = sequenceLength
            configuration.selection = c.selection
            configuration.mlmProbability = c.p
            configuration.addSpecialTokens = c.special
            configuration.padToMultipleOf = [nil, 1, 3, 8, 64][sequenceLength % 5]
            configuration.seed = UInt64(sequenceLength)
            if c.span { configuration.spanMasking = .init() }
            switch c.words {
            case "explicit": configuration.wholeWord = .explicit
            case "starts": configuration.wholeWord = .wordStarts(Self.starts)
            default: break
            }
            let objective: MaskedLanguageModeling
            do {
                objective = try MaskedLanguageModeling(configuration, tokens: tokens)
            } catch {
                guard case let .sequenceTooShort(length, minimum, _) = error else {
                    Issue.record("\(c) at \(sequenceLength): \(error)")
                    continue
                }
                #expect(length == sequenceLength && minimum == (c.special ? 3 : 1))
                continue
            }
            let m = configuration.padToMultipleOf ?? 1
            let width = (sequenceLength + m - 1) / m * m
            let room = sequenceLength - (c.special ? 2 : 0)
            for shape in PropertyCorpus.shapes {
                let docs = PropertyCorpus.documents(shape.lengths, seed: UInt64(sequenceLength))
                // Word ids: pairs of tokens form a word.
                let documents = docs.map { d in
                    Document(ids: d, wordIDs: c.words == "explicit" ? d.indices.map { Int32($0 / 2) } : nil)
                }
                // The expected rows: each non-empty document cut into `room` tokens, wrapped.
                var expected: [[Int32]] = []
                var expectedWords: [[Int32]] = []
                for d in docs where !d.isEmpty {
                    var s = 0
                    while s < d.count {
                        let e = min(d.count, s + room)
                        expected.append((c.special ? [1] : []) + d[s..<e] + (c.special ? [2] : []))
                        expectedWords.append((c.special ? [-1] : []) + (s..<e).map { Int32($0 / 2) } + (c.special ? [-1] : []))
                        s = e
                    }
                }
                var reference: [[[Int32]]] = []
                for batchSize in 1...5 {
                    var builder = MaskedLanguageModeling.Builder(objective)
                    let batches = try drain(&builder, documents: documents, batchSize: batchSize, threads: batchSize % 2 + 1)
                    let tensors = MaskedLanguageModeling.tensorNames.map { allRows(batches, $0) }
                    if batchSize > 1 {
                        #expect(tensors == reference, "\(c) at \(sequenceLength), \(shape.name), batch \(batchSize)")
                        continue
                    }
                    reference = tensors
                    let label = "\(c) at \(sequenceLength), \(shape.name)"
                    let (inputs, attention, labels) = (tensors[0], tensors[1], tensors[2])
                    #expect(inputs.count == expected.count, "\(label): \(inputs.count) rows, expected \(expected.count)")
                    for b in batches {
                        for t in b.tensors { #expect(t.shape == [b.rows, width], "\(label): \(t.name) \(t.shape)") }
                    }
                    for (r, row) in expected.enumerated() where r < inputs.count {
                        let i = inputs[r], a = attention[r], l = labels[r]
                        let n = row.count
                        #expect(a == Array(repeating: 1, count: n) + Array(repeating: 0, count: width - n), "\(label) row \(r)")
                        #expect(i[n...].allSatisfy { $0 == 0 } && l[n...].allSatisfy { $0 == -100 }, "\(label) row \(r): padding")
                        // Labels restore the row; unlabelled positions are unchanged; labelled
                        // ones are never special and hold [MASK], a random ordinary id or themselves.
                        var rowMaskable = 0, rowLabelled = 0
                        for j in 0..<n {
                            let special = specialTable[Int(row[j])]
                            if !special { rowMaskable += 1 }
                            if l[j] == -100 {
                                #expect(i[j] == row[j], "\(label) row \(r) pos \(j): changed without a label")
                            } else {
                                rowLabelled += 1
                                #expect(l[j] == row[j] && !special, "\(label) row \(r) pos \(j): label \(l[j]) for \(row[j])")
                                #expect(i[j] == 4 || i[j] == row[j] || !specialTable[Int(i[j])], "\(label) row \(r) pos \(j): \(i[j])")
                            }
                        }
                        labelled += rowLabelled
                        maskable += rowMaskable
                        if c.p == 0 { #expect(rowLabelled == 0, "\(label) row \(r)") }
                        if c.p == 1 && c.selection == .bernoulli && !c.span { #expect(rowLabelled == rowMaskable, "\(label) row \(r)") }
                        if c.selection == .exactCount || c.span, c.p > 0, rowMaskable > 0 {
                            let budget = max(1, Int((Double(rowMaskable) * c.p).rounded(.toNearestOrEven)))
                            budgets += budget
                            #expect(rowLabelled <= budget, "\(label) row \(r): \(rowLabelled) labels, budget \(budget)")
                            if c.words == "none" && !c.span { #expect(rowLabelled == budget, "\(label) row \(r)") }
                        }
                        // Whole words: a word is labelled entirely or not at all.
                        if c.words != "none" {
                            var unit: [Int] = []
                            func closeUnit() {
                                let marks = Set(unit.map { l[$0] != -100 })
                                #expect(marks.count <= 1, "\(label) row \(r): word \(unit) partly masked")
                                unit = []
                            }
                            for j in 0..<n {
                                if specialTable[Int(row[j])] { closeUnit(); continue }
                                let startsWord = c.words == "starts" ? Self.starts[Int(row[j])]
                                    : (j == 0 || specialTable[Int(row[j - 1])] || expectedWords[r][j] != expectedWords[r][j - 1])
                                if startsWord { closeUnit() }
                                unit.append(j)
                            }
                            closeUnit()
                        }
                    }
                }
            }
        }
        // The overall rate: the probability (Bernoulli per token or word), or the rows' budgets
        // max(1, round(n·p)) for exact counts and spans (short rows mask one token of few).
        if c.p > 0 && c.p < 1 {
            if c.selection == .bernoulli && !c.span {
                let rate = Double(labelled) / Double(maskable)
                #expect(maskable > 2000 && rate > c.p * 0.6 && rate < c.p * 1.4, "\(c): masked rate \(rate) of \(maskable)")
            } else if c.words == "none" {
                #expect(labelled <= budgets && Double(labelled) >= 0.5 * Double(budgets), "\(c): \(labelled) masked, budgets \(budgets)")
            }
        }
    }

    /// Probabilities and padding outside their domain are refused by `init`.
    @Test func outOfRangeSettingsAreRefused() {
        let bad: [(String, @Sendable (inout MaskedLanguageModeling.Configuration) -> Void)] = [
            ("mlm probability", { $0.mlmProbability = 1.5 }),
            ("mlm probability", { $0.mlmProbability = .nan }),
            ("replacement", { $0.maskReplaceProbability = 0.9; $0.randomReplaceProbability = 0.2 }),
            ("replacement", { $0.randomReplaceProbability = -0.1 }),
            ("pad-to-multiple-of", { $0.padToMultipleOf = 0 }),
            ("span masking", { $0.spanMasking = .init(p: 0, maxLength: 10) }),
            ("span masking", { $0.spanMasking = .init(p: 0.2, maxLength: 0) }),
            ("word-start table", { $0.wholeWord = .wordStarts([true]) }),
        ]
        for (what, configure) in bad {
            var c = MaskedLanguageModeling.Configuration()
            configure(&c)
            do {
                _ = try MaskedLanguageModeling(c, tokens: TestVocabulary.tokens)
                Issue.record("\(what): accepted")
            } catch {
                #expect(error.description.contains(what), "\(what): \(error)")
            }
        }
    }
}

@Suite("Property: causal LM packing")
struct CausalLanguageModelingPropertyTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let bos: Bool, eos: Bool
        let remainder: CausalLanguageModeling.Remainder
        let cross: Bool, reset: Bool
        var testDescription: String {
            "\(remainder.rawValue)\(bos ? " BOS" : "")\(eos ? " EOS" : "")\(cross ? "" : " no-cross")\(reset ? "" : " no-reset")"
        }
    }

    static let cases: [Case] = {
        var out: [Case] = []
        for remainder in CausalLanguageModeling.Remainder.allCases {
            for (bos, eos) in [(false, true), (true, true), (false, false), (true, false)] {
                for (cross, reset) in [(true, true), (false, true), (false, false)] {
                    out.append(Case(bos: bos, eos: eos, remainder: remainder, cross: cross, reset: reset))
                }
            }
        }
        return out
    }()

    @Test(arguments: cases)
    func everyLengthAndBatchSizeGivesValidRowsOrAnError(_ c: Case) throws {
        for L in 1...64 {
            var configuration = CausalLanguageModeling.Configuration()
            configuration.sequenceLength = L
            configuration.addBOS = c.bos
            configuration.addEOS = c.eos
            configuration.remainder = c.remainder
            configuration.crossDocumentLabels = c.cross
            configuration.resetPositionIDs = c.reset
            let objective: CausalLanguageModeling
            do {
                objective = try CausalLanguageModeling(configuration, tokens: TestVocabulary.tokens)
            } catch {
                #expect(error == .sequenceTooShort(length: L, minimum: 2, objective: "causal-LM") && L < 2, "\(c) at \(L): \(error)")
                continue
            }
            for shape in PropertyCorpus.shapes {
                let docs = PropertyCorpus.documents(shape.lengths, seed: UInt64(L))
                let pieces = docs.filter { !$0.isEmpty }.map { (c.bos ? [Int32(1)] : []) + $0 + (c.eos ? [Int32(2)] : []) }
                var reference: [[[Int32]]] = []
                for batchSize in 1...5 {
                    var builder = CausalLanguageModeling.Builder(objective)
                    let batches = try drain(&builder, documents: docs.map { Document(ids: $0) }, batchSize: batchSize)
                    let names = CausalLanguageModeling.tensorNames.filter { $0 != "cu_seqlens" }
                    let tensors = names.map { allRows(batches, $0) }
                    if batchSize > 1 {
                        #expect(tensors == reference, "\(c) at \(L), \(shape.name), batch \(batchSize)")
                        continue
                    }
                    reference = tensors
                    let label = "\(c) at \(L), \(shape.name)"
                    var segments: [[Int32]] = []
                    for b in batches {
                        segments += try Self.check(b, L, c, label)
                    }
                    let kept = segments.reduce(0) { $0 + $1.count }
                    switch c.remainder {
                    case .carryOver, .pad:
                        // Every token, in order.
                        #expect(Array(segments.joined()) == Array(pieces.joined()), "\(label): tokens lost or reordered")
                        if c.remainder == .pad {
                            // A document that fits in a row is never split across rows.
                            for p in pieces where p.count <= L {
                                #expect(segments.contains(p), "\(label): \(p.count)-token document split")
                            }
                        }
                    case .drop:
                        // Each document's head, in order; the rest is counted as dropped.
                        #expect(segments.count == pieces.count, "\(label): \(segments.count) segments for \(pieces.count) documents")
                        for (s, p) in zip(segments, pieces) { #expect(!s.isEmpty && p.starts(with: s), "\(label)") }
                        #expect(kept + builder.droppedTokens == pieces.reduce(0) { $0 + $1.count }, "\(label)")
                    }
                }
            }
        }
    }

    /// Checks one batch; returns its document segments (tokens of one document within a row).
    static func check(_ b: Batch, _ L: Int, _ c: Case, _ label: String) throws -> [[Int32]] {
        let input = try #require(b["input_ids"]), attention = try #require(b["attention_mask"])
        let labels = try #require(b["labels"]), positions = try #require(b["position_ids"])
        let segmentIDs = try #require(b["segment_ids"]), cu = try #require(b["cu_seqlens"])
        for t in [input, attention, labels, positions, segmentIDs] { #expect(t.shape == [b.rows, L], "\(label): \(t.name)") }
        var boundaries: [Int32] = [0]
        var out: [[Int32]] = []
        for r in 0..<b.rows {
            let i = Array(input.row(r)), a = Array(attention.row(r)), l = Array(labels.row(r))
            let p = Array(positions.row(r)), s = Array(segmentIDs.row(r))
            let k = a.filter { $0 == 1 }.count
            #expect(k > 0 && a == Array(repeating: 1, count: k) + Array(repeating: 0, count: L - k), "\(label) row \(r)")
            #expect(l[k...].allSatisfy { $0 == -100 } && s[k...].allSatisfy { $0 == 0 }, "\(label) row \(r): padding")
            var position: Int32 = 0
            for j in 0..<k {
                let starts = j == 0 || s[j] != s[j - 1]
                if starts {
                    #expect(s[j] == (j == 0 ? 1 : s[j - 1] + 1), "\(label) row \(r): segment ids \(s)")
                    if j > 0 { boundaries.append(Int32(r * L + j)) }
                    out.append([])
                    position = 0
                }
                out[out.count - 1].append(i[j])
                #expect(p[j] == (c.reset ? position : Int32(j)), "\(label) row \(r) pos \(j): position \(p[j])")
                position += 1
                // Labels are the ids, except −100 on a packed document's first token when
                // documents may not be predicted across.
                if l[j] != i[j] {
                    #expect(l[j] == -100 && !c.cross && starts && j > 0, "\(label) row \(r) pos \(j): label \(l[j]) for \(i[j])")
                }
            }
            if k < L { boundaries.append(Int32(r * L + k)) }
            boundaries.append(Int32((r + 1) * L))
        }
        #expect(cu.values == boundaries, "\(label): cu_seqlens \(cu.values), expected \(boundaries)")
        return out
    }

    @Test func missingSeparatorsAreRefused() {
        var noEOS = TestVocabulary.tokens
        noEOS.eos = nil
        noEOS.bos = nil
        var c = CausalLanguageModeling.Configuration()
        #expect(throws: ObjectiveError.self) { try CausalLanguageModeling(c, tokens: noEOS) }
        c.addEOS = false
        c.addBOS = true
        #expect(throws: ObjectiveError.self) { try CausalLanguageModeling(c, tokens: noEOS) }
        c.addBOS = false
        #expect(throws: Never.self) { try CausalLanguageModeling(c, tokens: noEOS) }
    }
}
