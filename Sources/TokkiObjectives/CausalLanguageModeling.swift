/// Causal-LM batches (GPT): documents are joined with EOS (and optionally BOS), cut into rows of
/// `sequenceLength` tokens, and labelled with their own ids (the model shifts them, as Hugging
/// Face causal-LM models do).
///
/// For packed rows the builder also writes `position_ids` that restart at every document,
/// 1-based `segment_ids` (0 = padding) and `cu_seqlens`, the int32 boundaries that
/// variable-length attention kernels (`flash_attn_varlen_func`) take. With
/// `crossDocumentLabels` off, the first token of every document in a row gets label −100, so no
/// token is ever predicted from another document.
public struct CausalLanguageModeling: Sendable {
    /// What to do with a document that does not fit in the rest of the row.
    public enum Remainder: String, Sendable, CaseIterable {
        /// Continue it in the next row (and the next batch): every token is used (GPT, Megatron).
        case carryOver = "carry"
        /// Pad the row and start the document in a new row; a document longer than a row is
        /// cut into whole rows first.
        case pad
        /// Drop the tokens that do not fit (the row ends with the document's head).
        case drop
    }

    /// The settings.
    public struct Configuration: Sendable, Equatable {
        /// Tokens per row: 1024 (`run_clm.py`'s default block size).
        public var sequenceLength = 1024
        /// Put BOS before every document.
        public var addBOS = false
        /// Put EOS after every document (the document separator; on by default).
        public var addEOS = true
        /// What happens to a document that does not fit in its row.
        public var remainder = Remainder.carryOver
        /// Keep the label of the first token of each packed document (predicted across the
        /// boundary). Off sets it to −100.
        public var crossDocumentLabels = true
        /// Write `position_ids` that restart at each document (else 0 … L−1 in each row).
        public var resetPositionIDs = true
        /// Creates the defaults.
        public init() {}
    }

    /// The settings.
    public let configuration: Configuration
    /// The vocabulary's ids.
    public let tokens: SpecialTokens

    /// Validates the settings: EOS is needed when documents are separated by it, a pad id when
    /// rows can be padded, and a row must hold at least two tokens and fewer than 2^30 (its
    /// positions are int32, and the builder marks document starts with bit 30).
    public init(_ configuration: Configuration, tokens: SpecialTokens) throws(ObjectiveError) {
        guard configuration.sequenceLength >= 2 else {
            throw .sequenceTooShort(length: configuration.sequenceLength, minimum: 2, objective: "causal-LM")
        }
        guard configuration.sequenceLength < 1 << 30 else {
            throw .invalidConfiguration("sequence length \(configuration.sequenceLength) is too large for the causal-LM objective (at most \((1 << 30) - 1))")
        }
        if configuration.addEOS && tokens.eos == nil {
            throw .missingToken("end-of-sequence token (EOS), the document separator", objective: "causal-LM")
        }
        if configuration.addBOS && tokens.bos == nil {
            throw .missingToken("beginning-of-sequence token (BOS)", objective: "causal-LM")
        }
        self.configuration = configuration
        self.tokens = tokens
    }

    /// `input_ids`, `attention_mask`, `labels`, `position_ids`, `segment_ids`, `cu_seqlens`.
    public static let tensorNames = ["input_ids", "attention_mask", "labels", "position_ids", "segment_ids", "cu_seqlens"]

    /// Forms packed causal-LM rows from documents.
    public struct Builder: BatchBuilder {
        /// The objective.
        public let objective: CausalLanguageModeling
        /// Tokens dropped by the `.drop` policy so far.
        public private(set) var droppedTokens = 0
        // Rows are kept flat, with no arrays of their own: the tokens of the closed rows from
        // `head` on and then of the open row, back to back in `tokens`; each row's segments
        // (a document's tokens within one row) as their start within the row, with
        // `documentStartFlag` set where a document begins, in `segments`. Closed row `r`
        // begins at `rows[r]` in both; the open row at `open`.
        var tokens: [Int32] = []
        var segments: [Int32] = []
        var rows: [Start] = []
        var open = Start(token: 0, segment: 0)
        var head = 0
        var nextSample: UInt64 = 0
        /// A document with its BOS and EOS, reused from one document to the next.
        var document: [Int32] = []

        struct Start {
            var token: Int
            var segment: Int
        }

        /// Marks a segment that starts a document (its start within the row is below 2^30).
        static let documentStartFlag: Int32 = 1 << 30

        /// Creates a builder.
        public init(_ objective: CausalLanguageModeling) { self.objective = objective }

        /// The six tensor names.
        public var tensorNames: [String] { CausalLanguageModeling.tensorNames }
        /// `sequenceLength` for the row tensors (`cu_seqlens` is ragged).
        public func width(of tensor: String) -> Int { tensor == "cu_seqlens" ? 0 : objective.configuration.sequenceLength }
        /// Rows waiting.
        public var pendingRows: Int { rows.count - head }

        /// Tokens in the open row.
        var openCount: Int { tokens.count - open.token }

        /// Where closed row `r` ends (the next row's start, or the open row's).
        @inline(__always)
        func end(of r: Int) -> Start { r + 1 < rows.count ? rows[r + 1] : open }

        /// Adds a document (an empty one is skipped).
        public mutating func append(_ document: Document) throws(ObjectiveError) {
            let c = objective.configuration, t = objective.tokens
            for id in document.ids where id < 0 || Int(id) >= t.vocabularySize {
                throw .idOutOfRange(id: Int(id), vocabularySize: t.vocabularySize)
            }
            // An empty document (a blank line) is not a document: no lone EOS.
            guard !document.ids.isEmpty else { return }
            var doc = self.document
            self.document = []
            defer { self.document = doc }
            doc.removeAll(keepingCapacity: true)
            if c.addBOS, let bos = t.bos { doc.append(bos) }
            doc.append(contentsOf: document.ids)
            if c.addEOS, let eos = t.eos { doc.append(eos) }
            guard !doc.isEmpty else { return }
            let L = c.sequenceLength
            switch c.remainder {
            case .carryOver, .pad:
                // Padding starts a document that does not fit in a fresh row; both then cut
                // what is longer than a row across rows.
                if c.remainder == .pad && doc.count > L - openCount && openCount > 0 { closeRow() }
                var start = 0
                var first = true
                while start < doc.count {
                    let take = min(L - openCount, doc.count - start)
                    place(doc[start..<(start + take)], startsDocument: first)
                    first = false
                    start += take
                    if openCount == L { closeRow() }
                }
            case .drop:
                let take = min(L - openCount, doc.count)
                place(doc[0..<take], startsDocument: true)
                droppedTokens += doc.count - take
                if openCount == L { closeRow() }
            }
        }

        mutating func place(_ piece: ArraySlice<Int32>, startsDocument: Bool) {
            // A row holds at most sequenceLength tokens: the start fits below the flag.
            assert(openCount < Int(Self.documentStartFlag))
            segments.append(Int32(openCount) | (startsDocument ? Self.documentStartFlag : 0))
            tokens.append(contentsOf: piece)
        }

        mutating func closeRow() {
            guard openCount > 0 else { return }
            rows.append(open)
            open = Start(token: tokens.count, segment: segments.count)
        }

        /// The last partial row is padded and kept (nothing is lost).
        public mutating func finishInput() { closeRow() }

        /// Hands out `take` rows: drops what is before the first row still waiting once that is
        /// at least half the tokens kept (each token is moved at most once on average).
        mutating func advance(_ take: Int) {
            head += take
            nextSample += UInt64(take)
            let first = head < rows.count ? rows[head] : open
            guard first.token >= 1 << 16 && first.token * 2 >= tokens.count || head == rows.count && head > 4096 else { return }
            tokens.removeSubrange(0..<first.token)
            segments.removeSubrange(0..<first.segment)
            rows.removeSubrange(0..<head)
            for k in rows.indices {
                rows[k].token -= first.token
                rows[k].segment -= first.segment
            }
            open.token -= first.token
            open.segment -= first.segment
            head = 0
        }

        /// The next batch of up to `maxRows` rows.
        public mutating func nextBatch(maxRows: Int, threads: Int) -> Batch? {
            let take = min(maxRows, pendingRows)
            guard take > 0 else { return nil }
            let c = objective.configuration
            let L = c.sequenceLength
            let pad = objective.tokens.pad ?? objective.tokens.eos ?? 0
            let flag = Self.documentStartFlag
            var input = [Int32](repeating: pad, count: take * L)
            var attention = [Int32](repeating: 0, count: take * L)
            var labels = [Int32](repeating: -100, count: take * L)
            var positions = [Int32](repeating: 0, count: take * L)
            var segmentIDs = [Int32](repeating: 0, count: take * L)
            var cu: [Int32] = [0]
            cu.reserveCapacity(1 + 2 * take)
            tokens.withUnsafeBufferPointer { tokens in
            segments.withUnsafeBufferPointer { segments in
            input.withUnsafeMutableBufferPointer { input in
            attention.withUnsafeMutableBufferPointer { attention in
            labels.withUnsafeMutableBufferPointer { labels in
            positions.withUnsafeMutableBufferPointer { positions in
            segmentIDs.withUnsafeMutableBufferPointer { segmentIDs in
                for r in 0..<take {
                    let from = rows[head + r], to = end(of: head + r)
                    let n = to.token - from.token
                    let base = r * L
                    // A closed row holds 1 ... L tokens and at least one segment.
                    assert(n > 0 && n <= L && to.segment > from.segment && base + L <= input.count)
                    for i in 0..<n {
                        let id = tokens[from.token + i]
                        input[base + i] = id
                        attention[base + i] = 1
                        labels[base + i] = id
                    }
                    var lastStart = 0
                    for k in from.segment..<to.segment {
                        let start = Int(segments[k] & ~flag)
                        let stop = k + 1 < to.segment ? Int(segments[k + 1] & ~flag) : n
                        assert(start < stop && stop <= n)
                        if k > from.segment { cu.append(Int32(base + start)) }
                        // A document's first token has no label unless labels may cross documents.
                        if segments[k] & flag != 0 && start > 0 && !c.crossDocumentLabels { labels[base + start] = -100 }
                        let number = Int32(k - from.segment + 1)
                        for i in start..<stop {
                            positions[base + i] = c.resetPositionIDs ? Int32(i - start) : Int32(i)
                            segmentIDs[base + i] = number
                        }
                        lastStart = start
                    }
                    // Padding positions continue counting (never read: labels and attention are 0).
                    for i in n..<L { positions[base + i] = c.resetPositionIDs ? Int32(i - lastStart) : Int32(i) }
                    if n < L { cu.append(Int32(base + n)) }
                    cu.append(Int32(base + L))
                }
            }}}}}}}
            let first = nextSample
            advance(take)
            return Batch(tensors: [
                Tensor(name: "input_ids", shape: [take, L], values: input),
                Tensor(name: "attention_mask", shape: [take, L], values: attention),
                Tensor(name: "labels", shape: [take, L], values: labels),
                Tensor(name: "position_ids", shape: [take, L], values: positions),
                Tensor(name: "segment_ids", shape: [take, L], values: segmentIDs),
                Tensor(name: "cu_seqlens", shape: [cu.count], values: cu),
            ], rows: take, firstSample: first)
        }

        /// The shapes of the next batch, counted without building it: every row tensor is
        /// `[rows, sequenceLength]`, and `cu_seqlens` holds 0, then for each row one boundary
        /// per segment after its first, one where its padding starts (if it has any) and its
        /// end — as ``nextBatch(maxRows:threads:)`` appends them.
        public mutating func nextBatchShapes(maxRows: Int) -> [TensorShape]? {
            let take = min(maxRows, pendingRows)
            guard take > 0 else { return nil }
            let L = objective.configuration.sequenceLength
            var cuCount = 1
            for r in head..<(head + take) {
                let from = rows[r], to = end(of: r)
                cuCount += (to.segment - from.segment) + (to.token - from.token < L ? 1 : 0)
            }
            advance(take)
            return CausalLanguageModeling.tensorNames.map { name in
                TensorShape(name: name, shape: name == "cu_seqlens" ? [cuCount] : [take, L])
            }
        }
    }
}
