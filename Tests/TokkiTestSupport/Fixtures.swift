import Foundation
@testable import Tokki

/// Locates files under `Tests/Fixtures` (committed) and the gitignored `.models/` folder.
package enum Fixtures {
    package static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    package static let root = testsDirectory.appendingPathComponent("Fixtures")
    package static let packageRoot = testsDirectory.deletingLastPathComponent()

    package static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    package static func data(_ relative: String) throws -> Data { try Data(contentsOf: url(relative)) }
}

extension Fixtures {
    /// Parses a fixture's JSON with Tokki's own parser (Foundation's JSONSerialization drops
    /// U+FEFF inside strings) into Foundation-style values: [String: Any], [Any], String,
    /// Int, Double, Bool, NSNull.
    package static func json(_ relative: String) throws -> Any {
        let doc = try JSONDocument(bytes: [UInt8](data(relative)), path: relative)
        return try plain(doc.root)
    }

    private static func plain(_ v: JSONValue) throws -> Any {
        switch v.kind {
        case .null: return NSNull()
        case .true: return true
        case .false: return false
        case .number:
            if let i = v.document.integer(v.index), !v.document.bytes[Int(v.document.nodes[v.index].start)..<Int(v.document.nodes[v.index].end)].contains(0x2E) { return i }
            return try v.double()
        case .string: return try v.string()
        case .array: return try v.array().map { try plain($0) }
        case .object:
            var out: [String: Any] = [:]
            for m in try v.memberIndices() {
                out[try v.document.string(m.key)] = try plain(v.value(at: m.value, path: ""))
            }
            return out
        }
    }
}

/// Published third-party files that the fetch scripts bring into the gitignored `.models/`
/// with reference outputs. Tests that need them are `.enabled(if:)` these flags, so that a
/// missing file shows as a skipped test; once fetched, a missing expectation is a failure.
package enum Published {
    package static let directory = Fixtures.packageRoot.appendingPathComponent(".models")

    package static func path(_ file: String) -> String { directory.appendingPathComponent(file).path }

    package static func exists(_ file: String) -> Bool { FileManager.default.fileExists(atPath: path(file)) }

    /// `scripts/fetch/fetch_published_tokenizers.sh` ran (with its reference outputs).
    package static let tokenizersFetched = exists("MANIFEST-tokenizers.tsv") && exists("qwen3.tokenizer.json.expected.json")

    /// `scripts/fetch/fetch_published_models.sh` ran (with its reference outputs).
    package static let modelsFetched = exists("MANIFEST.tsv") && exists("gemma3.expected.json")
}
