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

extension DecoderSequence {
    /// Writes a `{"type": "Sequence", "decoders": […]}` decoder whose stages `stages` write
    /// (each stage writes its own object).
    static func writeJSON(stages: [(inout JSONWriter) -> Void], to w: inout JSONWriter) {
        w.object { o in
            o.string("type", "Sequence")
            o.member("decoders") { w in w.array(stages.indices) { w, k in stages[k](&w) } }
        }
    }
}
