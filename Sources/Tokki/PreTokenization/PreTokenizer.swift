/// Splits normalized text into pieces before the model runs (each pipeline stage is one
/// small protocol, so a new splitter is one conforming type). Pieces are byte ranges of the
/// given UTF-8, in order, non-overlapping.
public protocol PreTokenizer: Sendable {
    /// The byte ranges of the pieces of well-formed UTF-8 `text`.
    func split(_ text: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> [Range<Int>]

    /// Appends the pieces of `text`, shifted by `offset`, to `pieces` (the same pieces as
    /// ``split(_:)``; splitters that can avoid the intermediate array do).
    func split(_ text: UnsafeBufferPointer<UInt8>, offset: Int, appendingTo pieces: inout [Range<Int>]) throws(TokkiError)
}

extension PreTokenizer {
    /// Appends the pieces of ``split(_:)``, shifted by `offset`.
    public func split(_ text: UnsafeBufferPointer<UInt8>, offset: Int, appendingTo pieces: inout [Range<Int>]) throws(TokkiError) {
        for r in try split(text) { pieces.append((r.lowerBound + offset)..<(r.upperBound + offset)) }
    }

    /// The pieces of `text` as strings.
    public func pieces(_ text: String) throws(TokkiError) -> [String] {
        let bytes = Array(text.utf8)
        let ranges: [Range<Int>]
        do {
            ranges = try bytes.withUnsafeBufferPointer { (b) throws(TokkiError) in try split(b) }
        }
        return ranges.map { String(decoding: bytes[$0], as: UTF8.self) }
    }
}

/// What Hugging Face's `Split` pre-tokenizer does with the delimiter matches.
public enum SplitBehavior: String, Sendable, CaseIterable {
    /// Drop the matches; keep the text between them.
    case removed
    /// Keep matches and the text between them as separate pieces.
    case isolated
    /// Append each match to the piece before it.
    case mergedWithPrevious = "merged_with_previous"
    /// Prepend each match to the piece after it.
    case mergedWithNext = "merged_with_next"
    /// Merge runs of consecutive matches (and runs of non-matches) into one piece each.
    case contiguous
}

/// Regular-expression patterns of well-known tokenizers.
public enum PretokenizationPattern {
    /// GPT-2, as Hugging Face's ByteLevel pre-tokenizer writes it.
    public static let gpt2 = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    /// tiktoken's r50k_base / p50k_base (GPT-2 with possessive quantifiers).
    public static let r50k = #"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"#
    /// cl100k_base (GPT-3.5/4).
    public static let cl100k = #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"#
    /// o200k_base (GPT-4o): case-aware word pieces.
    public static let o200k = [
        #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"#,
        #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"#,
        #"\p{N}{1,3}"#,
        #" ?[^\s\p{L}\p{N}]+[\r\n/]*"#,
        #"\s*[\r\n]+"#,
        #"\s+(?!\S)"#,
        #"\s+"#,
    ].joined(separator: "|")
    /// The name of the pattern a rank file's name points to (`cl100k_base.tiktoken` →
    /// `cl100k`, `Meta-Llama-3-tokenizer.model` → `llama3`), or nil.
    public static func name(forFileName fileName: String) -> String? {
        let name = fileName.lowercased()
        if name.contains("llama-3") { return "llama3" }
        return ["o200k", "cl100k", "p50k", "r50k", "llama3"].first { name.contains($0) }
    }

    /// Named patterns by their conventional names (`gpt2`, `r50k`, `p50k`, `cl100k`, `o200k`, `llama3`).
    public static func named(_ name: String) -> String? {
        switch name {
        case "gpt2": gpt2
        case "r50k", "r50k_base", "p50k", "p50k_base": r50k
        case "cl100k", "cl100k_base": cl100k
        case "o200k", "o200k_base": o200k
        case "llama3": llama3
        case "qwen2", "qwen": qwen2
        default: nil
        }
    }

    /// Mistral's Tekken: o200k's case-aware words without contractions, single digits.
    public static let tekken = [
        #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"#,
        #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"#,
        #"\p{N}"#,
        #" ?[^\s\p{L}\p{N}]+[\r\n/]*"#,
        #"\s*[\r\n]+"#,
        #"\s+(?!\S)"#,
        #"\s+"#,
    ].joined(separator: "|")
    /// DeepSeek V3's CJK split (its second `Split`; U+3040 written as the character).
    public static let deepseekCJK = "[一-龥\u{3040}-ゟ゠-ヿ]+"
    /// DeepSeek V3's word split (its third `Split`), with literal CR and LF in the classes
    /// as the file has them.
    public static let deepseek = ##"[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^"## + "\r\n" + ##"\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+["## + "\r\n" + ##"]*|\s*["## + "\r\n" + ##"]+|\s+(?!\S)|\s+"##
    /// Hugging Face's `Punctuation` and `BertPreTokenizer` class: Unicode punctuation or an ASCII
    /// symbol, one character at a time.
    public static let bertPunctuation = #"[\p{P}!-/:-@\[-`{-~]"#
    /// Qwen 2 / Qwen 3: Llama 3's pattern with single digits.
    public static let qwen2 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    /// Llama 3 (tiktoken-based).
    public static let llama3 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
}
