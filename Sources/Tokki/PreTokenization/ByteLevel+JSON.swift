// The `tokenizer.json` fields of the pre-tokenizers in ByteLevel.swift (the `"type"` is
// dispatched in TokenizerJSON+PreTokenizer.swift).

extension ByteLevel {
    /// A `{"type": "ByteLevel", "add_prefix_space": …, "use_regex": …, "trim_offsets": …}`
    /// pre-tokenizer.
    init(json v: JSONValue) throws(TokkiError) {
        try self.init(addPrefixSpace: try v.optional("add_prefix_space")?.bool() ?? true,
                      useRegex: try v.optional("use_regex")?.bool() ?? true,
                      trimOffsets: try v.optional("trim_offsets")?.bool() ?? true)
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
