// The `tokenizer.json` fields of the normalizers in CharacterMapNormalizer.swift (the `"type"`
// is dispatched in TokenizerJSON+Normalizer.swift).

extension Strip {
    /// A `{"type": "Strip", "strip_left": …, "strip_right": …}` normalizer.
    init(json v: JSONValue) throws(TokkiError) {
        self.init(left: try v.optional("strip_left")?.bool() ?? true, right: try v.optional("strip_right")?.bool() ?? true)
    }
}

extension Prepend {
    /// A `{"type": "Prepend", "prepend": …}` normalizer.
    init(json v: JSONValue) throws(TokkiError) {
        self.init(try v.required("prepend").string())
    }
}

extension Replace {
    /// A `{"type": "Replace", "pattern": …, "content": …}` normalizer.
    init(json v: JSONValue) throws(TokkiError) {
        try self.init(try TokenizerJSON.pattern(try v.required("pattern")), content: try v.required("content").string())
    }
}

extension BertNormalizer {
    /// A `{"type": "BertNormalizer", …}` normalizer.
    init(json v: JSONValue) throws(TokkiError) {
        try self.init(cleanText: try v.optional("clean_text")?.bool() ?? true,
                      handleChineseCharacters: try v.optional("handle_chinese_chars")?.bool() ?? true,
                      stripAccents: try v.optional("strip_accents")?.bool(),
                      lowercase: try v.optional("lowercase")?.bool() ?? true)
    }
}
