extension SentencePieceTokenizer {
    /// A randomly sampled encoding for subword regularization, reproducible from `seed`.
    ///
    /// - Parameters:
    ///   - text: the raw text to encode.
    ///   - alpha: unigram: smoothing exponent θ; BPE: merge-dropout probability.
    ///   - nbestSize: unigram only: sample among the `nbestSize` best segmentations (> 1),
    ///     from the whole lattice (< 0), or not at all (0, 1).
    ///   - seed: the same seed gives the same ids.
    ///   - addBOS: start with the model's BOS id (when it has one).
    ///   - addEOS: end with the model's EOS id (when it has one).
    ///
    /// CHAR and WORD models have a single segmentation: they return the plain encoding.
    public func sampleEncodeIDs(_ text: String, alpha: Double, nbestSize: Int = -1, seed: UInt64,
                                addBOS: Bool = false, addEOS: Bool = false) -> [Int] {
        var rng = SplitMixGenerator(seed: seed)
        var scratch = Scratch()
        var s = text
        s.withUTF8 { normalizer.normalize($0, into: &scratch.normalized) }
        scratch.normalized.bytes.withUnsafeBufferPointer { norm in
            if let unigram {
                unigram.sample(norm, alpha: alpha, nbestSize: nbestSize, rng: &rng, into: &scratch.spans)
            } else if let bpe {
                bpe.sample(norm, alpha: alpha, nbestSize: nbestSize, rng: &rng, into: &scratch.spans)
            } else if let char {
                char.segment(norm, into: &scratch.spans)
            } else if let word {
                word.segment(norm, into: &scratch.spans)
            }
        }
        var ids: [Int32] = []
        if addBOS, let bos = model.bosID { ids.append(Int32(bos)) }
        var prevUnk = false
        appendIDs(scratch.spans, normalized: scratch.normalized.bytes, into: &ids, prevUnk: &prevUnk)
        if addEOS, let eos = model.eosID { ids.append(Int32(eos)) }
        return ids.map(Int.init)
    }

    /// The `size` best segmentations of `text` (unigram models), best first. For a BPE
    /// model this is the single BPE segmentation.
    public func nbestEncodeIDs(_ text: String, size: Int) -> [[Int]] {
        var scratch = Scratch()
        var s = text
        s.withUTF8 { normalizer.normalize($0, into: &scratch.normalized) }
        guard let unigram else { return [encodeIDs(text)] }
        let paths = scratch.normalized.bytes.withUnsafeBufferPointer { unigram.nbest($0, size: size) }
        return paths.map { path in
            var ids: [Int32] = []
            var prevUnk = false
            appendIDs(path.spans, normalized: scratch.normalized.bytes, into: &ids, prevUnk: &prevUnk)
            return ids.map(Int.init)
        }
    }
}
