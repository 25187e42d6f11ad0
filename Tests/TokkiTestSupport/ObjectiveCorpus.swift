import TokkiObjectives

/// Document sets for the property tests of the objectives and the writers.
package enum PropertyCorpus {
    /// Ordinary ids only in 105 ..< 600, so that sentinels taken from the vocabulary's end
    /// (999, 998, …) and the UL2 mode tokens (997…999) are never in a document.
    package static func document(_ n: Int, seed: UInt64) -> [Int32] {
        var rng = CounterRNG(seed: seed, index: 7)
        return (0..<n).map { _ in 105 + Int32(rng.below(495)) }
    }

    /// Named sets of document lengths: tiny (0–3 tokens, empties included), tiny mixed with long
    /// ones, empty only, and one token per document.
    package static let shapes: [(name: String, lengths: [Int])] = [
        ("tiny", [0, 1, 2, 3, 0, 3, 1, 2, 2, 0, 1, 3]),
        ("mixed", [0, 3, 150, 1, 0, 2, 97, 3, 1, 64, 0, 2]),
        ("empty", [0, 0, 0]),
        ("single", Array(repeating: 1, count: 9)),
    ]

    package static func documents(_ lengths: [Int], seed: UInt64 = 1) -> [[Int32]] {
        lengths.enumerated().map { document($0.element, seed: seed &* 31 &+ UInt64($0.offset)) }
    }
}

/// Runs a builder to the end with a batch size and returns its batches.
package func drain(_ builder: inout some BatchBuilder, documents: [Document], batchSize: Int, threads: Int = 1) throws(ObjectiveError) -> [Batch] {
    var batches: [Batch] = []
    for d in documents {
        try builder.append(d)
        while builder.pendingRows >= batchSize, let b = builder.nextBatch(maxRows: batchSize, threads: threads) { batches.append(b) }
    }
    builder.finishInput()
    while let b = builder.nextBatch(maxRows: batchSize, threads: threads) { batches.append(b) }
    return batches
}

/// All rows of a tensor over batches, in order.
package func allRows(_ batches: [Batch], _ name: String) -> [[Int32]] {
    batches.flatMap { b -> [[Int32]] in
        guard let t = b[name] else { return [] }
        return (0..<b.rows).map { Array(t.row($0)) }
    }
}
