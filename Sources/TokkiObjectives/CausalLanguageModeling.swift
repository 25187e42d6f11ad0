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
    /// rows can be padded, and a row must hold at least two tokens.
    public init(_ configuration: Configuration, tokens: SpecialTokens) throws(ObjectiveError) {
        guard configuration.sequenceLength >= 2 else {
            throw .sequenceTooShort(length: configuration.sequenceLength, minimum: 2, objective: "causal-LM")
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
        // The row being filled: tokens and their segment numbers (1-based within the row).
        var current: [Int32] = []
        var currentSegments: [Int32] = []
        var currentDocumentStart: [Bool] = []
        var segment: Int32 = 0
        var done: [Row] = []
        var head = 0
        var nextSample: UInt64 = 0

        struct Row {
            var ids: [Int32]
            var segments: [Int32]
            var documentStart: [Bool]
        }

        /// Creates a builder.
        public init(_ objective: CausalLanguageModeling) { self.objective = objective }

        /// The six tensor names.
        public var tensorNames: [String] { CausalLanguageModeling.tensorNames }
        /// `sequenceLength` for the row tensors (`cu_seqlens` is ragged).
        public func width(of tensor: String) -> Int { tensor == "cu_seqlens" ? 0 : objective.configuration.sequenceLength }
        /// Rows waiting.
        public var pendingRows: Int { done.count - head }

        /// Adds a document (an empty one is skipped).
        public mutating func append(_ document: Document) throws(ObjectiveError) {
            let c = objective.configuration, t = objective.tokens
            for id in document.ids where id < 0 || Int(id) >= t.vocabularySize {
                throw .idOutOfRange(id: Int(id), vocabularySize: t.vocabularySize)
            }
            // An empty document (a blank line) is not a document: no lone EOS.
            guard !document.ids.isEmpty else { return }
            var doc: [Int32] = []
            doc.reserveCapacity(document.ids.count + 2)
            if c.addBOS, let bos = t.bos { doc.append(bos) }
            doc.append(contentsOf: document.ids)
            if c.addEOS, let eos = t.eos { doc.append(eos) }
            guard !doc.isEmpty else { return }
            let L = c.sequenceLength
            switch c.remainder {
            case .carryOver, .pad:
                // Padding starts a document that does not fit in a fresh row; both then cut
                // what is longer than a row across rows.
                if c.remainder == .pad && doc.count > L - current.count && !current.isEmpty { closeRow() }
                var start = 0
                var first = true
                while start < doc.count {
                    let take = min(L - current.count, doc.count - start)
                    place(doc[start..<(start + take)], startsDocument: first)
                    first = false
                    start += take
                    if current.count == L { closeRow() }
                }
            case .drop:
                let take = min(L - current.count, doc.count)
                place(doc[0..<take], startsDocument: true)
                droppedTokens += doc.count - take
                if current.count == L { closeRow() }
            }
        }

        mutating func place(_ tokens: ArraySlice<Int32>, startsDocument: Bool) {
            segment += 1
            current.append(contentsOf: tokens)
            currentSegments.append(contentsOf: repeatElement(segment, count: tokens.count))
            currentDocumentStart.append(startsDocument)
            currentDocumentStart.append(contentsOf: repeatElement(false, count: tokens.count - 1))
        }

        mutating func closeRow() {
            guard !current.isEmpty else { return }
            done.append(Row(ids: current, segments: currentSegments, documentStart: currentDocumentStart))
            current.removeAll(keepingCapacity: true)
            currentSegments.removeAll(keepingCapacity: true)
            currentDocumentStart.removeAll(keepingCapacity: true)
            segment = 0
        }

        /// The last partial row is padded and kept (nothing is lost).
        public mutating func finishInput() { closeRow() }

        /// The next batch of up to `maxRows` rows.
        public mutating func nextBatch(maxRows: Int, threads: Int) -> Batch? {
            let take = min(maxRows, pendingRows)
            guard take > 0 else { return nil }
            let c = objective.configuration
            let L = c.sequenceLength
            let pad = objective.tokens.pad ?? objective.tokens.eos ?? 0
            var input = [Int32](repeating: pad, count: take * L)
            var attention = [Int32](repeating: 0, count: take * L)
            var labels = [Int32](repeating: -100, count: take * L)
            var positions = [Int32](repeating: 0, count: take * L)
            var segments = [Int32](repeating: 0, count: take * L)
            var cu: [Int32] = [0]
            for r in 0..<take {
                let row = done[head + r]
                let base = r * L
                var position: Int32 = 0
                var previousSegment: Int32 = 0
                for i in row.ids.indices {
                    let s = row.segments[i]
                    if s != previousSegment {
                        if i > 0 { cu.append(Int32(base + i)) }
                        position = 0
                        previousSegment = s
                    }
                    input[base + i] = row.ids[i]
                    attention[base + i] = 1
                    labels[base + i] = (!c.crossDocumentLabels && row.documentStart[i] && i > 0) ? -100 : row.ids[i]
                    positions[base + i] = c.resetPositionIDs ? position : Int32(i)
                    segments[base + i] = s
                    position += 1
                }
                // Padding positions continue counting (never read: labels and attention are 0).
                for i in row.ids.count..<L { positions[base + i] = c.resetPositionIDs ? position + Int32(i - row.ids.count) : Int32(i) }
                if row.ids.count < L { cu.append(Int32(base + row.ids.count)) }
                cu.append(Int32(base + L))
            }
            head += take
            if head > 4096 && head * 2 > done.count {
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
