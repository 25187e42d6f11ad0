/// Subword regularization: a model that can draw a random segmentation. Sampling is an
/// optional capability, so it is a protocol of its own: a model that cannot sample simply
/// does not conform, instead of carrying a method that fails at run time.
public protocol SamplingModel: TokenModel {
    /// Appends a sampled segmentation of `normalized` to `spans`.
    ///
    /// - Parameters:
    ///   - normalized: the normalized UTF-8 to segment.
    ///   - alpha: unigram: the smoothing exponent θ applied to piece scores; BPE: the
    ///     probability of skipping each merge (BPE-dropout).
    ///   - nbestSize: unigram only: sample among the `nbestSize` best segmentations when
    ///     greater than 1, from all segmentations (forward-filtering, backward-sampling) when
    ///     negative; 0 or 1 gives the best segmentation.
    ///   - rng: the random source; the same seed gives the same segmentation.
    ///   - spans: receives the segments, in order, covering every byte of `normalized`.
    func sample(_ normalized: UnsafeBufferPointer<UInt8>, alpha: Double, nbestSize: Int,
                rng: inout SplitMixGenerator, into spans: inout [TokenSpan])
}

extension SentencePieceBPEModel: SamplingModel {
    /// BPE-dropout: each merge is skipped with probability `alpha`.
    public func sample(_ normalized: UnsafeBufferPointer<UInt8>, alpha: Double, nbestSize: Int,
                       rng: inout SplitMixGenerator, into spans: inout [TokenSpan]) {
        withUnsafeMutablePointer(to: &rng) { r in
            segment(normalized, into: &spans, dropout: (alpha: alpha, rng: r))
        }
    }
}
