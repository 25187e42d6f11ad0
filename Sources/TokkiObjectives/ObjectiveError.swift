/// Errors of the objectives module: a configuration the objective cannot work with, named
/// before any batch is built.
public enum ObjectiveError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An option is out of range or inconsistent.
    case invalidConfiguration(String)
    /// The vocabulary lacks a token the objective needs (`[MASK]`, EOS, a sentinel, …).
    case missingToken(String, objective: String)
    /// The sequence length is too small for the objective.
    case sequenceTooShort(length: Int, minimum: Int, objective: String)
    /// A token id is outside the vocabulary.
    case idOutOfRange(id: Int, vocabularySize: Int)
    /// A caller-supplied per-token array (word ids) does not match the token count.
    case lengthMismatch(what: String, expected: Int, got: Int)

    /// A one-line description.
    public var description: String {
        switch self {
        case let .invalidConfiguration(m): return "invalid configuration: \(m)"
        case let .missingToken(token, objective):
            return "the vocabulary has no \(token), which the \(objective) objective needs"
        case let .sequenceTooShort(length, minimum, objective):
            return "sequence length \(length) is too small for the \(objective) objective (at least \(minimum))"
        case let .idOutOfRange(id, size): return "token id \(id) is outside the vocabulary (size \(size))"
        case let .lengthMismatch(what, expected, got): return "\(what) has \(got) entries for \(expected) tokens"
        }
    }
}
