import Foundation

/// What a model folder's `tokenizer_config.json` and `special_tokens_map.json` say, read as
/// transformers' `PreTrainedTokenizerBase.from_pretrained` reads them.
struct TokenizerConfig: Sendable {
    /// A special-token attribute's value: a token text, or an explicit `null`.
    typealias TokenValue = String?

    /// `bos_token`, `eos_token`, … as the file gives them (a missing key is absent; `null` is
    /// present as nil).
    var specialTokens: [String: TokenValue] = [:]
    /// `extra_special_tokens` (or the older `additional_special_tokens`), when a list.
    var extraSpecialTokens: [String] = []
    /// The `chat_template` entries in file order: one named `default` for a string.
    var chatTemplates: [(name: String, source: String)] = []
    /// Whether the file has `added_tokens_decoder` (transformers then ignores
    /// `special_tokens_map.json`).
    var hasAddedTokensDecoder = false

    /// Parses a `tokenizer_config.json`.
    ///
    /// - Throws: ``TokkiError/invalidModel(path:problem:)`` naming the file and the JSON path
    ///   of a value of the wrong type.
    static func parse(_ bytes: [UInt8], path: String) throws(TokkiError) -> TokenizerConfig {
        let root = try JSONDocument(bytes: bytes, path: path).root
        guard root.kind == .object else { throw root.error("expected an object, found \(root.kind.name)") }
        var config = TokenizerConfig()
        for (key, value) in try members(root) {
            switch key {
            case "chat_template":
                config.chatTemplates = try chatTemplates(value)
            case "added_tokens_decoder":
                config.hasAddedTokensDecoder = true
            case "extra_special_tokens", "additional_special_tokens":
                if value.kind == .array, config.extraSpecialTokens.isEmpty {
                    for v in try value.array() { if let t = try token(v) { config.extraSpecialTokens.append(t) } }
                }
            default:
                if ModelFolder.specialTokenNames.contains(key) {
                    config.specialTokens[key] = .some(try token(value))
                }
            }
        }
        return config
    }

    /// Merges a `special_tokens_map.json` over the file's special tokens (its values win, as
    /// in transformers' legacy path).
    mutating func merge(specialTokensMap bytes: [UInt8], path: String) throws(TokkiError) {
        let root = try JSONDocument(bytes: bytes, path: path).root
        guard root.kind == .object else { throw root.error("expected an object, found \(root.kind.name)") }
        for (key, value) in try Self.members(root) {
            if ModelFolder.specialTokenNames.contains(key) {
                specialTokens[key] = .some(try Self.token(value))
            } else if key == "extra_special_tokens" || key == "additional_special_tokens", value.kind == .array {
                for t in try value.array() {
                    if let text = try Self.token(t), !extraSpecialTokens.contains(text) { extraSpecialTokens.append(text) }
                }
            }
        }
    }

    /// An object's members with their keys unescaped.
    private static func members(_ object: JSONValue) throws(TokkiError) -> [(String, JSONValue)] {
        var out: [(String, JSONValue)] = []
        for m in try object.memberIndices() {
            let key = try object.document.string(m.key)
            out.append((key, object.value(at: m.value, path: "\(object.path).\(key)")))
        }
        return out
    }

    /// A token: a string, an AddedToken object (`{"content": …}`), or null.
    private static func token(_ value: JSONValue) throws(TokkiError) -> String? {
        switch value.kind {
        case .null: return nil
        case .string: return try value.string()
        case .object: return try value.required("content").string()
        default: throw value.error("expected a token (a string or an object with \"content\"), found \(value.kind.name)")
        }
    }

    /// `chat_template`: a string, or a list of `{"name": …, "template": …}`.
    private static func chatTemplates(_ value: JSONValue) throws(TokkiError) -> [(name: String, source: String)] {
        switch value.kind {
        case .null: return []
        case .string: return [("default", try value.string())]
        case .array:
            var out: [(name: String, source: String)] = []
            for entry in try value.array() {
                guard entry.kind == .object else {
                    throw entry.error("expected an object with \"name\" and \"template\", found \(entry.kind.name)")
                }
                let name = try entry.required("name").string()
                out.removeAll { $0.name == name }
                out.append((name, try entry.required("template").string()))
            }
            return out
        default:
            throw value.error("expected a string or a list of {\"name\", \"template\"} objects, found \(value.kind.name)")
        }
    }
}
