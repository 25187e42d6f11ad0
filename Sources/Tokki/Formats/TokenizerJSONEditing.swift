/// Adds tokens to a `tokenizer.json` without rewriting the rest of it: new entries are
/// spliced into `model.vocab`, `model.merges` and `added_tokens` after their last members,
/// so that every other byte of the file (its settings, key order, formatting and fields
/// Tokki does not read) is kept.
package enum TokenizerJSONEditing {
    /// The file with `vocabulary` entries (vocabulary spelling, id), `merges` (two tokens
    /// each, written in the file's own merge format) and `addedTokens` (special tokens, not
    /// normalized) appended.
    ///
    /// - Throws: ``TokkiError/invalidModel(path:problem:)`` when the file is not JSON or has
    ///   no `model.vocab` object or `model.merges` array.
    package static func appending(to bytes: [UInt8], path: String?, vocabulary: [(token: [UInt8], id: Int)],
                                  merges: [([UInt8], [UInt8])], addedTokens: [(content: String, id: Int)]) throws(TokkiError) -> [UInt8] {
        let document = try JSONDocument(bytes: bytes, path: path)
        let root = document.root
        let model = try root.required("model")
        let vocab = try model.required("vocab")
        let mergeList = try model.required("merges")
        // Insertions, applied from the end of the file back.
        var inserts: [(at: Int, text: [UInt8])] = []

        func point(_ container: JSONValue, children: [Int]) -> (at: Int, comma: Bool) {
            let nodes = document.nodes
            guard let last = children.last else { return (Int(nodes[container.index].start) + 1, false) }
            let node = nodes[last]
            return (Int(node.end) + (node.kind == .string ? 1 : 0), true)
        }
        if !vocabulary.isEmpty {
            let (at, comma) = point(vocab, children: try vocab.memberIndices().map(\.value))
            var w = JSONWriter()
            for (k, entry) in vocabulary.enumerated() {
                if comma || k > 0 { w.raw(",") }
                w.string(bytes: entry.token); w.raw(":"); w.integer(entry.id)
            }
            inserts.append((at, w.bytes))
        }
        if !merges.isEmpty {
            let elements = try mergeList.elementIndices()
            // The file's format: "a b" strings (older files) or ["a", "b"] pairs.
            let pairs = elements.first.map { document.nodes[$0].kind == .array } ?? true
            let (at, comma) = point(mergeList, children: elements)
            var w = JSONWriter()
            for (k, (a, b)) in merges.enumerated() {
                if comma || k > 0 { w.raw(",") }
                if pairs {
                    w.raw("["); w.string(bytes: a); w.raw(","); w.string(bytes: b); w.raw("]")
                } else {
                    w.string(bytes: a + [0x20] + b)
                }
            }
            inserts.append((at, w.bytes))
        }
        if !addedTokens.isEmpty {
            var w = JSONWriter()
            func entries(_ comma: Bool) {
                for (k, t) in addedTokens.enumerated() {
                    if comma || k > 0 { w.raw(",") }
                    w.raw("{\"id\":"); w.integer(t.id); w.raw(",\"content\":"); w.string(t.content)
                    w.raw(",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true}")
                }
            }
            if let added = root.optional("added_tokens") {
                let (at, comma) = point(added, children: try added.elementIndices())
                entries(comma)
                inserts.append((at, w.bytes))
            } else {
                // No list yet: add one as the first member of the root object.
                w.raw("\"added_tokens\":[")
                entries(false)
                w.raw("]")
                let hasMembers = document.nodes[0].count > 0
                if hasMembers { w.raw(",") }
                inserts.append((Int(document.nodes[0].start) + 1, w.bytes))
            }
        }
        var out = bytes
        for (at, text) in inserts.sorted(by: { $0.at > $1.at }) {
            assert(at >= 0 && at <= out.count)
            out.insert(contentsOf: text, at: at)
        }
        return out
    }
}
