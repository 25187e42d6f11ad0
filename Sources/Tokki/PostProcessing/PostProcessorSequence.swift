/// Several post-processors in order (only the first adds special tokens in practice).
public struct PostProcessorSequence: PostProcessor {
    /// The stages.
    public let processors: [any PostProcessor]
    /// Creates a sequence.
    public init(_ processors: [any PostProcessor]) { self.processors = processors }
    /// The sum of the stages' counts.
    public func addedTokenCount(pair: Bool) -> Int { processors.reduce(0) { $0 + $1.addedTokenCount(pair: pair) } }
    /// Runs the stages in order.
    public func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        processors.reduce(encodings) { $1.processEncodings($0, addSpecialTokens: addSpecialTokens) }
    }
}
