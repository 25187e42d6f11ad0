/// One decoding stage of a Hugging Face pipeline: token strings in, (fewer or rewritten)
/// strings out. The pipeline joins the final strings.
public protocol TokenDecoder: Sendable {
    /// Rewrites the token strings.
    func decodeChain(_ tokens: [String]) -> [String]
}
