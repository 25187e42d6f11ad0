/// Reads one string field of a JSON object line (JSONL corpora: `{"text": "…"}`).
package enum JSONLines {
    /// The UTF-8 bytes of the string member `field` of the JSON object in `line`, or nil
    /// when the member is absent or not a string.
    ///
    /// - Throws: ``TokkiError/invalidModel(path:problem:)`` naming the byte offset when the
    ///   line is not valid JSON or not an object.
    package static func stringField(_ field: String, in line: [UInt8], source: String? = nil) throws(TokkiError) -> [UInt8]? {
        let root = try JSONDocument(bytes: line, path: source).root
        guard root.kind == .object else { throw root.error("expected a JSON object") }
        for m in try root.memberIndices() where try root.document.string(m.key) == field {
            guard root.document.nodes[m.value].kind == .string else { return nil }
            return try root.document.stringBytes(m.value)
        }
        return nil
    }

    /// The UTF-8 bytes of the string member `field` (as ``stringField(_:in:source:)``) and the
    /// byte range of its literal in `line`, quotes included, so that a caller can replace the
    /// value and keep the rest of the line as it was.
    package static func stringFieldSpan(_ field: String, in line: [UInt8], source: String? = nil) throws(TokkiError) -> (value: [UInt8], literal: Range<Int>)? {
        let root = try JSONDocument(bytes: line, path: source).root
        guard root.kind == .object else { throw root.error("expected a JSON object") }
        for m in try root.memberIndices() where try root.document.string(m.key) == field {
            let node = root.document.nodes[m.value]
            guard node.kind == .string else { return nil }
            return (try root.document.stringBytes(m.value), (Int(node.start) - 1)..<(Int(node.end) + 1))
        }
        return nil
    }
}
