import Foundation
import Tokki

/// Trains a GPT-2-style byte-level BPE, as `tokenizers`' `BpeTrainer` with a `ByteLevel`
/// pre-tokenizer: text is normalized (by default with the Korean preset as a `Precompiled`
/// charsmap), split with a regular expression (GPT-2's by default), and merges start from all
/// 256 bytes. The result is a `tokenizer.json` that loads in `tokenizers` with Tokki's ids.
public struct ByteLevelBPETrainer: Sendable {
    /// Trainer options, with `tokenizers`' defaults.
    public struct Configuration: Sendable, Equatable {
        /// The vocabulary size, special tokens included.
        public var vocabularySize = 30000
        /// Pairs seen fewer times are not merged.
        public var minFrequency = 0
        /// Special tokens (ids 0…, before the bytes).
        public var specialTokens: [String] = []
        /// The pre-tokenization pattern (a name such as `gpt2`, `llama3`, `cl100k`, or a regex).
        public var pattern = "gpt2"
        /// Normalization, as a `Precompiled` charsmap in the tokenizer.
        public var normalization = TrainingNormalization.korean
        /// The longest token, in bytes (nil: no limit).
        public var maxTokenLength: Int? = nil
        /// Worker threads for normalizing and counting (default: the process-wide
        /// `Parallelism.threads`; the result does not depend on it).
        public var threads = Parallelism.threads

        /// The defaults.
        public init() {}

        /// The defaults, with the settings the trainers share (vocabulary size,
        /// normalization, threads) taken from `shared`.
        public init(sharing shared: TrainerConfiguration) {
            vocabularySize = shared.vocabularySize
            normalization = shared.normalization
            threads = shared.threads
        }
    }

    /// A trained tokenizer.
    public struct Result: Sendable {
        /// The `tokenizer.json` bytes.
        public let json: [UInt8]
        /// Tokens (raw bytes) by id.
        public let tokens: [[UInt8]]
        /// What reading the corpus found.
        public let statistics: CorpusStatistics

        /// `token<TAB>id` lines, tokens in GPT-2's byte-level spelling.
        public func vocabularyText() -> String {
            tokens.enumerated().map { "\(ByteLevelAlphabet.spelling($0.element))\t\($0.offset)" }.joined(separator: "\n") + "\n"
        }
    }

    /// The options.
    public let configuration: Configuration

    /// Creates a trainer.
    public init(_ configuration: Configuration = Configuration()) { self.configuration = configuration }

    /// Trains on a corpus.
    public func train(_ corpus: CorpusOptions, progress: (@Sendable (String, Double) -> Void)? = nil) throws(TrainingError) -> Result {
        let c = configuration
        let specials = c.specialTokens
        guard Set(specials).count == specials.count else { throw .invalidConfiguration("a special token is given twice") }
        let minimum = specials.count + 256
        guard c.vocabularySize >= minimum else { throw .vocabularyTooSmall(requested: c.vocabularySize, minimum: minimum) }
        let pattern = PretokenizationPattern.named(c.pattern) ?? c.pattern
        let charsmap: [UInt8]
        let split: RegexSplit
        let normalizer: (any Normalizer)?
        do {
            charsmap = try CharsmapCompiler.compile(c.normalization)
            normalizer = charsmap.isEmpty ? nil : PrecompiledNormalizer(try PrecompiledCharsmap(charsmap))
            split = try RegexSplit(pattern: pattern, behavior: .isolated, dialect: .oniguruma)
        } catch { throw .tokki(error) }
        // Count pre-tokens.
        let (counts, statistics) = try WordCounter(.pretokens(normalizer: normalizer, split: split), threads: c.threads)
            .count(corpus, progress: progress)
        let words = counts.sorted()
        // Symbols 0…255 are the bytes; ids in the vocabulary come after the special tokens,
        // bytes in the order of their GPT-2 spelling (as tokenizers sorts its alphabet).
        let byteOrder = (0..<256).sorted { ByteLevelAlphabet.spelling([UInt8($0)]).unicodeScalars.first!.value < ByteLevelAlphabet.spelling([UInt8($1)]).unicodeScalars.first!.value }
        // Byte symbols are numbered in that order too, so ties between equally frequent pairs
        // go the way tokenizers breaks them (by vocabulary id).
        var symbolOfByte = [Int32](repeating: 0, count: 256)
        for (k, b) in byteOrder.enumerated() { symbolOfByte[b] = Int32(k) }
        // Summaries are lengths.
        let maxLength = UInt64(max(0, c.maxTokenLength ?? Int.max))
        var merger = try PairMerger(symbols: byteOrder.map { [UInt8($0)] }, summaries: Array(repeating: 1, count: 256),
                                    sequences: words.map { $0.word.map { symbolOfByte[Int($0)] } }, frequencies: words.map(\.count)) { x, y in
            x + y <= maxLength ? x + y : nil
        }
        var tokens: [[UInt8]] = specials.map { Array($0.utf8) } + byteOrder.map { [UInt8($0)] }
        var idOfSymbol = [Int32](repeating: -1, count: 256 + c.vocabularySize)
        for k in 0..<256 { idOfSymbol[k] = Int32(specials.count + k) }
        var specialID: [[UInt8]: Int] = [:]
        for (k, t) in tokens.prefix(specials.count).enumerated() where specialID[t] == nil { specialID[t] = k }
        var merges: [(Int, Int)] = []
        let target = c.vocabularySize
        while tokens.count < target {
            if let n = merger.peekCount(), n < Int64(c.minFrequency) { break }
            guard let m = merger.next() else { break }
            if Int(m.symbol) >= idOfSymbol.count { idOfSymbol.append(contentsOf: repeatElement(-1, count: idOfSymbol.count)) }
            let l = idOfSymbol[Int(m.left)], r = idOfSymbol[Int(m.right)]
            guard l >= 0, r >= 0 else { continue }
            if m.isNewText {
                let text = Array(merger.text(m.symbol))
                if let special = specialID[text] {   // spelled like a special token: that token
                    idOfSymbol[Int(m.symbol)] = Int32(special)
                    continue
                }
                idOfSymbol[Int(m.symbol)] = Int32(tokens.count)
                tokens.append(text)
                merges.append((Int(l), Int(r)))
            } else {
                idOfSymbol[Int(m.symbol)] = idOfSymbol[Int(m.original)]
            }
            if tokens.count % 500 == 0 { progress?("merging", Double(tokens.count) / Double(target)) }
        }
        let json = TokenizerJSONWriter.byteLevelBPE(tokens: tokens, specialCount: specials.count, merges: merges, charsmap: charsmap, pattern: pattern)
        return Result(json: json, tokens: tokens, statistics: statistics)
    }
}
