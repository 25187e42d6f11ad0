import Foundation

/// A fresh folder under the system's temporary directory, for a test's files. The test removes
/// it when it finishes, passed or failed: `defer { removeScratch(dir) }` on the next line.
package func scratchDirectory(_ prefix: String) throws -> String {
    let dir = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// Removes a file or a folder (with everything in it) that a test made under the temporary
/// directory; nothing if it is not there.
package func removeScratch(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

package func removeScratch(_ url: URL) {
    try? FileManager.default.removeItem(at: url)
}

/// Runs `body`, which fills the scratch file or folder `path` for a test, and removes `path` if
/// `body` throws. For helpers that make a scratch folder and return it: the test that gets the
/// folder removes it (`defer { removeScratch(dir) }`), but if the helper fails, nothing does.
package func removingScratchOnError<T>(_ path: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch {
        removeScratch(path)
        throw error
    }
}
