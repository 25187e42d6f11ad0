/// Several decoders in order.
public struct DecoderSequence: TokenDecoder {
    /// The stages.
    public let decoders: [any TokenDecoder]
    /// Creates a sequence.
    public init(_ decoders: [any TokenDecoder]) { self.decoders = decoders }
    /// Runs every stage.
    public func decodeChain(_ tokens: [String]) -> [String] {
        decoders.reduce(tokens) { $1.decodeChain($0) }
    }
}
