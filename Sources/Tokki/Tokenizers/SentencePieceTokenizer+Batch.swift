extension SentencePieceTokenizer {
    /// Encodes many texts on `threads` threads (nil: ``Parallelism/threads``). The result is the same
    /// whatever the thread count.
    public func encodeBatch(_ texts: [String], addBOS: Bool = false, addEOS: Bool = false, threads: Int? = nil) -> [Encoding] {
        Parallelism.map(texts.count, threads: threads, empty: Encoding(ids: [], pieces: [], offsets: [], characterOffsets: [])) {
            (range, out) in
            for k in range { out[k] = encode(texts[k], addBOS: addBOS, addEOS: addEOS) }
        }
    }

    /// The ids of many texts, encoded on `threads` threads.
    public func encodeIDsBatch(_ texts: [String], addBOS: Bool = false, addEOS: Bool = false, threads: Int? = nil) -> [[Int]] {
        Parallelism.map(texts.count, threads: threads, empty: []) { (range, out) in
            var scratch = Scratch()
            var ids: [Int32] = []
            for k in range {
                ids.removeAll(keepingCapacity: true)
                var s = texts[k]
                s.withUTF8 { encodeIDs($0, into: &ids, scratch: &scratch, addBOS: addBOS, addEOS: addEOS) }
                out[k] = ids.map(Int.init)
            }
        }
    }
}
