import CFuzzDriver
import Foundation
import Tokki

/// Runs libFuzzer over `body` with the process's command line (libFuzzer flags, corpus
/// directories, crash files). SwiftPM renames `main` of every executable, so libFuzzer's own
/// `main` is never used: each target calls this from its `main.swift`.
public func runFuzzer(_ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
}

/// The fuzz input as bytes.
public func inputBytes(_ start: UnsafeRawPointer?, _ count: Int) -> [UInt8] {
    guard let start, count > 0 else { return [] }
    return [UInt8](UnsafeRawBufferPointer(start: start, count: count))
}

/// `Tests/Fixtures` of the Tokki package: `$TOKKI_FUZZ_FIXTURES`, or found from this file's path.
public let fixturesDirectory: URL = {
    if let dir = ProcessInfo.processInfo.environment["TOKKI_FUZZ_FIXTURES"], !dir.isEmpty {
        return URL(fileURLWithPath: dir)
    }
    return URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures")
}()

/// A fixture file's URL (`relative` under `Tests/Fixtures`).
public func fixture(_ relative: String) -> URL { fixturesDirectory.appendingPathComponent(relative) }

/// Loads something a target needs before fuzzing; a failure is a broken setup, not a finding.
public func setup<T>(_ what: String, _ body: () throws -> T) -> T {
    do { return try body() } catch {
        FileHandle.standardError.write(Data("fuzz setup: cannot load \(what): \(error)\n".utf8))
        exit(2)
    }
}

/// Splits `bytes` at the first occurrence of `marker` (the whole input and nothing when absent).
public func split(_ bytes: [UInt8], at marker: [UInt8]) -> ([UInt8], [UInt8]) {
    guard !marker.isEmpty, bytes.count >= marker.count else { return (bytes, []) }
    var i = 0
    while i + marker.count <= bytes.count {
        if bytes[i] == marker[0] && bytes[i..<(i + marker.count)].elementsEqual(marker) {
            return (Array(bytes[..<i]), Array(bytes[(i + marker.count)...]))
        }
        i += 1
    }
    return (bytes, [])
}

/// A per-process scratch directory for targets whose reader only takes paths.
public let scratchDirectory: String = {
    let dir = NSTemporaryDirectory() + "tokki-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}()

/// Writes `bytes` to `path` with plain system calls (Foundation's file writing is slow and
/// holds on to memory at fuzzing rates); a broken scratch directory ends the run.
public func writeScratch(_ bytes: [UInt8], to path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    var written = 0
    if fd >= 0 {
        bytes.withUnsafeBytes { raw in
            while written < raw.count, let base = raw.baseAddress {
                let n = write(fd, base + written, raw.count - written)
                if n <= 0 { break }
                written += n
            }
        }
        close(fd)
    }
    guard fd >= 0, written == bytes.count else {
        FileHandle.standardError.write(Data("fuzz setup: cannot write \(path)\n".utf8))
        exit(2)
    }
}

/// Short texts that exercise loaded models (Korean, Latin, digits, spaces, controls).
public let probeText = "대한민국은 민주공화국이다. Hello, world! 123 ①㈜ ＡＢＣ\t\n 가​나"
