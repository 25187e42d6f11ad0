/// Joins all tokens into one string.
public struct FuseDecoder: TokenDecoder {
    /// Creates the decoder.
    public init() {}
    /// Joins the tokens.
    public func decodeChain(_ tokens: [String]) -> [String] { [tokens.joined()] }
}
