/// Supervised fine-tuning batches: labelled examples (see ``ChatExampleEncoder``) either padded
/// one per row or packed several per row with best-fit-decreasing.
///
/// Tensors are those of ``CausalLanguageModeling``: `input_ids`, `attention_mask`, `labels`
/// (−100 where there is no loss; the first token of every example is −100, so nothing is
/// predicted across examples), `position_ids` restarting at every example, 1-based
/// `segment_ids` (0 = padding) and `cu_seqlens` for variable-length attention.
///
/// Packing works on windows of ``Configuration/packWindow`` examples in input order: the
/// examples of a window are sorted by length, longest first (ties keep input order), and each
/// goes into the open row with the least room that still holds it (the earliest such row on a
/// tie), or a new row. Rows come out in the order they were opened, examples in a row in the
/// order they were placed. Memory is bounded by the window, and the result depends only on the
/// input, never on threads or batch size.
public struct SupervisedFineTuning: Sendable {
    /// How examples become rows.
    public enum Packing: String, Sendable, CaseIterable {
        /// One example per row, padded (TRL's default, `packing=False`).
        case none
        /// Best-fit-decreasing packing (TRL's `packing_strategy="bfd"`).
        case bestFitDecreasing = "bfd"
    }

    /// The settings.
    public struct Configuration: Sendable, Equatable {
        /// Tokens per row.
        public var sequenceLength = 1024
        /// How examples become rows.
        public var packing = Packing.none
        /// Examples packed together at most (the window of best-fit-decreasing).
        public var packWindow = 1000
        /// Creates the defaults.
        public init(sequenceLength: Int = 1024, packing: Packing = .none, packWindow: Int = 1000) {
            self.sequenceLength = sequenceLength
            self.packing = packing
            self.packWindow = packWindow
        }
    }

    /// The settings.
    public let configuration: Configuration
    /// The vocabulary's ids (the pad id fills padding; any id works, as attention and labels
    /// ignore it).
    public let tokens: SpecialTokens

    /// Validates the settings.
    public init(_ configuration: Configuration, tokens: SpecialTokens) throws(ObjectiveError) {
        guard configuration.sequenceLength >= 2 else {
            throw .sequenceTooShort(length: configuration.sequenceLength, minimum: 2, objective: "supervised fine-tuning")
        }
        guard configuration.packWindow >= 1 else { throw .invalidConfiguration("the packing window must hold at least one example") }
        self.configuration = configuration
        self.tokens = tokens
    }

    /// The tensor names.
    public static let tensorNames = CausalLanguageModeling.tensorNames

    /// Forms rows from labelled examples.
    public struct Builder: BatchBuilder {
        /// The objective.
        public let objective: SupervisedFineTuning
        /// Examples longer than a row, cut at the row's end.
        public private(set) var truncatedExamples = 0
        /// Examples placed in rows.
        public private(set) var examples = 0
        var window: [Example] = []
        var done: [[Example]] = []
        var head = 0
        var nextSample: UInt64 = 0

        struct Example {
            var ids: [Int32]
            var labels: [Int32]
        }

        /// Creates a builder.
        public init(_ objective: SupervisedFineTuning) { self.objective = objective }

        /// The six tensor names.
        public var tensorNames: [String] { SupervisedFineTuning.tensorNames }
        /// `sequenceLength` for the row tensors (`cu_seqlens` is ragged).
        public func width(of tensor: String) -> Int { tensor == "cu_seqlens" ? 0 : objective.configuration.sequenceLength }
        /// Rows waiting.
        public var pendingRows: Int { done.count - head }

        /// Adds an example: `document.labels` (nil: learn every token) must have one label per
        /// id. An empty example is skipped; a longer one than a row is cut.
        public mutating func append(_ document: Document) throws(ObjectiveError) {
            let size = objective.tokens.vocabularySize
            for id in document.ids where id < 0 || Int(id) >= size {
                throw .idOutOfRange(id: Int(id), vocabularySize: size)
            }
            var labels = document.labels ?? document.ids
            guard labels.count == document.ids.count else {
                throw .lengthMismatch(what: "labels", expected: document.ids.count, got: labels.count)
            }
            for l in labels where l != -100 && (l < 0 || Int(l) >= size) {
                throw .idOutOfRange(id: Int(l), vocabularySize: size)
            }
            guard !document.ids.isEmpty else { return }
            var ids = document.ids
            let L = objective.configuration.sequenceLength
            if ids.count > L {
                ids.removeLast(ids.count - L)
                labels.removeLast(labels.count - L)
                truncatedExamples += 1
            }
            labels[0] = -100
            examples += 1
            let example = Example(ids: ids, labels: labels)
            switch objective.configuration.packing {
            case .none:
                done.append([example])
            case .bestFitDecreasing:
                window.append(example)
                if window.count >= objective.configuration.packWindow { pack() }
            }
        }

        /// Packs the window into rows.
        mutating func pack() {
            guard !window.isEmpty else { return }
            let L = objective.configuration.sequenceLength
            let order = window.indices.sorted { a, b in
                window[a].ids.count != window[b].ids.count ? window[a].ids.count > window[b].ids.count : a < b
            }
            var room: [Int] = []
            var bins: [[Int]] = []
            for i in order {
                let n = window[i].ids.count
                var best = -1
                for b in room.indices where room[b] >= n && (best < 0 || room[b] < room[best]) { best = b }
                if best < 0 {
                    room.append(L - n)
                    bins.append([i])
                } else {
                    room[best] -= n
                    bins[best].append(i)
                }
            }
            for bin in bins { done.append(bin.map { window[$0] }) }
            window.removeAll(keepingCapacity: true)
        }

        /// Packs what is left of the last window.
        public mutating func finishInput() { pack() }

        /// The next batch of up to `maxRows` rows.
        public mutating func nextBatch(maxRows: Int, threads: Int) -> Batch? {
            let take = min(maxRows, pendingRows)
            guard take > 0 else { return nil }
            let L = objective.configuration.sequenceLength
            let pad = objective.tokens.pad ?? objective.tokens.eos ?? 0
            var input = [Int32](repeating: pad, count: take * L)
            var attention = [Int32](repeating: 0, count: take * L)
            var labels = [Int32](repeating: -100, count: take * L)
            var positions = [Int32](repeating: 0, count: take * L)
            var segments = [Int32](repeating: 0, count: take * L)
            var cu: [Int32] = [0]
            for r in 0..<take {
                let base = r * L
                var at = 0
                for (s, example) in done[head + r].enumerated() {
                    if at > 0 { cu.append(Int32(base + at)) }
                    for i in example.ids.indices {
                        assert(at + i < L, "an example runs past its row")
                        input[base + at + i] = example.ids[i]
                        attention[base + at + i] = 1
                        labels[base + at + i] = example.labels[i]
                        positions[base + at + i] = Int32(i)
                        segments[base + at + i] = Int32(s + 1)
                    }
                    at += example.ids.count
                }
                // Padding positions continue counting (never read: labels and attention are 0).
                let lastLength = done[head + r].last?.ids.count ?? 0
                for i in at..<L { positions[base + i] = Int32(lastLength + i - at) }
                if at < L { cu.append(Int32(base + at)) }
                cu.append(Int32(base + L))
            }
            head += take
            // Rows handed out are released soon (a row can be 100s of KB): memory stays flat.
            if head >= 64 && head * 2 >= done.count {
                done.removeSubrange(0..<head)
                head = 0
            }
            let first = nextSample
            nextSample += UInt64(take)
            return Batch(tensors: [
                Tensor(name: "input_ids", shape: [take, L], values: input),
                Tensor(name: "attention_mask", shape: [take, L], values: attention),
                Tensor(name: "labels", shape: [take, L], values: labels),
                Tensor(name: "position_ids", shape: [take, L], values: positions),
                Tensor(name: "segment_ids", shape: [take, L], values: segments),
                Tensor(name: "cu_seqlens", shape: [cu.count], values: cu),
            ], rows: take, firstSample: first)
        }
    }
}
