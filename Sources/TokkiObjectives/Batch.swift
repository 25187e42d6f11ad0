/// One named integer tensor of a batch, stored row-major (C order).
public struct Tensor: Sendable, Equatable {
    /// The name written to files (`input_ids`, `labels`, …).
    public var name: String
    /// The dimensions, outermost first.
    public var shape: [Int]
    /// The values, `shape.reduce(1, *)` of them.
    public var values: [Int32]

    /// Creates a tensor; `values.count` must equal the product of `shape`.
    public init(name: String, shape: [Int], values: [Int32]) {
        precondition(values.count == shape.reduce(1, *), "tensor \(name): \(values.count) values for shape \(shape)")
        self.name = name
        self.shape = shape
        self.values = values
    }

    /// Row `r` of a two-dimensional tensor.
    public func row(_ r: Int) -> ArraySlice<Int32> {
        let width = shape.count > 1 ? shape[1] : 1
        return values[(r * width)..<((r + 1) * width)]
    }
}

/// A batch: tensors in output order. Tensors of shape [rows, width] share the row count, except
/// ragged ones such as `cu_seqlens`.
public struct Batch: Sendable, Equatable {
    /// The tensors, in the order they are written.
    public var tensors: [Tensor]
    /// Rows in the batch.
    public var rows: Int
    /// The index of the batch's first sample in the whole run (its samples are
    /// `firstSample ..< firstSample + rows`).
    public var firstSample: UInt64

    /// Creates a batch.
    public init(tensors: [Tensor], rows: Int, firstSample: UInt64) {
        self.tensors = tensors
        self.rows = rows
        self.firstSample = firstSample
    }

    /// The tensor called `name`.
    public subscript(name: String) -> Tensor? { tensors.first { $0.name == name } }
}

/// A document for a batch builder: its token ids (no special tokens added) and, optionally,
/// a word id per token for whole-word masking (equal ids = one word; −1 = never masked) or,
/// for supervised fine-tuning, a label per token (−100 = no loss).
public struct Document: Sendable, Equatable {
    /// The token ids.
    public var ids: [Int32]
    /// One word id per token, or nil.
    public var wordIDs: [Int32]?
    /// One label per token (supervised fine-tuning), or nil.
    public var labels: [Int32]?

    /// Creates a document.
    public init(ids: [Int32], wordIDs: [Int32]? = nil, labels: [Int32]? = nil) {
        self.ids = ids
        self.wordIDs = wordIDs
        self.labels = labels
    }
}

/// The ids an objective needs from a vocabulary.
public struct SpecialTokens: Sendable, Equatable {
    /// Number of ids; every id is in `0..<vocabularySize`.
    public var vocabularySize: Int
    /// Ids that are never masked or used as random replacements (control pieces, added
    /// special tokens, padding, …).
    public var special: Set<Int32>
    /// Padding.
    public var pad: Int32?
    /// Beginning of sequence (`<s>`, `[CLS]`).
    public var bos: Int32?
    /// End of sequence (`</s>`, `[SEP]`, `<|endoftext|>`).
    public var eos: Int32?
    /// The mask token (`<mask>`, `[MASK]`).
    public var mask: Int32?
    /// Looks an id up by its token text (sentinels and UL2 mode tokens are resolved by name).
    public var lookup: @Sendable (String) -> Int32?

    /// Creates the table.
    public init(vocabularySize: Int, special: Set<Int32>, pad: Int32? = nil, bos: Int32? = nil, eos: Int32? = nil,
                mask: Int32? = nil, lookup: @escaping @Sendable (String) -> Int32? = { _ in nil }) {
        self.vocabularySize = vocabularySize
        self.special = special
        self.pad = pad
        self.bos = bos
        self.eos = eos
        self.mask = mask
        self.lookup = lookup
    }

    /// Equal when every field but `lookup` is equal.
    public static func == (a: SpecialTokens, b: SpecialTokens) -> Bool {
        a.vocabularySize == b.vocabularySize && a.special == b.special && a.pad == b.pad && a.bos == b.bos
            && a.eos == b.eos && a.mask == b.mask
    }

    /// A per-id table: true for special ids.
    func specialTable() -> [Bool] {
        var table = [Bool](repeating: false, count: vocabularySize)
        for id in special where id >= 0 && Int(id) < vocabularySize { table[Int(id)] = true }
        for id in [pad, bos, eos, mask].compactMap({ $0 }) where id >= 0 && Int(id) < vocabularySize { table[Int(id)] = true }
        return table
    }
}

/// What every objective's batch builder does: take documents in order, cut them into rows, and
/// hand out batches of rows with the objective applied.
///
/// Rows are numbered from 0 in the order they are formed; the randomness of row `r` comes only
/// from `CounterRNG(seed:epoch:index: r)`, so the output is the same whatever the batch size or
/// thread count.
public protocol BatchBuilder: Sendable {
    /// The names of the tensors of every batch, in output order.
    var tensorNames: [String] { get }
    /// The width of each row-shaped tensor (`labels` of span corruption is narrower).
    func width(of tensor: String) -> Int
    /// Adds one document. Throws when an id is outside the vocabulary.
    mutating func append(_ document: Document) throws(ObjectiveError)
    /// Declares the end of the input: the last partial row is completed (padded) or dropped per
    /// the configuration.
    mutating func finishInput()
    /// Rows formed and not yet handed out.
    var pendingRows: Int { get }
    /// Removes up to `maxRows` rows and returns them as a batch (nil when there are none).
    /// `threads` > 1 applies the objective to rows in parallel; the result is identical.
    mutating func nextBatch(maxRows: Int, threads: Int) -> Batch?
    /// Removes the rows `nextBatch(maxRows:threads:)` would take and returns only the shapes
    /// of that batch's tensors, in output order (nil when no row is pending). A writer that
    /// must know every tensor's size before the first byte (one safetensors file written in
    /// place) plans with this, then builds the same batches again from the same documents.
    mutating func nextBatchShapes(maxRows: Int) -> [TensorShape]?
}

/// The name and shape of one tensor of a batch, without its values.
public struct TensorShape: Sendable, Equatable {
    /// The tensor's name.
    public var name: String
    /// The dimensions, outermost first.
    public var shape: [Int]

    /// Creates a shape.
    public init(name: String, shape: [Int]) {
        self.name = name
        self.shape = shape
    }
}

extension BatchBuilder {
    /// Builds the batch and keeps its shapes: right for every builder, and what a builder
    /// whose shapes depend on the rows' content (ragged `cu_seqlens`) does.
    public mutating func nextBatchShapes(maxRows: Int) -> [TensorShape]? {
        nextBatch(maxRows: maxRows, threads: 1).map { $0.tensors.map { TensorShape(name: $0.name, shape: $0.shape) } }
    }
}
