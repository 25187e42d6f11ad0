/// Joins all tokens into one string.
public struct FuseDecoder: TokenDecoder {
    /// Creates the decoder.
    public init() {}
    /// Joins the tokens.
    public func decodeChain(_ tokens: [String]) -> [String] { [tokens.joined()] }
}

extension FuseDecoder {
    /// Writes the decoder as `{"type": "Fuse"}` (it has no fields; read in
    /// TokenizerJSON+Decoder.swift).
    func writeJSON(to w: inout JSONWriter) {
        w.object { o in o.string("type", "Fuse") }
    }
}
