/// Errors thrown by the `Tokki` module.
///
/// Every case carries enough context (file, line, byte offset, piece) for a user to find
/// and fix the problem. The `tokki` command maps each case to a message on stderr and a
/// non-zero exit code.
public enum TokkiError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input is not well-formed UTF-8. `byteOffset` counts from the start of the
    /// examined buffer (or of the line when `line` is set); `source` names the file, if any.
    case invalidUTF8(source: String?, line: Int?, byteOffset: Int)
    /// An ICU call failed. `status` is ICU's error code, `name` its symbolic name.
    case icu(operation: String, status: Int32, name: String)
    /// The input is larger than a component can handle in one piece.
    case inputTooLarge(bytes: Int, limit: Int)
    /// A configuration value is out of range or inconsistent.
    case invalidConfiguration(String)
    /// A model file is truncated, corrupt or inconsistent. `path` names the file when known.
    case invalidModel(path: String?, problem: String)
    /// A file could not be read or written.
    case io(path: String, reason: String)
    /// A token id outside the vocabulary was given to `decode`.
    case invalidID(Int, vocabularySize: Int)
    /// A line of a text input is longer than the reader's limit (see ``LineReader``).
    /// `line` is 1-based; `byteOffset` is where the line starts in the input.
    case lineTooLong(source: String, line: Int, byteOffset: Int, limit: Int)
    /// A compressed (gzip, zstd) or legacy-encoded (CP949, UTF-16, …) input cannot be decoded.
    /// `byteOffset` counts bytes of the file as stored (before decompression when the file is
    /// compressed, else before charset conversion).
    case invalidInput(source: String, byteOffset: Int, problem: String)

    /// A one-line, human-readable description of the error.
    public var description: String {
        switch self {
        case let .invalidUTF8(source, line, byteOffset):
            var where_ = source.map { "\($0): " } ?? ""
            if let line { where_ += "line \(line), " }
            return "\(where_)invalid UTF-8 at byte offset \(byteOffset)"
        case let .icu(operation, status, name):
            return "ICU \(operation) failed: \(name) (\(status))"
        case let .inputTooLarge(bytes, limit):
            return "input of \(bytes) bytes exceeds the limit of \(limit) bytes"
        case let .invalidConfiguration(message):
            return "invalid configuration: \(message)"
        case let .invalidModel(path, problem):
            return "\(path ?? "model"): \(problem)"
        case let .io(path, reason):
            return "\(path): \(reason)"
        case let .invalidID(id, size):
            return "token id \(id) is out of range (vocabulary size \(size))"
        case let .lineTooLong(source, line, byteOffset, limit):
            return "\(source): line \(line) (at byte offset \(byteOffset)) is longer than the limit of \(limit) bytes"
        case let .invalidInput(source, byteOffset, problem):
            return "\(source): \(problem) (at byte offset \(byteOffset))"
        }
    }
}
