/// Hugging Face's `TemplateProcessing`: templates such as `[CLS] $A [SEP] $B:1 [SEP]:1`.
public struct TemplateProcessing: PostProcessor {
    /// One item of a template.
    public enum Piece: Sendable, Equatable {
        /// Sequence A (`first == true`) or B, with its type id.
        case sequence(first: Bool, typeID: Int)
        /// A special token (a key of ``specialTokens``) with its type id.
        case special(String, typeID: Int)
    }

    /// The template for one sequence.
    public let single: [Piece]
    /// The template for a pair.
    public let pair: [Piece]
    /// The ids and token strings of each special-token name used in the templates.
    public let specialTokens: [String: [(id: Int, token: String)]]

    /// Creates the post-processor; every special token the templates use must be defined.
    public init(single: [Piece], pair: [Piece], specialTokens: [String: [(id: Int, token: String)]]) throws(TokkiError) {
        for piece in single + pair {
            if case .special(let name, _) = piece, specialTokens[name] == nil {
                throw .invalidConfiguration("TemplateProcessing: special token '\(name)' is used in a template but not defined")
            }
        }
        self.single = single
        self.pair = pair
        self.specialTokens = specialTokens
    }

    /// Number of special tokens a template adds.
    public func addedTokenCount(pair isPair: Bool) -> Int {
        (isPair ? pair : single).reduce(0) { n, p in
            if case .special(let name, _) = p { return n + (specialTokens[name]?.count ?? 0) }
            return n
        }
    }

    /// Applies the template (`tokenizers`' `apply_template`): the sequences get the
    /// template's type ids (their overflowing parts keep theirs).
    public func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        var out: [Encoding] = []
        for piece in encodings.count == 2 ? pair : single {
            switch piece {
            case .sequence(let isFirst, let type):
                let i = isFirst ? 0 : 1
                if i < encodings.count { out.append(encodings[i].withTypeID(type)) }
            case .special(let name, let type):
                guard addSpecialTokens else { continue }
                out.append(.special(specialTokens[name] ?? [], type: type))
            }
        }
        return out
    }
}

extension TemplateProcessing {
    /// A `tokenizer.json` `{"type": "TemplateProcessing", "single": …, "pair": …,
    /// "special_tokens": …}`.
    init(json v: JSONValue) throws(TokkiError) {
        func template(_ key: StaticString) throws(TokkiError) -> [TemplateProcessing.Piece] {
            var out: [TemplateProcessing.Piece] = []
            for item in try v.required(key).array() {
                if let s = item.optional("Sequence") {
                    let id = try s.required("id").string()
                    guard id == "A" || id == "B" else { throw s.error("sequence id must be A or B") }
                    out.append(.sequence(first: id == "A", typeID: try s.optional("type_id")?.int() ?? 0))
                } else if let s = item.optional("SpecialToken") {
                    out.append(.special(try s.required("id").string(), typeID: try s.optional("type_id")?.int() ?? 0))
                } else {
                    throw item.error("expected Sequence or SpecialToken")
                }
            }
            return out
        }
        var specials: [String: [(id: Int, token: String)]] = [:]
        if let s = v.optional("special_tokens") {
            for m in try s.memberIndices() {
                let name = try s.document.string(m.key)
                let entry = s.value(at: m.value, path: "\(s.path).\(name)")
                let ids = try entry.required("ids").array()
                let tokens = try entry.required("tokens").array()
                guard ids.count == tokens.count else { throw entry.error("ids and tokens differ in length") }
                var list: [(id: Int, token: String)] = []
                for (i, tok) in zip(ids, tokens) { list.append((try i.int(), try tok.string())) }
                specials[name] = list
            }
        }
        do {
            try self.init(single: try template("single"), pair: try template("pair"), specialTokens: specials)
        } catch { throw v.error(error.description) }
    }
}
