import Tokki

/// Masked-language-model batches (BERT, RoBERTa): a fraction of the tokens is selected; of
/// those, 80% become the mask token, 10% a random non-special token and 10% stay, and only
/// the selected positions carry a label.
///
/// ```swift
/// let mlm = try MaskedLanguageModeling(.init(), tokens: tokens)
/// let batch = mlm.batch([[1, 900, 901, 902, 2]], firstSample: 0)
/// batch["labels"]   // −100 except where a token was selected
/// ```
///
/// Special tokens and padding are never selected. Selection is either per-token Bernoulli (the
/// Hugging Face collator) or an exact count per row (BERT, fairseq). With a word segmentation,
/// whole words are selected (Korean eojeol from offsets or `▁`, WordPiece `##`, or word ids from
/// a morphological analyser); with `spanMasking`, SpanBERT's geometric spans of whole words.
public struct MaskedLanguageModeling: Sendable {
    /// How positions are chosen.
    public enum Selection: String, Sendable, CaseIterable {
        /// Each unit independently with probability `mlmProbability` (HF
        /// `DataCollatorForLanguageModeling`); the count varies per row.
        case bernoulli
        /// `max(1, round(n · mlmProbability))` tokens per row, `n` the maskable tokens (BERT's
        /// `create_pretraining_data`); whole words that would overshoot are skipped.
        case exactCount = "exact"
    }

    /// Where words begin, for whole-word and span masking.
    public enum WordSegmentation: Sendable, Equatable {
        /// The document's own `wordIDs` (from offsets, or from an analyser's morphemes).
        case explicit
        /// A table over the vocabulary: `true` for tokens that begin a word (SentencePiece's
        /// `▁…` pieces; WordPiece tokens without `##`).
        case wordStarts([Bool])
    }

    /// SpanBERT-style span masking: span lengths in words drawn from Geometric(p), clipped.
    public struct SpanMasking: Sendable, Equatable {
        /// The geometric distribution's parameter (SpanBERT: 0.2, mean length 3.8 after clipping).
        public var p: Double = 0.2
        /// The longest span, in words (SpanBERT: 10).
        public var maxLength: Int = 10
        /// Creates the settings.
        public init(p: Double = 0.2, maxLength: Int = 10) {
            self.p = p
            self.maxLength = maxLength
        }
    }

    /// The settings, with the defaults of HF's collator.
    public struct Configuration: Sendable, Equatable {
        /// The fraction of maskable tokens selected (0.15).
        public var mlmProbability = 0.15
        /// Of the selected tokens, the fraction replaced by the mask token (0.8).
        public var maskReplaceProbability = 0.8
        /// Of the selected tokens, the fraction replaced by a random non-special token (0.1).
        /// The rest (0.1) keep their token but still have a label.
        public var randomReplaceProbability = 0.1
        /// Bernoulli (HF) or exact count (BERT).
        public var selection = Selection.bernoulli
        /// Whole-word masking: nil masks tokens independently.
        public var wholeWord: WordSegmentation? = nil
        /// Span masking (needs no `wholeWord`: without it a word is a token).
        public var spanMasking: SpanMasking? = nil
        /// The row length of `Builder` (special tokens included): 512.
        public var sequenceLength = 512
        /// Pad the width of a batch up to a multiple of this (e.g. 8 for tensor cores).
        public var padToMultipleOf: Int? = nil
        /// `Builder` wraps each row in BOS … EOS (`[CLS] … [SEP]`, `<s> … </s>`) when the
        /// vocabulary has them.
        public var addSpecialTokens = true
        /// The run's seed.
        public var seed: UInt64 = 0
        /// The epoch (a new epoch gives new masks for the same rows).
        public var epoch: UInt64 = 0
        /// Creates the defaults.
        public init() {}
    }

    /// The settings.
    public let configuration: Configuration
    /// The vocabulary's ids.
    public let tokens: SpecialTokens
    let isSpecial: [Bool]
    let randomPool: [Int32]
    let maskID: Int32

    /// Validates the settings against the vocabulary.
    public init(_ configuration: Configuration, tokens: SpecialTokens) throws(ObjectiveError) {
        let c = configuration
        guard (0...1).contains(c.mlmProbability) else { throw .invalidConfiguration("mlm probability \(c.mlmProbability) is not in [0, 1]") }
        guard (0...1).contains(c.maskReplaceProbability), (0...1).contains(c.randomReplaceProbability),
              c.maskReplaceProbability + c.randomReplaceProbability <= 1 + 1e-12
        else { throw .invalidConfiguration("mask (\(c.maskReplaceProbability)) and random (\(c.randomReplaceProbability)) replacement probabilities must each be in [0, 1] and sum to at most 1") }
        if let m = c.padToMultipleOf, m < 1 { throw .invalidConfiguration("pad-to-multiple-of must be at least 1") }
        if let s = c.spanMasking {
            guard s.p > 0, s.p <= 1, s.maxLength >= 1 else { throw .invalidConfiguration("span masking needs 0 < p ≤ 1 and a maximum length ≥ 1") }
        }
        if case .wordStarts(let table)? = c.wholeWord, table.count != tokens.vocabularySize {
            throw .invalidConfiguration("the word-start table has \(table.count) entries for a vocabulary of \(tokens.vocabularySize)")
        }
        guard let mask = tokens.mask else { throw .missingToken("mask token (<mask> or [MASK])", objective: "masked-LM") }
        guard mask >= 0, Int(mask) < tokens.vocabularySize else { throw .idOutOfRange(id: Int(mask), vocabularySize: tokens.vocabularySize) }
        let wrap = c.addSpecialTokens ? (tokens.bos == nil ? 0 : 1) + (tokens.eos == nil ? 0 : 1) : 0
        guard c.sequenceLength >= wrap + 1 else {
            throw .sequenceTooShort(length: c.sequenceLength, minimum: wrap + 1, objective: "masked-LM")
        }
        self.configuration = c
        self.tokens = tokens
        self.maskID = mask
        let special = tokens.specialTable()
        isSpecial = special
        randomPool = (0..<Int32(tokens.vocabularySize)).filter { !special[Int($0)] }
        if randomPool.isEmpty && c.randomReplaceProbability > 0 {
            throw .invalidConfiguration("random replacement needs a non-special token in the vocabulary")
        }
    }

    /// The tensors of a batch: `input_ids`, `attention_mask`, `labels`.
    public static let tensorNames = ["input_ids", "attention_mask", "labels"]

    /// Masks `rows` (token ids with their special tokens already in place) and pads them to the
    /// longest row (rounded up to `padToMultipleOf`) or to `width`. Row `i` uses the generator
    /// of sample `firstSample + i`. `wordIDs`, when given, has one array per row (used with
    /// `.explicit` segmentation).
    public func batch(_ rows: [[Int32]], wordIDs: [[Int32]]? = nil, firstSample: UInt64, width: Int? = nil,
                      threads: Int = 1) -> Batch {
        var padded = width ?? rows.map(\.count).max() ?? 0
        if let m = configuration.padToMultipleOf, padded % m != 0 { padded = (padded / m + 1) * m }
        let w = padded
        let count = rows.count
        var input = [Int32](repeating: tokens.pad ?? 0, count: count * w)
        var attention = [Int32](repeating: 0, count: count * w)
        var labels = [Int32](repeating: -100, count: count * w)
        input.withUnsafeMutableBufferPointer { ip in
            attention.withUnsafeMutableBufferPointer { ap in
                labels.withUnsafeMutableBufferPointer { lp in
                    nonisolated(unsafe) let ip = ip, ap = ap, lp = lp
                    parallelRanges(count, threads: threads) { range in
                        var scratch = Scratch()
                        for r in range {
                            let row = rows[r]
                            let n = min(row.count, w)
                            let base = r * w
                            // Row r is `r·w ..< (r+1)·w` of arrays of count·w; n ≤ w.
                            assert(base + n <= ip.count && ip.count == ap.count && ip.count == lp.count)
                            for i in 0..<n { ip[base + i] = row[i]; ap[base + i] = 1 }
                            let words = wordIDs.map { $0[r] }
                            let rowInput = UnsafeMutableBufferPointer(rebasing: ip[base..<(base + n)])
                            let rowLabels = UnsafeMutableBufferPointer(rebasing: lp[base..<(base + n)])
                            mask(rowInput, labels: rowLabels, wordIDs: words, sample: firstSample + UInt64(r), scratch: &scratch)
                        }
                    }
                }
            }
        }
        return Batch(tensors: [
            Tensor(name: "input_ids", shape: [count, w], values: input),
            Tensor(name: "attention_mask", shape: [count, w], values: attention),
            Tensor(name: "labels", shape: [count, w], values: labels),
        ], rows: count, firstSample: firstSample)
    }

    /// Reusable buffers of one worker.
    struct Scratch {
        var positions: [Int32] = []
        var unitStart: [Int32] = []
        var unitEnd: [Int32] = []
        var chosen: [Bool] = []
    }

    /// Applies the objective to one row in place: selected tokens get their label and are
    /// replaced; the rest keep label −100 (already set by the caller).
    func mask(_ ids: UnsafeMutableBufferPointer<Int32>, labels: UnsafeMutableBufferPointer<Int32>, wordIDs: [Int32]?,
              sample: UInt64, scratch: inout Scratch) {
        let c = configuration
        var rng = CounterRNG(seed: c.seed, epoch: c.epoch, index: sample)
        let n = ids.count
        // Every write below is at a position < n, in both buffers (units lie in 0..<n).
        assert(labels.count == n, "labels (\(labels.count)) and ids (\(n)) differ in length")
        let p = c.mlmProbability
        guard p > 0, n > 0 else { return }

        // Fast path: independent tokens, Bernoulli.
        if c.wholeWord == nil && c.spanMasking == nil && c.selection == .bernoulli {
            for i in 0..<n {
                let id = ids[i]
                guard id >= 0, Int(id) < isSpecial.count, !isSpecial[Int(id)] else { continue }
                if rng.nextDouble() < p {
                    labels[i] = id
                    ids[i] = replacement(for: id, &rng)
                }
            }
            return
        }

        // Units: maximal runs of maskable tokens forming one word (a token, without a segmentation).
        scratch.unitStart.removeAll(keepingCapacity: true)
        scratch.unitEnd.removeAll(keepingCapacity: true)
        var maskable = 0
        var previousWord: Int32 = -1
        var open = false
        for i in 0..<n {
            let id = ids[i]
            guard id >= 0, Int(id) < isSpecial.count, !isSpecial[Int(id)] else { open = false; continue }
            let wordOK: Bool
            var startsWord = true
            switch c.wholeWord {
            case nil:
                wordOK = true
            case .explicit?:
                let word = wordIDs.flatMap { i < $0.count ? $0[i] : nil } ?? Int32(i)
                wordOK = word >= 0
                startsWord = !open || word != previousWord
                previousWord = word
            case .wordStarts(let table)?:
                wordOK = true
                startsWord = table[Int(id)]
            }
            guard wordOK else { open = false; continue }
            maskable += 1
            if open && !startsWord {
                scratch.unitEnd[scratch.unitEnd.count - 1] = Int32(i + 1)
            } else {
                scratch.unitStart.append(Int32(i))
                scratch.unitEnd.append(Int32(i + 1))
            }
            open = true
        }
        let units = scratch.unitStart.count
        guard units > 0 else { return }
        scratch.chosen.removeAll(keepingCapacity: true)
        scratch.chosen.append(contentsOf: repeatElement(false, count: units))
        let budget = max(1, Int((Double(maskable) * p).rounded(.toNearestOrEven)))

        if let span = c.spanMasking {
            // SpanBERT: spans of whole units, Geometric(p) long (clipped), uniform start, until
            // the budget is reached; spans that would overshoot are skipped.
            var masked = 0
            var attempts = 0
            while masked < budget && attempts < 8 * units + 16 {
                attempts += 1
                let length = min(rng.geometric(span.p), span.maxLength)
                let start = rng.below(units)
                let end = min(units, start + length)
                var tokens = 0
                var fresh = false
                for u in start..<end where !scratch.chosen[u] {
                    tokens += Int(scratch.unitEnd[u] - scratch.unitStart[u])
                    fresh = true
                }
                guard fresh, masked + tokens <= budget else { continue }
                masked += tokens
                // One replacement decision per span (SpanBERT).
                let u = rng.nextDouble()
                for k in start..<end where !scratch.chosen[k] {
                    scratch.chosen[k] = true
                    for i in Int(scratch.unitStart[k])..<Int(scratch.unitEnd[k]) {
                        let id = ids[i]
                        labels[i] = id
                        ids[i] = replacement(for: id, decision: u, &rng)
                    }
                }
            }
            return
        }

        switch c.selection {
        case .bernoulli:
            for u in 0..<units where rng.nextDouble() < p { scratch.chosen[u] = true }
        case .exactCount:
            // Visit units in a random order (Fisher–Yates) and take each that fits the budget.
            scratch.positions.removeAll(keepingCapacity: true)
            scratch.positions.append(contentsOf: 0..<Int32(units))
            var masked = 0
            for k in 0..<units {
                guard masked < budget else { break }
                let j = k + rng.below(units - k)
                scratch.positions.swapAt(k, j)
                let u = Int(scratch.positions[k])
                let size = Int(scratch.unitEnd[u] - scratch.unitStart[u])
                if masked + size <= budget {
                    scratch.chosen[u] = true
                    masked += size
                }
            }
        }
        for u in 0..<units where scratch.chosen[u] {
            for i in Int(scratch.unitStart[u])..<Int(scratch.unitEnd[u]) {
                let id = ids[i]
                labels[i] = id
                ids[i] = replacement(for: id, &rng)
            }
        }
    }

    /// The 80/10/10 decision for one selected token.
    @inline(__always)
    func replacement(for id: Int32, _ rng: inout CounterRNG) -> Int32 {
        replacement(for: id, decision: rng.nextDouble(), &rng)
    }

    @inline(__always)
    func replacement(for id: Int32, decision u: Double, _ rng: inout CounterRNG) -> Int32 {
        let c = configuration
        if u < c.maskReplaceProbability { return maskID }
        if u < c.maskReplaceProbability + c.randomReplaceProbability, !randomPool.isEmpty {
            return randomPool[rng.below(randomPool.count)]
        }
        return id
    }
}

extension MaskedLanguageModeling {
    /// Forms MLM rows from documents: each document is cut into pieces of
    /// `sequenceLength − 2` tokens (fewer special tokens when the vocabulary lacks BOS or EOS),
    /// each wrapped as `BOS … EOS`; every row is padded to `sequenceLength` (rounded up to
    /// `padToMultipleOf`). No token is dropped: a long document continues in the next row.
    public struct Builder: BatchBuilder {
        /// The objective.
        public let objective: MaskedLanguageModeling
        var rows: [[Int32]] = []
        var words: [[Int32]] = []
        var head = 0
        var nextSample: UInt64 = 0
        let width: Int

        /// Creates a builder.
        public init(_ objective: MaskedLanguageModeling) {
            self.objective = objective
            var w = objective.configuration.sequenceLength
            if let m = objective.configuration.padToMultipleOf, w % m != 0 { w = (w / m + 1) * m }
            width = w
        }

        /// `input_ids`, `attention_mask`, `labels`.
        public var tensorNames: [String] { MaskedLanguageModeling.tensorNames }
        /// Every tensor is `sequenceLength` wide.
        public func width(of tensor: String) -> Int { width }
        /// Rows waiting.
        public var pendingRows: Int { rows.count - head }

        /// Adds a document, cut into rows.
        public mutating func append(_ document: Document) throws(ObjectiveError) {
            let c = objective.configuration, t = objective.tokens
            let ids = document.ids
            if let w = document.wordIDs, w.count != ids.count {
                throw .lengthMismatch(what: "word ids", expected: ids.count, got: w.count)
            }
            for id in ids where id < 0 || Int(id) >= t.vocabularySize {
                throw .idOutOfRange(id: Int(id), vocabularySize: t.vocabularySize)
            }
            guard !ids.isEmpty else { return }
            let bos = c.addSpecialTokens ? t.bos : nil, eos = c.addSpecialTokens ? t.eos : nil
            let room = c.sequenceLength - (bos == nil ? 0 : 1) - (eos == nil ? 0 : 1)
            var start = 0
            while start < ids.count {
                let end = min(ids.count, start + room)
                var row: [Int32] = []
                row.reserveCapacity(end - start + 2)
                if let bos { row.append(bos) }
                row.append(contentsOf: ids[start..<end])
                if let eos { row.append(eos) }
                rows.append(row)
                if let w = document.wordIDs {
                    var word: [Int32] = []
                    word.reserveCapacity(row.count)
                    if bos != nil { word.append(-1) }
                    word.append(contentsOf: w[start..<end])
                    if eos != nil { word.append(-1) }
                    words.append(word)
                } else {
                    words.append([])
                }
                start = end
            }
        }

        /// Nothing is pending in a partial state: rows are complete as soon as they are formed.
        public mutating func finishInput() {}

        /// The next batch of up to `maxRows` rows.
        public mutating func nextBatch(maxRows: Int, threads: Int) -> Batch? {
            let take = min(maxRows, pendingRows)
            guard take > 0 else { return nil }
            let slice = Array(rows[head..<(head + take)])
            let wordSlice = Array(words[head..<(head + take)])
            head += take
            if head > 4096 && head * 2 > rows.count {
                rows.removeSubrange(0..<head)
                words.removeSubrange(0..<head)
                head = 0
            }
            let hasWords = wordSlice.contains { !$0.isEmpty }
            let batch = objective.batch(slice, wordIDs: hasWords ? wordSlice : nil, firstSample: nextSample,
                                        width: width, threads: threads)
            nextSample += UInt64(take)
            return batch
        }

        /// The shapes of the next batch (every tensor `[rows, width]`), without masking.
        public mutating func nextBatchShapes(maxRows: Int) -> [TensorShape]? {
            let take = min(maxRows, pendingRows)
            guard take > 0 else { return nil }
            head += take
            if head > 4096 && head * 2 > rows.count {
                rows.removeSubrange(0..<head)
                words.removeSubrange(0..<head)
                head = 0
            }
            nextSample += UInt64(take)
            return tensorNames.map { TensorShape(name: $0, shape: [take, width]) }
        }
    }
}
