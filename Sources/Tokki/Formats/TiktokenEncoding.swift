/// The named encodings of the `tiktoken` package whose rank files Tokki recognises, with the
/// pre-tokenization pattern and the special tokens tiktoken defines for each (a rank file holds
/// neither).
///
/// A rank file is recognised by its name (`cl100k_base.tiktoken`) or, when the name says
/// nothing (files are often stored under a hash), by its number of ranks; the special tokens
/// are used only when their ids are free in the file, as tiktoken itself requires.
public enum TiktokenEncoding: String, Sendable, CaseIterable {
    /// GPT-2 / `r50k_base`: 50,256 ranks, `<|endoftext|>` 50256.
    case r50k = "r50k_base"
    /// `p50k_base`: ranks 0–50280 without 50256, which is `<|endoftext|>`.
    case p50k = "p50k_base"
    /// `cl100k_base`: 100,256 ranks, `<|endoftext|>` 100257, the FIM tokens 100258–100260 and
    /// `<|endofprompt|>` 100276.
    case cl100k = "cl100k_base"
    /// `o200k_base`: 199,998 ranks, `<|endoftext|>` 199999 and `<|endofprompt|>` 200018.
    case o200k = "o200k_base"

    /// One more than the highest rank in the encoding's rank file (``TiktokenRanks/count``).
    public var rankCount: Int {
        switch self {
        case .r50k: 50_256
        case .p50k: 50_281
        case .cl100k: 100_256
        case .o200k: 199_998
        }
    }

    /// The special tokens tiktoken defines for the encoding.
    public var specialTokens: [String: Int] {
        switch self {
        case .r50k, .p50k: ["<|endoftext|>": 50256]
        case .cl100k: ["<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259,
                       "<|fim_suffix|>": 100260, "<|endofprompt|>": 100276]
        case .o200k: ["<|endoftext|>": 199999, "<|endofprompt|>": 200018]
        }
    }

    /// The pre-tokenization pattern's name (see ``PretokenizationPattern/named(_:)``).
    public var patternName: String {
        switch self {
        case .r50k, .p50k: "r50k"
        case .cl100k: "cl100k"
        case .o200k: "o200k"
        }
    }

    /// The encoding of a rank file: named by `fileName` (`o200k`, `cl100k`, `p50k`, `r50k`, or
    /// `gpt2`), else the one with exactly `rankCount` ranks; nil when neither tells, or when a
    /// name and the count disagree.
    public static func recognize(fileName: String, rankCount: Int) -> TiktokenEncoding? {
        let named: TiktokenEncoding?
        switch PretokenizationPattern.name(forFileName: fileName) {
        case "o200k": named = .o200k
        case "cl100k": named = .cl100k
        case "p50k": named = .p50k
        case "r50k": named = .r50k
        case nil: named = fileName.lowercased().hasPrefix("gpt2") ? .r50k : nil
        default: return nil   // another named pattern (Llama 3): not one of these, whatever its size
        }
        if let named { return named.rankCount == rankCount ? named : nil }
        return allCases.first { $0.rankCount == rankCount }
    }

    /// The special tokens of the encoding that are free in `ranks` (all of them for an intact
    /// file).
    public func specialTokens(freeIn ranks: TiktokenRanks) -> [String: Int] {
        specialTokens.filter { !ranks.tokenTable.contains($0.value) }
    }
}
