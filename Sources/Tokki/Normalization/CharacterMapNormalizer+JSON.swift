// The `tokenizer.json` fields of the normalizers in CharacterMapNormalizer.swift, read and
// written (the `"type"` is dispatched in TokenizerJSON+Normalizer.swift).

extension Strip {
    /// A `{"type": "Strip", "strip_left": …, "strip_right": …}` normalizer.
    init(json v: JSONValue) throws(TokkiError) {
        self.init(left: try v.optional("strip_left")?.bool() ?? true, right: try v.optional("strip_right")?.bool() ?? true)
    }

    /// Writes the normalizer as `{"type": "Strip", "strip_left": …, "strip_right": …}`.
    func writeJSON(to w: inout JSONWriter) {
        w.object { o in o.string("type", "Strip"); o.bool("strip_left", left); o.bool("strip_right", right) }
    }
}

extension Prepend {
    /// A `{"type": "Prepend", "prepend": …}` normalizer.
    init(json v: JSONValue) throws(TokkiError) {
        self.init(try v.required("prepend").string())
    }

    /// Writes the normalizer as `{"type": "Prepend", "prepend": …}`.
    func writeJSON(to w: inout JSONWriter) {
        w.object { o in o.string("type", "Prepend"); o.string("prepend", prefix) }
    }
}

extension Replace {
    /// A `{"type": "Replace", "pattern": …, "content": …}` normalizer.
    init(json v: JSONValue) throws(TokkiError) {
        try self.init(try TokenizerJSON.pattern(try v.required("pattern")), content: try v.required("content").string())
    }

    /// Writes the normalizer as `{"type": "Replace", "pattern": …, "content": …}` (the
    /// ``ReplaceDecoder`` is written the same way).
    func writeJSON(to w: inout JSONWriter) {
        w.object { o in
            o.string("type", "Replace")
            o.member("pattern") { pattern.writeJSON(to: &$0) }
            o.string("content", content)
        }
    }
}

extension Replace.Pattern {
    /// Writes the pattern as `{"String": …}` or `{"Regex": …}` (of `Replace` and `Split`).
    func writeJSON(to w: inout JSONWriter) {
        w.object { p in
            switch self {
            case .string(let s): p.string("String", s)
            case .regex(let r): p.string("Regex", r)
            }
        }
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
