/// One decoding stage of a Hugging Face pipeline: token strings in, (fewer or rewritten)
/// strings out. The pipeline joins the final strings.
public protocol TokenDecoder: Sendable {
    /// Rewrites the token strings.
    func decodeChain(_ tokens: [String]) -> [String]
}

/// Several decoders in order.
public struct DecoderSequence: TokenDecoder {
    /// The stages.
    public let decoders: [any TokenDecoder]
    /// Creates a sequence.
    public init(_ decoders: [any TokenDecoder]) { self.decoders = decoders }
    /// Runs every stage.
    public func decodeChain(_ tokens: [String]) -> [String] {
        decoders.reduce(tokens) { $1.decodeChain($0) }
    }
}

/// Maps GPT-2 byte-level characters back to bytes and decodes the whole text as UTF-8
/// (malformed sequences become U+FFFD).
public struct ByteLevelDecoder: TokenDecoder {
    /// Creates the decoder.
    public init() {}
    /// Joins the tokens' bytes into one string.
    public func decodeChain(_ tokens: [String]) -> [String] {
        var bytes: [UInt8] = []
        for t in tokens {
            if let raw = ByteLevelAlphabet.rawBytes(t.utf8) { bytes.append(contentsOf: raw) } else { bytes.append(contentsOf: t.utf8) }
        }
        return [String(decoding: bytes, as: UTF8.self)]
    }
}

/// Turns the replacement character back into spaces and drops the space the pre-tokenizer
/// prepended to the first token.
public struct MetaspaceDecoder: TokenDecoder {
    /// The character standing for a space.
    public let replacement: Unicode.Scalar
    /// Whether a space was prepended (then the first token's leading space is dropped).
    public let prependScheme: Metaspace.PrependScheme
    /// Creates the decoder.
    public init(replacement: Unicode.Scalar = "▁", prependScheme: Metaspace.PrependScheme = .always) {
        self.replacement = replacement
        self.prependScheme = prependScheme
    }
    /// Rewrites each token.
    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, t in
            var chars = String.UnicodeScalarView()
            for c in t.unicodeScalars { chars.append(c == replacement ? " " : c) }
            if i == 0 && prependScheme != .never && chars.first == " " { chars.removeFirst() }
            return String(chars)
        }
    }
}

/// BERT's WordPiece decoder: `##` pieces are glued to the previous one, others get a space;
/// optional clean-up of spaces before punctuation and in English contractions.
public struct WordPieceDecoder: TokenDecoder {
    /// The continuing-subword prefix.
    public let prefix: String
    /// Apply the clean-up rules.
    public let cleanup: Bool
    /// Creates the decoder.
    public init(prefix: String = "##", cleanup: Bool = true) {
        self.prefix = prefix
        self.cleanup = cleanup
    }
    /// Rewrites each token.
    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, t in
            var s = t
            if i != 0 {
                // Compared as bytes: "#" + an emoji modifier is one Character.
                if s.utf8.starts(with: prefix.utf8) {
                    s = String(decoding: s.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
                } else {
                    s = " " + s
                }
            }
            return cleanup ? Self.cleanUp(s) : s
        }
    }

    /// `tokenizers`' `cleanup`: removes spaces before punctuation and in contractions.
    static func cleanUp(_ s: String) -> String {
        var s = s
        for (a, b) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
                       (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            s = s.replacingAll(a, with: b)
        }
        return s
    }
}

/// The BPE decoder for models with an end-of-word suffix: the suffix becomes a space
/// (nothing after the last token).
public struct BPESuffixDecoder: TokenDecoder {
    /// The suffix.
    public let suffix: String
    /// Creates the decoder.
    public init(suffix: String = "</w>") { self.suffix = suffix }
    /// Rewrites each token.
    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, t in t.replacingAll(suffix, with: i == tokens.count - 1 ? "" : " ") }
    }
}

/// Reassembles runs of `<0xXX>` tokens into text (malformed runs become one U+FFFD per byte).
public struct ByteFallbackDecoder: TokenDecoder {
    /// Creates the decoder.
    public init() {}

    static func byteValue(_ t: String) -> UInt8? {
        let u = Array(t.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E else { return nil }
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        guard let hi = hex(u[3]), let lo = hex(u[4]) else { return nil }
        return hi << 4 | lo
    }

    /// Rewrites the token list.
    public func decodeChain(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if UTF8Validation.firstInvalidOffset(in: pending) == nil {
                out.append(String(decoding: pending, as: UTF8.self))
            } else {
                out.append(String(repeating: "\u{FFFD}", count: pending.count))
            }
            pending.removeAll()
        }
        for t in tokens {
            if let b = Self.byteValue(t) { pending.append(b) } else { flush(); out.append(t) }
        }
        flush()
        return out
    }
}

/// Joins all tokens into one string.
public struct FuseDecoder: TokenDecoder {
    /// Creates the decoder.
    public init() {}
    /// Joins the tokens.
    public func decodeChain(_ tokens: [String]) -> [String] { [tokens.joined()] }
}

/// Removes up to `start` leading and `stop` trailing occurrences of `content` from each token.
public struct StripDecoder: TokenDecoder {
    /// The character to strip.
    public let content: Unicode.Scalar
    /// How many to strip at the start.
    public let start: Int
    /// How many to strip at the end.
    public let stop: Int
    /// Creates the decoder.
    public init(content: Unicode.Scalar, start: Int, stop: Int) {
        self.content = content
        self.start = start
        self.stop = stop
    }
    /// Strips each token.
    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { t in
            let chars = Array(t.unicodeScalars)
            var a = 0
            while a < start && a < chars.count && chars[a] == content { a += 1 }
            var b = 0
            while b < stop && chars.count - b > a && chars[chars.count - 1 - b] == content { b += 1 }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: chars[a..<(chars.count - b)])
            return String(view)
        }
    }
}

/// Replaces a literal string (or regex matches) in each token.
public struct ReplaceDecoder: TokenDecoder {
    /// The replacement normalizer doing the work.
    let replace: Replace
    /// Creates the decoder.
    public init(_ pattern: Replace.Pattern, content: String) throws(TokkiError) {
        replace = try Replace(pattern, content: content)
    }
    /// Rewrites each token.
    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { t in (try? replace.normalize(t)) ?? t }
    }
}

/// The CTC decoder: consecutive duplicates collapsed, the pad token removed, the word
/// delimiter turned into a space.
public struct CTCDecoder: TokenDecoder {
    /// The blank token.
    public let padToken: String
    /// The word delimiter token.
    public let wordDelimiterToken: String
    /// Apply the WordPiece clean-up rules.
    public let cleanup: Bool
    /// Creates the decoder.
    public init(padToken: String = "<pad>", wordDelimiterToken: String = "|", cleanup: Bool = true) {
        self.padToken = padToken
        self.wordDelimiterToken = wordDelimiterToken
        self.cleanup = cleanup
    }
    /// Rewrites the token list.
    public func decodeChain(_ tokens: [String]) -> [String] {
        var deduplicated: [String] = []
        for t in tokens where deduplicated.last != t { deduplicated.append(t) }
        return deduplicated.compactMap { t in
            var s = t.replacingAll(padToken, with: "")
            if cleanup { s = WordPieceDecoder.cleanUp(s).replacingAll(wordDelimiterToken, with: " ") }
            return s.isEmpty ? nil : s
        }
    }
}

extension String {
    /// Replaces every non-overlapping occurrence of `target` (compared as UTF-8 bytes).
    func replacingAll(_ target: String, with replacement: String) -> String {
        let t = Array(target.utf8)
        guard !t.isEmpty else { return self }
        let s = Array(utf8)
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            if i + t.count <= s.count && s[i] == t[0] && s[i..<(i + t.count)].elementsEqual(t) {
                out.append(contentsOf: replacement.utf8); i += t.count
            } else {
                out.append(s[i]); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
