import ArgumentParser
import Tokki
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// sysexits(3) codes used by every command: 64 usage error, 65 bad input data (invalid UTF-8,
/// a malformed model file), 66 input file missing, 73 / 74 cannot create / write an output,
/// 1 anything else; 0 is success.
enum ExitStatus: Int32 {
    case usage = 64, dataError = 65, noInput = 66, cannotCreate = 73, ioError = 74, failure = 1
}

/// Writes `message` as one line to stderr.
func printError(_ message: String) {
    var line = message
    if !line.hasSuffix("\n") { line += "\n" }
    let bytes = Array(line.utf8)
    _ = bytes.withUnsafeBytes { writeAll(2, $0) }   // nowhere left to report a failure
}

/// Reports `message` on stderr and returns the exit code to throw.
func fail(_ status: ExitStatus, _ message: String) -> ExitCode {
    printError("tokki: \(message)")
    return ExitCode(status.rawValue)
}

/// The error for invalid UTF-8 in an input line: file, line, byte offset in the file and
/// byte within the line (exit 65).
func invalidUTF8(_ source: String, line: Int, lineOffset: Int, byteInLine bad: Int, text: [UInt8]? = nil) -> ExitCode {
    fail(.dataError, "\(source): line \(line): invalid UTF-8 at byte offset \(lineOffset + bad) (byte \(bad + 1) of the line); use --invalid replace to substitute U+FFFD"
         + (text.map(InputSettings.legacyHint) ?? ""))
}

/// Maps a library error to an exit code with a message.
func fail(_ error: TokkiError) -> ExitCode {
    switch error {
    case .invalidUTF8: return fail(.dataError, "\(error.description) (use --invalid replace to substitute U+FFFD)")
    case .inputTooLarge: return fail(.dataError, error.description)
    case .invalidConfiguration: return fail(.usage, error.description)
    case .icu: return fail(.failure, error.description)
    case .invalidModel: return fail(.dataError, error.description)
    case .invalidID: return fail(.dataError, error.description)
    case .io: return fail(.ioError, error.description)
    case .lineTooLong: return fail(.dataError, "\(error.description); raise it with --max-line-bytes")
    case .invalidInput: return fail(.dataError, error.description)
    }
}
