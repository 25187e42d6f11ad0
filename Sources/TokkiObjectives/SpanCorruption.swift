import Tokki

/// T5 span corruption (encoder–decoder): a random set of spans, `noiseDensity` of the tokens
/// with mean length `meanNoiseSpanLength`, is cut out of each row; the input keeps the rest with
/// one sentinel per span, the target lists the spans, each after its sentinel.
///
/// ```
/// raw      Thank you for inviting me to your party last week
/// inputs   Thank you <X> me to your party <Y> week </s>
/// targets  <X> for inviting <Y> last <Z> </s>
/// ```
///
/// The mask follows T5's `random_spans_noise_mask` exactly: the noise count is rounded half to
/// even and kept in `1 ... length−1`, the span count is `round(noise / mean)` (at least 1), both
/// the noise and the non-noise tokens are cut into that many non-empty segments uniformly at
/// random, and the row starts with non-noise and ends with noise (unless `randomRoll` rotates the
/// mask by a uniform offset). Rows of the builder hold exactly the raw length that the T5 length
/// helper derives from `inputLength`, so every row's input and target fill their tensors
/// exactly (512 → 568 raw tokens, 114 targets at density 0.15, mean 3).
///
/// The UL2 mixture of denoisers is a `denoisers` list: each row draws one (by `rate`), and its
/// mode token (`[NLU]`, `[NLG]`, `[S2S]`) is put first in the input.
public struct SpanCorruption: Sendable {
    /// Where sentinel ids come from.
    public enum Sentinels: Sendable, Equatable {
        /// By name: `<extra_id_0>`, `<extra_id_1>`, … (the T5 and HF convention; the default
        /// Tokki vocabulary has them). The first span gets `<extra_id_0>`.
        case named(prefix: String, suffix: String)
        /// The last ids of the vocabulary, descending: the first span gets `vocabularySize − 1`
        /// (T5's `sentinel_id`).
        case vocabularyEnd
        /// `<extra_id_N>`.
        public static let t5 = Sentinels.named(prefix: "<extra_id_", suffix: ">")
    }

    /// One denoiser of a UL2 mixture.
    public struct Denoiser: Sendable, Equatable {
        /// What the denoiser does.
        public enum Kind: Sendable, Equatable {
            /// Span corruption with this density and mean span length (R and X denoisers).
            case spans(noiseDensity: Double, meanSpanLength: Double)
            /// Prefix LM (S denoiser): the target is a suffix; its expected share of the row is
            /// `targetFraction` (the prefix length is uniform in
            /// `[round((1 − 2f)(n − 1)), n − 1]`, as T5's `random_prefix_noise_mask`).
            case prefixLM(targetFraction: Double)
        }
        /// The transformation.
        public var kind: Kind
        /// A mode token put first in the input (`[NLU]`, `[NLG]`, `[S2S]`), resolved by name.
        public var modeToken: String?
        /// The relative sampling weight.
        public var rate: Double

        /// Creates a denoiser.
        public init(_ kind: Kind, modeToken: String? = nil, rate: Double = 1) {
            self.kind = kind
            self.modeToken = modeToken
            self.rate = rate
        }

        /// The UL2 paper's mixture: R = {(μ 3, r 0.15), (8, 0.15)} with `[NLU]`,
        /// X = {(3, 0.5), (8, 0.5), (64, 0.15), (64, 0.5)} with `[NLG]`, S = prefix LM (25% target)
        /// with `[S2S]`, each denoiser equally likely.
        public static let ul2: [Denoiser] = [
            .init(.spans(noiseDensity: 0.15, meanSpanLength: 3), modeToken: "[NLU]"),
            .init(.spans(noiseDensity: 0.15, meanSpanLength: 8), modeToken: "[NLU]"),
            .init(.spans(noiseDensity: 0.5, meanSpanLength: 3), modeToken: "[NLG]"),
            .init(.spans(noiseDensity: 0.5, meanSpanLength: 8), modeToken: "[NLG]"),
            .init(.spans(noiseDensity: 0.15, meanSpanLength: 64), modeToken: "[NLG]"),
            .init(.spans(noiseDensity: 0.5, meanSpanLength: 64), modeToken: "[NLG]"),
            .init(.prefixLM(targetFraction: 0.25), modeToken: "[S2S]"),
        ]
    }

    /// The settings, with T5's defaults.
    public struct Configuration: Sendable, Equatable {
        /// Encoder input length, EOS included (512).
        public var inputLength = 512
        /// The fraction of tokens that are noise (0.15).
        public var noiseDensity = 0.15
        /// The mean noise span length (3).
        public var meanNoiseSpanLength = 3.0
        /// Rotate each mask by a uniform offset, so short rows are not only masked at the end
        /// (T5 issue 905). Off, as in T5.
        public var randomRoll = false
        /// Where sentinels come from (`<extra_id_N>` by name).
        public var sentinels = Sentinels.t5
        /// A UL2 mixture; empty: plain span corruption with the settings above.
        public var denoisers: [Denoiser] = []
        /// Put EOS between documents when concatenating them into raw rows (T5 does not).
        public var separateDocuments = false
        /// The run's seed.
        public var seed: UInt64 = 0
        /// The epoch.
        public var epoch: UInt64 = 0
        /// Creates the defaults.
        public init() {}
    }

    /// Raw row length and target length for an input length: T5's `random_spans_helper`.
    ///
    /// `f(n)`: noise = round(n·d), spans = round(noise/μ); inputs = n − noise + spans + 1,
    /// targets = noise + spans + 1. The raw length is the largest n with inputs ≤ `inputLength`;
    /// at density 0.5 the raw length drops by one if the targets would be longer than the inputs.
    ///
    /// The counts are the ones `noiseMask` actually draws (`spanCounts`): where T5's helper
    /// rounds the span count to 0 (short rows, or a mean span longer than twice the noise), the
    /// mask still cuts one span, which takes a sentinel in both the inputs and the targets. T5's
    /// helper then promises one slot too few; with these counts every row fits its tensors.
    /// Wherever T5's helper counts at least one span the results are T5's.
    public static func lengths(inputLength: Int, noiseDensity d: Double, meanSpanLength mu: Double) -> (raw: Int, targets: Int) {
        func f(_ n: Int) -> (inputs: Int, targets: Int) {
            let c = spanCounts(length: n, noiseDensity: d, meanSpanLength: mu)
            return (n - c.noise + c.spans + 1, c.noise + c.spans + 1)
        }
        // f(n).inputs ≤ n + 1 (spans ≤ noise), so n = inputLength − 1 always fits; the inputs
        // grow with n, so the largest fitting n is found by galloping and bisection.
        var n = max(inputLength - 1, 0)
        var step = 1
        while step < maxRawLength && f(n + step).inputs <= inputLength {
            n += step
            step *= 2
        }
        while step > 1 {
            step /= 2
            if f(n + step).inputs <= inputLength { n += step }
        }
        var targets = f(n).targets
        if d == 0.5 && targets > f(n).inputs {
            n -= 1
            // T5 subtracts one; the recount is never larger.
            targets = max(targets - 1, f(n).targets)
        }
        return (n, targets)
    }

    /// The longest raw row `lengths` considers (a density near 1 with long spans would
    /// otherwise ask for rows of billions of tokens); `init` rejects settings that reach it.
    static let maxRawLength = 1 << 24

    /// The noise token and span counts of a row of `length` tokens, as `noiseMask` draws them:
    /// noise = round(max(length, 2)·d) kept in 1 … length−1, spans = round(noise/μ), at least 1,
    /// and at most the noise and the non-noise count (every segment is non-empty).
    static func spanCounts(length original: Int, noiseDensity: Double, meanSpanLength: Double)
        -> (noise: Int, spans: Int) {
        let length = max(original, 2)
        var noise = Int((Double(length) * noiseDensity).rounded(.toNearestOrEven))
        noise = min(max(noise, 1), length - 1)
        let spans = max(Int((Double(noise) / meanSpanLength).rounded(.toNearestOrEven)), 1)
        return (noise, min(spans, noise, length - noise))
    }

    /// The noise mask of one row: `noise[i]` is true for corrupted tokens (T5's
    /// `random_spans_noise_mask`, drawing from `rng`).
    public static func noiseMask(length: Int, noiseDensity: Double, meanSpanLength: Double, randomRoll: Bool = false,
                                 rng: inout CounterRNG) -> [Bool] {
        var mask = [Bool](repeating: false, count: length)
        var cuts: [Int32] = []
        fillNoiseMask(&mask, noiseDensity: noiseDensity, meanSpanLength: meanSpanLength, randomRoll: randomRoll,
                      rng: &rng, cuts: &cuts)
        return mask
    }

    /// `noiseMask` into a caller's buffer (no allocation once `cuts` has grown).
    static func fillNoiseMask(_ mask: inout [Bool], noiseDensity: Double, meanSpanLength: Double, randomRoll: Bool,
                              rng: inout CounterRNG, cuts: inout [Int32]) {
        let original = mask.count
        for i in 0..<original { mask[i] = false }
        guard noiseDensity > 0, original > 0 else { return }
        let length = max(original, 2)
        // Every segment is non-empty (the HF port's guard; T5 would make empty spans).
        let (noise, spans) = spanCounts(length: original, noiseDensity: noiseDensity, meanSpanLength: meanSpanLength)
        let nonNoise = length - noise
        // Segment lengths: k−1 distinct cut points among 1…n−1 (uniform), which is the
        // distribution of T5's shuffled `first_in_segment` indicator.
        func segments(_ n: Int, _ k: Int, _ cuts: inout [Int32], _ rng: inout CounterRNG) {
            cuts.removeAll(keepingCapacity: true)
            // Floyd's algorithm for a k−1 subset of 1…n−1, then sorted.
            let m = k - 1
            if m > 0 {
                var chosen = Set<Int32>(minimumCapacity: m)
                for j in (n - 1 - m + 1)...(n - 1) {
                    let t = Int32(1 + rng.below(j))
                    if chosen.contains(t) { chosen.insert(Int32(j)); cuts.append(Int32(j)) } else { chosen.insert(t); cuts.append(t) }
                }
                cuts.sort()
            }
            cuts.append(Int32(n))
        }
        var noiseCuts: [Int32] = []
        segments(noise, spans, &noiseCuts, &rng)
        segments(nonNoise, spans, &cuts, &rng)
        // Interleave: non-noise segment s, then noise segment s.
        var position = 0
        var previousNon: Int32 = 0, previousNoise: Int32 = 0
        let roll = randomRoll ? rng.below(length) : 0
        for s in 0..<spans {
            position += Int(cuts[s] - previousNon)
            previousNon = cuts[s]
            let n = Int(noiseCuts[s] - previousNoise)
            previousNoise = noiseCuts[s]
            for i in position..<(position + n) {
                let j = (i + roll) % length
                if j < original { mask[j] = true }
            }
            position += n
        }
    }

    /// The settings.
    public let configuration: Configuration
    /// The vocabulary's ids.
    public let tokens: SpecialTokens
    /// The mixture actually used (one span denoiser from the settings when `denoisers` is empty).
    public let mixture: [Denoiser]
    /// Raw tokens per row for each denoiser.
    public let rawLengths: [Int]
    /// The target tensor's width: the longest target of any denoiser.
    public let targetLength: Int
    let modeIDs: [Int32?]
    let cumulativeRates: [Double]
    /// The sentinel ids in span order (sentinel 0 first).
    public let sentinelIDs: [Int32]
    let eos: Int32
    let pad: Int32

    /// Validates the settings: EOS, a pad id, enough sentinels for the longest row, the mode
    /// tokens, and an input length the objective can fill.
    public init(_ configuration: Configuration, tokens: SpecialTokens) throws(ObjectiveError) {
        let c = configuration
        guard let eos = tokens.eos else { throw .missingToken("end-of-sequence token (EOS)", objective: "span-corruption") }
        guard let pad = tokens.pad else { throw .missingToken("padding token (the decoder start)", objective: "span-corruption") }
        let mixture = c.denoisers.isEmpty
            ? [Denoiser(.spans(noiseDensity: c.noiseDensity, meanSpanLength: c.meanNoiseSpanLength))] : c.denoisers
        var raws: [Int] = [], targets: [Int] = [], modes: [Int32?] = [], maxSpans = 1
        for d in mixture {
            guard d.rate >= 0, d.rate.isFinite else { throw .invalidConfiguration("denoiser rates must be non-negative") }
            var mode: Int32? = nil
            if let name = d.modeToken {
                guard let id = tokens.lookup(name) else { throw .missingToken("mode token \(name)", objective: "UL2") }
                mode = id
            }
            modes.append(mode)
            // A rolled mask can have one more span of each kind: keep room for its sentinel.
            let roll = c.randomRoll ? 1 : 0
            let room = c.inputLength - (mode == nil ? 0 : 1) - roll
            switch d.kind {
            case let .spans(density, mu):
                guard density > 0, density < 1, mu >= 1 else {
                    throw .invalidConfiguration("noise density must be in (0, 1) and the mean span length at least 1")
                }
                guard room >= 4 else { throw .sequenceTooShort(length: c.inputLength, minimum: c.inputLength - room + 4, objective: "span-corruption") }
                let l = Self.lengths(inputLength: room, noiseDensity: density, meanSpanLength: mu)
                guard l.raw >= 2 else { throw .sequenceTooShort(length: c.inputLength, minimum: 4, objective: "span-corruption") }
                guard l.raw < Self.maxRawLength else {
                    throw .invalidConfiguration("noise density \(density) with mean span length \(mu) needs raw rows of more than \(Self.maxRawLength) tokens for an input of \(c.inputLength); lower the density or the span length")
                }
                raws.append(l.raw)
                targets.append(l.targets + roll)
                // Span counts grow with the row length: the full row has the most.
                maxSpans = max(maxSpans, Self.spanCounts(length: l.raw, noiseDensity: density, meanSpanLength: mu).spans + roll)
            case let .prefixLM(fraction):
                guard fraction > 0, fraction <= 0.5 else { throw .invalidConfiguration("the prefix-LM target fraction must be in (0, 0.5]") }
                guard room >= 3 else { throw .sequenceTooShort(length: c.inputLength, minimum: c.inputLength - room + 3, objective: "prefix-LM") }
                let raw = room - 1
                raws.append(raw)
                targets.append(raw - Self.shortestPrefix(raw, fraction) + 1)
            }
        }
        let total = mixture.reduce(0) { $0 + $1.rate }
        guard total > 0 else { throw .invalidConfiguration("at least one denoiser needs a positive rate") }
        var acc = 0.0
        cumulativeRates = mixture.map { acc += $0.rate / total; return acc }
        // Sentinels.
        var sentinels: [Int32] = []
        switch c.sentinels {
        case let .named(prefix, suffix):
            for k in 0..<maxSpans {
                guard let id = tokens.lookup("\(prefix)\(k)\(suffix)") else {
                    throw .missingToken("sentinel \(prefix)\(k)\(suffix) (rows of \(raws.max() ?? 0) tokens need \(maxSpans) sentinels)", objective: "span-corruption")
                }
                sentinels.append(id)
            }
        case .vocabularyEnd:
            guard tokens.vocabularySize > maxSpans + 2 else {
                throw .missingToken("\(maxSpans) sentinel ids at the vocabulary's end", objective: "span-corruption")
            }
            sentinels = (0..<maxSpans).map { Int32(tokens.vocabularySize - 1 - $0) }
        }
        guard Set(sentinels).count == sentinels.count else { throw .invalidConfiguration("two sentinels share an id") }
        for s in sentinels where s == eos || s == pad {
            throw .invalidConfiguration("sentinel id \(s) is also the EOS or pad id")
        }
        // A mode token that is also a sentinel would make rows that cannot be read back.
        for (d, mode) in zip(mixture, modes) {
            if let mode, let k = sentinels.firstIndex(of: mode) {
                throw .invalidConfiguration("mode token \(d.modeToken ?? "") (id \(mode)) is also sentinel \(k); take sentinels by name")
            }
        }
        self.configuration = c
        self.tokens = tokens
        self.mixture = mixture
        rawLengths = raws
        targetLength = targets.max() ?? 1
        modeIDs = modes
        sentinelIDs = sentinels
        self.eos = eos
        self.pad = pad
    }

    /// The shortest prefix of a prefix-LM row of `n` tokens: round((1 − 2f)(n − 1)), at least 1.
    static func shortestPrefix(_ n: Int, _ fraction: Double) -> Int {
        Int(((1 - 2 * fraction) * Double(n - 1)).rounded(.toNearestOrEven)).clamped(1, Swift.max(1, n - 1))
    }

    /// The tensors: `input_ids`, `attention_mask`, `labels`, `decoder_input_ids`,
    /// `decoder_attention_mask`.
    public static let tensorNames = ["input_ids", "attention_mask", "labels", "decoder_input_ids", "decoder_attention_mask"]

    /// The denoiser of sample `index` (its first random draw).
    public func denoiser(forSample index: UInt64) -> Int {
        if mixture.count == 1 { return 0 }
        var rng = CounterRNG(seed: configuration.seed, epoch: configuration.epoch, index: index)
        let u = rng.nextDouble()
        return cumulativeRates.firstIndex { u < $0 } ?? (mixture.count - 1)
    }

    /// Corrupts raw rows: row `i` is sample `firstSample + i` and must hold at most its
    /// denoiser's raw length. Inputs are padded to `inputLength`, targets to `targetLength`
    /// (labels with −100, decoder inputs with the pad id).
    public func batch(_ rows: [[Int32]], firstSample: UInt64, threads: Int = 1) -> Batch {
        let count = rows.count
        let W = configuration.inputLength, T = targetLength
        // Row r's slices below are `r·W ..< (r+1)·W` and `r·T ..< (r+1)·T` of arrays of count·W and count·T.
        var input = [Int32](repeating: pad, count: count * W)
        var attention = [Int32](repeating: 0, count: count * W)
        var labels = [Int32](repeating: -100, count: count * T)
        var decoder = [Int32](repeating: pad, count: count * T)
        var decoderMask = [Int32](repeating: 0, count: count * T)
        input.withUnsafeMutableBufferPointer { ip in
            attention.withUnsafeMutableBufferPointer { ap in
                labels.withUnsafeMutableBufferPointer { lp in
                    decoder.withUnsafeMutableBufferPointer { dp in
                        decoderMask.withUnsafeMutableBufferPointer { mp in
                            nonisolated(unsafe) let ip = ip, ap = ap, lp = lp, dp = dp, mp = mp
                            parallelRanges(count, threads: threads) { range in
                                var mask: [Bool] = []
                                var cuts: [Int32] = []
                                for r in range {
                                    corrupt(rows[r], sample: firstSample + UInt64(r), mask: &mask, cuts: &cuts,
                                            input: UnsafeMutableBufferPointer(rebasing: ip[(r * W)..<((r + 1) * W)]),
                                            attention: UnsafeMutableBufferPointer(rebasing: ap[(r * W)..<((r + 1) * W)]),
                                            labels: UnsafeMutableBufferPointer(rebasing: lp[(r * T)..<((r + 1) * T)]),
                                            decoder: UnsafeMutableBufferPointer(rebasing: dp[(r * T)..<((r + 1) * T)]),
                                            decoderMask: UnsafeMutableBufferPointer(rebasing: mp[(r * T)..<((r + 1) * T)]))
                                }
                            }
                        }
                    }
                }
            }
        }
        return Batch(tensors: [
            Tensor(name: "input_ids", shape: [count, W], values: input),
            Tensor(name: "attention_mask", shape: [count, W], values: attention),
            Tensor(name: "labels", shape: [count, T], values: labels),
            Tensor(name: "decoder_input_ids", shape: [count, T], values: decoder),
            Tensor(name: "decoder_attention_mask", shape: [count, T], values: decoderMask),
        ], rows: count, firstSample: firstSample)
    }

    func corrupt(_ raw: [Int32], sample: UInt64, mask: inout [Bool], cuts: inout [Int32],
                 input: UnsafeMutableBufferPointer<Int32>, attention: UnsafeMutableBufferPointer<Int32>,
                 labels: UnsafeMutableBufferPointer<Int32>, decoder: UnsafeMutableBufferPointer<Int32>,
                 decoderMask: UnsafeMutableBufferPointer<Int32>) {
        let d = denoiser(forSample: sample)
        var rng = CounterRNG(seed: configuration.seed, epoch: configuration.epoch, index: sample)
        if mixture.count > 1 { _ = rng.next() }  // the draw that chose the denoiser
        let n = min(raw.count, rawLengths[d])
        if mask.count != n { mask = [Bool](repeating: false, count: n) }
        switch mixture[d].kind {
        case let .spans(density, mu):
            Self.fillNoiseMask(&mask, noiseDensity: density, meanSpanLength: mu, randomRoll: configuration.randomRoll,
                               rng: &rng, cuts: &cuts)
        case let .prefixLM(fraction):
            for i in 0..<n { mask[i] = false }
            if n >= 2 {
                let low = Self.shortestPrefix(n, fraction)
                let prefix = low + rng.below(n - 1 - low + 1)
                for i in prefix..<n { mask[i] = true }
            }
        }
        // The writes below go through unchecked pointers: `init` sized the tensors (`rawLengths`,
        // `targetLength`) so that every row of at most its raw length fits, inputs (mode, kept
        // tokens, one sentinel per noise span, EOS) in `input`, targets in `labels`.
        assert(input.count == configuration.inputLength && attention.count == input.count)
        assert(labels.count == targetLength && decoder.count == labels.count && decoderMask.count == labels.count)
        var k = 0, t = 0
        if let mode = modeIDs[d] { assert(k < input.count); input[k] = mode; attention[k] = 1; k += 1 }
        if case .prefixLM = mixture[d].kind {
            for i in 0..<n {
                if mask[i] {
                    assert(t < labels.count, "prefix-LM target overflows its \(labels.count) slots")
                    labels[t] = raw[i]; t += 1
                } else {
                    assert(k < input.count, "prefix-LM input overflows its \(input.count) slots")
                    input[k] = raw[i]; attention[k] = 1; k += 1
                }
            }
        } else {
            // T5's noise_span_to_unique_sentinel on the inputs and nonnoise_span_to_unique_sentinel
            // on the targets: each noise span's start becomes the next sentinel in the input, each
            // non-noise span's start the next sentinel in the target.
            var noiseSpans = 0, nonNoiseSpans = 0
            for i in 0..<n {
                let starts = i == 0 || mask[i - 1] != mask[i]
                if mask[i] {
                    if starts {
                        assert(k < input.count, "span-corruption input overflows its \(input.count) slots")
                        input[k] = sentinelIDs[noiseSpans]; attention[k] = 1; k += 1
                        noiseSpans += 1
                    }
                    assert(t < labels.count, "span-corruption target overflows its \(labels.count) slots")
                    labels[t] = raw[i]; t += 1
                } else {
                    if starts {
                        assert(t < labels.count, "span-corruption target overflows its \(labels.count) slots")
                        labels[t] = sentinelIDs[nonNoiseSpans]; t += 1
                        nonNoiseSpans += 1
                    }
                    assert(k < input.count, "span-corruption input overflows its \(input.count) slots")
                    input[k] = raw[i]; attention[k] = 1; k += 1
                }
            }
        }
        // Room for EOS in both.
        assert(k < input.count && t < labels.count, "no room for EOS (input \(k)/\(input.count), target \(t)/\(labels.count))")
        input[k] = eos; attention[k] = 1; k += 1
        labels[t] = eos; t += 1
        // decoder_input_ids = labels shifted right, starting with the pad id (T5's decoder start).
        for j in 0..<t {
            decoder[j] = j == 0 ? pad : labels[j - 1]
            decoderMask[j] = 1
        }
    }

    /// Forms raw rows by concatenating documents (T5's `reduce_concat_tokens`) and splitting
    /// them into rows of the raw length of each row's denoiser (`split_tokens`). The last
    /// partial row is kept and padded.
    public struct Builder: BatchBuilder {
        /// The objective.
        public let objective: SpanCorruption
        var stream: [Int32] = []
        var streamHead = 0
        var rows: [[Int32]] = []
        var head = 0
        var formed: UInt64 = 0
        var nextSample: UInt64 = 0
        var finished = false

        /// Creates a builder.
        public init(_ objective: SpanCorruption) { self.objective = objective }

        /// The five tensor names.
        public var tensorNames: [String] { SpanCorruption.tensorNames }
        /// `inputLength` for inputs, `targetLength` for targets.
        public func width(of tensor: String) -> Int {
            tensor.hasPrefix("input") || tensor == "attention_mask" ? objective.configuration.inputLength : objective.targetLength
        }
        /// Rows waiting.
        public var pendingRows: Int { rows.count - head }

        /// Adds a document to the stream.
        public mutating func append(_ document: Document) throws(ObjectiveError) {
            let size = objective.tokens.vocabularySize
            for id in document.ids where id < 0 || Int(id) >= size { throw .idOutOfRange(id: Int(id), vocabularySize: size) }
            stream.append(contentsOf: document.ids)
            if objective.configuration.separateDocuments && !document.ids.isEmpty { stream.append(objective.eos) }
            cut(final: false)
        }

        mutating func cut(final: Bool) {
            while true {
                let need = objective.rawLengths[objective.denoiser(forSample: formed)]
                let available = stream.count - streamHead
                if available >= need || (final && available > 0) {
                    let take = min(need, available)
                    rows.append(Array(stream[streamHead..<(streamHead + take)]))
                    streamHead += take
                    formed += 1
                } else { break }
            }
            if streamHead > 1 << 16 && streamHead * 2 > stream.count {
                stream.removeSubrange(0..<streamHead)
                streamHead = 0
            }
        }

        /// Forms the last partial row.
        public mutating func finishInput() {
            guard !finished else { return }
            finished = true
            cut(final: true)
        }

        /// The next batch of up to `maxRows` rows.
        public mutating func nextBatch(maxRows: Int, threads: Int) -> Batch? {
            let take = min(maxRows, pendingRows)
            guard take > 0 else { return nil }
            let slice = Array(rows[head..<(head + take)])
            head += take
            if head > 4096 && head * 2 > rows.count {
                rows.removeSubrange(0..<head)
                head = 0
            }
            let b = objective.batch(slice, firstSample: nextSample, threads: threads)
            nextSample += UInt64(take)
            return b
        }
    }
}

extension Int {
    func clamped(_ lo: Int, _ hi: Int) -> Int { Swift.min(Swift.max(self, lo), hi) }
}
