import Foundation
import Testing

/// Runs the built `tokki` executable (built next to the test binary by `swift test`).
package enum TokkiExecutable {
    package static var url: URL? {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        }
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("tokki")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    package struct Result {
        package let status: Int32
        package let stdout: Data
        package let stderr: String
        package var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    package static func run(_ arguments: [String], stdin: Data = Data(), environment: [String: String] = [:]) throws -> Result {
        let url = try #require(Self.url, "the tokki executable was not built next to the tests")
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        // Compiled models go to a folder of this test process, not the user's cache.
        var env = ["TOKKI_CACHE_DIR": NSTemporaryDirectory() + "tokki-test-cache-\(getpid())"]
        env.merge(environment) { _, new in new }
        process.environment = ProcessInfo.processInfo.environment.merging(env) { _, new in new }
        let inPipe = Pipe(), outPipe = Pipe(), errPipe = Pipe()
        process.standardInput = inPipe
        process.standardOutput = outPipe
        process.standardError = errPipe
        try process.run()
        // Feed stdin and drain both outputs concurrently so large data cannot deadlock.
        let writer = Thread { inPipe.fileHandleForWriting.write(stdin); try? inPipe.fileHandleForWriting.close() }
        writer.start()
        let errBox = DataBox()
        let errReader = Thread { errBox.data = errPipe.fileHandleForReading.readDataToEndOfFile() }
        errReader.start()
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while errReader.isExecuting || !errReader.isFinished { usleep(1000) }
        return Result(status: process.terminationStatus, stdout: out, stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    package final class DataBox: @unchecked Sendable { var data = Data() }
}
