// The `tokenizer.json` fields of the pre-tokenizers in ByteLevel.swift, read and written (the
// `"type"` is dispatched in TokenizerJSON+PreTokenizer.swift).

extension ByteLevel {
    /// A `{"type": "ByteLevel", "add_prefix_space": …, "use_regex": …, "trim_offsets": …}`
    /// pre-tokenizer.
    init(json v: JSONValue) throws(TokkiError) {
        try self.init(addPrefixSpace: try v.optional("add_prefix_space")?.bool() ?? true,
                      useRegex: try v.optional("use_regex")?.bool() ?? true,
                      trimOffsets: try v.optional("trim_offsets")?.bool() ?? true)
    }

    /// Writes the pre-tokenizer as `{"type": "ByteLevel", "add_prefix_space": …,
    /// "trim_offsets": …, "use_regex": …}`.
    func writeJSON(to w: inout JSONWriter) {
        Self.writeJSON(addPrefixSpace: addPrefixSpace, useRegex: useRegex, trimOffsets: trimOffsets, to: &w)
    }

    /// Writes a `ByteLevel` object with these fields (in `tokenizers`' order), without making
    /// the stage (whose regex compilation can fail): the pre-tokenizer, the post-processor
    /// and the decoder share the layout.
    static func writeJSON(addPrefixSpace: Bool, useRegex: Bool, trimOffsets: Bool, to w: inout JSONWriter) {
        w.object { o in
            o.string("type", "ByteLevel"); o.bool("add_prefix_space", addPrefixSpace); o.bool("trim_offsets", trimOffsets)
            o.bool("use_regex", useRegex)
        }
    }
}

extension Metaspace {
    /// A `{"type": "Metaspace", "replacement": …, "prepend_scheme": …, "split": …}`
    /// pre-tokenizer.
    init(json v: JSONValue) throws(TokkiError) {
        let replacement = try v.optional("replacement")?.string() ?? "▁"
        guard replacement.unicodeScalars.count == 1 else { throw v.error("Metaspace replacement must be one character") }
        let scheme = try Self.prependScheme(json: v)
        self.init(replacement: replacement, prependScheme: scheme, split: try v.optional("split")?.bool() ?? true)
    }

    /// Writes the pre-tokenizer as `{"type": "Metaspace", "replacement": …, "prepend_scheme":
    /// …, "split": …}`.
    func writeJSON(to w: inout JSONWriter) {
        w.object { o in
            o.string("type", "Metaspace"); o.string("replacement", replacement)
            o.string("prepend_scheme", prependScheme.rawValue); o.bool("split", split)
        }
    }

    /// The `prepend_scheme` (or the older `add_prefix_space`) of a Metaspace pre-tokenizer or
    /// decoder.
    static func prependScheme(json v: JSONValue) throws(TokkiError) -> PrependScheme {
        if let s = v.optional("prepend_scheme") {
            guard let p = PrependScheme(rawValue: try s.string()) else { throw s.error("unknown prepend_scheme") }
            return p
        }
        if let a = v.optional("add_prefix_space"), try !a.bool() { return .never }
        return .always
    }
}
