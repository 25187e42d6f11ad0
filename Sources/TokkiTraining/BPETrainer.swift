import Foundation
import Tokki

/// Trains a SentencePiece-style BPE model: the corpus is normalized with the model's own
/// charsmap, cut into `▁`-words, and the most frequent adjacent pair of symbols (weighted by
/// word frequency, exact counts) is merged until the vocabulary is full. Pieces follow
/// SentencePiece's validity rules (length, scripts, numbers, digits, whitespace only at the
/// start), so the model loads in the `sentencepiece` package and encodes identically there.
public struct BPETrainer: Sendable {
    /// Trainer options, with SentencePiece's defaults (house rule 5: the CLI reads them).
    public struct Configuration: Sendable, Equatable {
        /// The vocabulary size, special pieces included.
        public var vocabularySize = 8000
        /// The share of characters (by frequency) that must be pieces; the rest are unknown.
        public var characterCoverage = 0.9995
        /// Normalization compiled into the model.
        public var normalization = TrainingNormalization.korean
        /// Add `<0x00>`…`<0xFF>` pieces so unknown characters become bytes.
        public var byteFallback = false
        /// Pieces always matched and never split.
        public var userDefinedSymbols: [String] = []
        /// Pieces with no surface (only added by id).
        public var controlSymbols: [String] = []
        /// Every digit is its own piece.
        public var splitDigits = false
        /// Pieces do not mix Unicode scripts (Han, Hiragana and Katakana count as one).
        public var splitByUnicodeScript = true
        /// Pieces do not mix digits with other characters.
        public var splitByNumber = true
        /// The longest piece, in characters.
        public var maxPieceLength = 16
        /// Special pieces: ids (-1: absent) and texts.
        public var unknownID = 0, bosID = 1, eosID = 2, padID = -1
        /// Texts of the special pieces.
        public var unknownPiece = "<unk>", bosPiece = "<s>", eosPiece = "</s>", padPiece = "<pad>"
        /// Worker threads for normalizing and counting (the result does not depend on it).
        public var threads = ProcessInfo.processInfo.activeProcessorCount

        /// The defaults.
        public init() {}
    }

    /// The options.
    public let configuration: Configuration

    /// Creates a trainer.
    public init(_ configuration: Configuration = Configuration()) { self.configuration = configuration }

    /// Trains on a corpus; `progress` receives phase names and fractions.
    public func train(_ corpus: CorpusOptions, progress: (@Sendable (String, Double) -> Void)? = nil)
        throws(TrainingError) -> (model: SentencePieceModel, statistics: CorpusStatistics) {
        var (words, stats, settings) = try countWords(corpus, progress: progress)
        let pieces = try merge(&words, progress: progress)
        do {
            let model = try SentencePieceModel(pieces: pieces, modelType: .bpe, normalizer: settings, trainer: trainerSettings(corpus))
            return (model, stats)
        } catch {
            throw .tokki(error)
        }
    }

    /// Reads and normalizes the corpus into distinct `▁`-words with their frequencies, with
    /// the normalizer settings the model will carry.
    ///
    /// The words come in an order that may depend on the thread count; BPE does not mind
    /// (its merges depend only on the counts), Unigram sorts them (its E-step does mind).
    func countWords(_ corpus: CorpusOptions, progress: (@Sendable (String, Double) -> Void)?)
        throws(TrainingError) -> (words: WordCounts, statistics: CorpusStatistics,
                                  settings: SentencePieceModel.NormalizerSettings) {
        let c = configuration
        guard c.vocabularySize > 0, c.characterCoverage > 0, c.characterCoverage <= 1, c.maxPieceLength > 0 else {
            throw .invalidConfiguration("vocabulary size, character coverage (0…1] and max piece length must be positive")
        }
        let settings: SentencePieceModel.NormalizerSettings
        let normalizer: SentencePieceNormalizer
        do {
            settings = try c.normalization.settings()
            normalizer = try SentencePieceNormalizer(settings: settings, userDefinedSymbols: c.userDefinedSymbols)
        } catch { throw .tokki(error) }
        progress?("reading", 0)
        var counter = WordCounter(normalizer: normalizer, threads: c.threads)
        let reader = CorpusReader(options: corpus)
        if corpus.textField == nil && corpus.inputSentenceSize <= 0 {
            // Plain text: the line splitting and UTF-8 checks run on the counting threads too.
            try reader.chunks { chunk in
                let lines = counter.add(chunk: chunk)
                progress?("reading", Double(reader.stats.usedLines + lines.lines - lines.invalid))
                return lines
            }
        } else {
            try reader.texts { (lines) throws(TrainingError) in
                counter.add(lines: lines)
                progress?("reading", Double(reader.stats.usedLines))
            }
        }
        let counts = counter.finish()
        guard !counts.isEmpty else { throw .emptyCorpus }
        return (counts, reader.stats, settings)
    }

    /// The trainer settings recorded in the model.
    func trainerSettings(_ corpus: CorpusOptions) -> SentencePieceModel.TrainerSettings {
        let c = configuration
        var trainer = SentencePieceModel.TrainerSettings()
        trainer.inputs = corpus.inputs
        trainer.vocabularySize = c.vocabularySize
        trainer.characterCoverage = c.characterCoverage
        trainer.inputSentenceSize = corpus.inputSentenceSize
        trainer.maxPieceLength = c.maxPieceLength
        trainer.splitByUnicodeScript = c.splitByUnicodeScript
        trainer.splitByNumber = c.splitByNumber
        trainer.splitDigits = c.splitDigits
        trainer.byteFallback = c.byteFallback
        trainer.controlSymbols = c.controlSymbols
        trainer.userDefinedSymbols = c.userDefinedSymbols
        // The thread count is not recorded: the file must not depend on it.
        trainer.unknownID = c.unknownID; trainer.bosID = c.bosID; trainer.eosID = c.eosID; trainer.padID = c.padID
        trainer.unknownPiece = c.unknownPiece; trainer.bosPiece = c.bosPiece
        trainer.eosPiece = c.eosPiece; trainer.padPiece = c.padPiece
        return trainer
    }

    /// The characters that must be pieces (the most frequent ones covering
    /// `characterCoverage` of all, and `▁`), by frequency; with `keepingCharacters`, also
    /// every word's characters back to back (word `k` ends at `ends[k]`).
    func requiredCharacters(_ words: WordCounts, meta: [SentencePieceModel.Piece], keepingCharacters: Bool = false)
        throws(TrainingError) -> (required: [(UInt32, Int64)], characters: [Int32], ends: [Int32]) {
        let metaTexts = Set(meta.map { Array($0.piece.utf8) })
        // Counts: an array for the BMP, a dictionary beyond.
        var bmpCount = [Int64](repeating: 0, count: 0x10000)
        var otherCount: [UInt32: Int64] = [:]
        var characters: [Int32] = [], ends: [Int32] = []
        if keepingCharacters {
            // One per lead byte: exact for well-formed text.
            words.withKeys { pool, _, _ in characters.reserveCapacity(pool.reduce(0) { $0 + ($1 & 0xC0 != 0x80 ? 1 : 0) }) }
            ends.reserveCapacity(words.counts.count)
        }
        var wordCharacters: [UInt32] = []
        for k in words.counts.indices {
            let n = words.counts[k]
            wordCharacters.removeAll(keepingCapacity: true)
            words.withWord(k) { Self.appendScalars(of: $0, to: &wordCharacters) }
            // NUL is never a piece (it ends keys in the trie; SentencePiece skips it too): it
            // stays unknown, like an uncovered character.
            for s in wordCharacters where s != 0 {
                if s < 0x10000 { bmpCount[Int(s)] += n } else { otherCount[s, default: 0] += n }
            }
            if keepingCharacters {
                for ch in wordCharacters { characters.append(Int32(bitPattern: ch)) }
                guard characters.count < Int(Int32.max) else {
                    throw .invalidConfiguration("the distinct words hold more characters than training can index; sample the corpus (input sentence size)")
                }
                ends.append(Int32(characters.count))
            }
        }
        var charCount: [(key: UInt32, value: Int64)] = []
        for (s, n) in bmpCount.enumerated() where n > 0 { charCount.append((UInt32(s), n)) }
        for (s, n) in otherCount { charCount.append((s, n)) }
        let total = charCount.reduce(0) { $0 + $1.value }
        let byFrequency = charCount.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        var required: [(UInt32, Int64)] = []
        var covered: Int64 = 0
        for (ch, n) in byFrequency {
            if Double(covered) / Double(total) >= configuration.characterCoverage && ch != 0x2581 { continue }
            required.append((ch, n))
            covered += n
        }
        // Characters that are also special pieces are not added twice.
        required.removeAll { metaTexts.contains(Array(Self.string([$0.0]).utf8)) }
        return (required, characters, ends)
    }

    // MARK: Pieces

    /// The special pieces in id order (unk, bos, eos, pad at their ids; then control and
    /// user-defined symbols; then the byte pieces).
    func metaPieces() throws(TrainingError) -> [SentencePieceModel.Piece] {
        let c = configuration
        var fixed: [Int: SentencePieceModel.Piece] = [:]
        for (id, piece, type) in [(c.unknownID, c.unknownPiece, SentencePieceModel.PieceType.unknown),
                                  (c.bosID, c.bosPiece, .control), (c.eosID, c.eosPiece, .control), (c.padID, c.padPiece, .control)]
        where id >= 0 {
            guard fixed[id] == nil else { throw .invalidConfiguration("two special pieces have id \(id)") }
            fixed[id] = SentencePieceModel.Piece(piece: piece, score: 0, type: type)
        }
        guard c.unknownID >= 0 else { throw .invalidConfiguration("the unknown piece needs an id") }
        var rest = c.controlSymbols.map { SentencePieceModel.Piece(piece: $0, score: 0, type: .control) }
            + c.userDefinedSymbols.map { SentencePieceModel.Piece(piece: $0, score: 0, type: .userDefined) }
        if c.byteFallback {
            rest += (0..<256).map { b in
                SentencePieceModel.Piece(piece: "<0x\(b < 16 ? "0" : "")\(String(b, radix: 16, uppercase: true))>", score: 0, type: .byte)
            }
        }
        var out: [SentencePieceModel.Piece] = []
        var k = 0
        let total = fixed.count + rest.count
        for id in 0..<total {
            if let f = fixed[id] { out.append(f) } else if k < rest.count { out.append(rest[k]); k += 1 }
        }
        guard out.count == total else { throw .invalidConfiguration("special piece ids must be 0…\(total - 1) without gaps") }
        var seen = Set<String>()
        for p in out where !seen.insert(p.piece).inserted { throw .invalidConfiguration("the piece '\(p.piece)' is given twice") }
        return out
    }

    /// The BPE merges over `words`, returning the full piece list.
    ///
    /// `words` is emptied as soon as the merger holds what it needs (peak memory).
    func merge(_ words: inout WordCounts, progress: (@Sendable (String, Double) -> Void)?)
        throws(TrainingError) -> [SentencePieceModel.Piece] {
        let c = configuration
        let meta = try metaPieces()
        var (required, characters, ends) = try requiredCharacters(words, meta: meta, keepingCharacters: true)
        let frequencies = words.counts
        words = WordCounts()
        let minimum = meta.count + required.count
        guard c.vocabularySize >= minimum else { throw .vocabularyTooSmall(requested: c.vocabularySize, minimum: minimum) }
        let target = c.vocabularySize - minimum

        // Symbols: characters first (ids 0…), merged pieces after.
        var bmpSymbol = [Int32](repeating: -1, count: 0x10000)
        var otherSymbol: [UInt32: Int32] = [:]
        for (k, (ch, _)) in required.enumerated() {
            if ch < 0x10000 { bmpSymbol[Int(ch)] = Int32(k) } else { otherSymbol[ch] = Int32(k) }
        }
        // The characters become symbol ids in place.
        characters.withUnsafeMutableBufferPointer { chars in
            for k in chars.indices {
                let ch = UInt32(bitPattern: chars[k])
                chars[k] = ch < 0x10000 ? bmpSymbol[Int(ch)] : otherSymbol[ch] ?? -1
            }
        }
        let rule = PieceRule(c, classes: CharacterClasses(required.map(\.0)))
        var merger = try PairMerger(symbols: required.map { [$0.0] }, summaries: required.map { rule.summary(of: $0.0) },
                                    flatSequences: characters, ends: ends, frequencies: frequencies, combine: rule.combine)
        characters = []
        var merged: [Int32] = []
        while merged.count < target, let m = merger.next() {
            if m.isNewText { merged.append(m.symbol) }
            if merged.count % 500 == 0 { progress?("merging", Double(merged.count) / Double(max(1, target))) }
        }
        let available = meta.count + required.count + merged.count
        if merged.count < target { throw .vocabularyTooLarge(requested: c.vocabularySize, maximum: available) }
        // SentencePiece's layout: specials, merged pieces (score -i), then the characters.
        var pieces = meta
        for (i, symbol) in merged.enumerated() { pieces.append(.init(piece: Self.string(merger.text(symbol)), score: -Float(i), type: .normal)) }
        for (i, (ch, _)) in required.enumerated() {
            pieces.append(.init(piece: Self.string([ch]), score: -Float(merged.count + i), type: .normal))
        }
        return pieces
    }

    /// The scalars of well-formed UTF-8 (normalizer output); a malformed byte gives U+FFFD.
    static func scalars(of bytes: [UInt8]) -> [UInt32] {
        var out: [UInt32] = []
        bytes.withUnsafeBufferPointer { appendScalars(of: $0, to: &out) }
        return out
    }

    /// Appends the scalars of `b` to `out` (see ``scalars(of:)``).
    static func appendScalars(of b: UnsafeBufferPointer<UInt8>, to out: inout [UInt32]) {
        out.reserveCapacity(out.count + b.count)
        let n = b.count
        var i = 0
        while i < n {
            let b0 = UInt32(b[i])
            var v: UInt32, len: Int
            if b0 < 0x80 { v = b0; len = 1 }
            else if b0 >= 0xF0 { v = b0 & 0x07; len = 4 }
            else if b0 >= 0xE0 { v = b0 & 0x0F; len = 3 }
            else if b0 >= 0xC0 { v = b0 & 0x1F; len = 2 }
            else { v = 0xFFFD; len = 1 }
            if len > 1 {
                if i + len > n { v = 0xFFFD; len = 1 } else {
                    for k in 1..<len { v = v << 6 | UInt32(b[i + k] & 0x3F) }
                }
            }
            out.append(v)
            i += len
        }
    }

    static func string(_ scalars: some Collection<UInt32>) -> String {
        var view = String.UnicodeScalarView()
        for v in scalars { if let s = Unicode.Scalar(v) { view.append(s) } }
        return String(view)
    }

    /// SentencePiece's piece validity (`IsValidSentencePiece`): length, `▁` only at the
    /// start, one Unicode script per piece (Common counts as a script; Inherited takes the
    /// previous one; Hiragana and Katakana count as Han), digits alone when split.
    static func validPiece(_ scalars: [UInt32], _ c: Configuration, _ classes: CharacterClasses? = nil) -> Bool {
        guard !scalars.isEmpty, scalars.count <= c.maxPieceLength else { return false }
        let any: Int32 = -1
        var previous = any
        for (i, v) in scalars.enumerated() {
            if v == 0x2581 {
                if i > 0 { return false }
                continue
            }
            guard v != 0, v != 0x20, Unicode.Scalar(v) != nil else { return false }
            let cls = classes?.classes(of: v) ?? CharacterClasses.compute(v)
            var script = cls.0
            let isDigit = cls.1
            if script == 20 || script == 22 || v == 0x30FC { script = 17 }   // Hiragana, Katakana → Han
            else if script == 1 { script = previous }                        // Inherited
            if !c.splitByNumber && isDigit { script = any }
            if c.splitDigits && isDigit && scalars.count > 1 { return false }
            if c.splitByUnicodeScript && script != any && previous != any && previous != script { return false }
            previous = script
        }
        return true
    }
}


/// ``BPETrainer/validPiece(_:_:_:)`` decided from 64-bit summaries of the two halves, so that
/// the merge loop never builds a text to check a pair. A summary holds what the rule needs:
/// the length; whether the piece starts with `▁`; whether it holds a digit; the script of
/// its first character that does not take the previous one's (Inherited: 0 = none, else
/// script + 2 with 1 = any); the script in force after its last character (same code).
/// Nil (as a summary: `invalid`): the piece may not exist.
struct PieceRule: Sendable {
    let configuration: BPETrainer.Configuration
    let classes: CharacterClasses

    init(_ configuration: BPETrainer.Configuration, classes: CharacterClasses) {
        self.configuration = configuration
        self.classes = classes
    }

    static let invalid: UInt64 = 1 << 63
    private static let none: UInt64 = 0, any: UInt64 = 1

    private static func pack(length: Int, meta: Bool, digit: Bool, first: UInt64, last: UInt64) -> UInt64 {
        UInt64(length) | (meta ? 1 << 16 : 0) | (digit ? 1 << 17 : 0) | first << 20 | last << 40
    }

    /// The summary of the one-character piece `v`.
    func summary(of v: UInt32) -> UInt64 {
        let c = configuration
        guard c.maxPieceLength >= 1 else { return Self.invalid }
        if v == 0x2581 { return Self.pack(length: 1, meta: true, digit: false, first: Self.none, last: Self.any) }
        guard v != 0, v != 0x20, Unicode.Scalar(v) != nil else { return Self.invalid }
        let (rawScript, isDigit) = classes.classes(of: v)
        var script: UInt64?   // nil: takes the previous character's
        if rawScript == 20 || rawScript == 22 || v == 0x30FC { script = 17 + 2 }
        else if rawScript == 1 { script = nil }
        else if rawScript >= -1 && rawScript < 0xFFFF - 2 { script = UInt64(rawScript + 2) }
        else { return Self.invalid }
        if !c.splitByNumber && isDigit { script = Self.any }
        if let s = script { return Self.pack(length: 1, meta: false, digit: isDigit, first: s, last: s) }
        return Self.pack(length: 1, meta: false, digit: isDigit, first: Self.none, last: Self.any)
    }

    /// The summary of piece `x` followed by piece `y`; nil when that piece is not valid.
    func combine(_ x: UInt64, _ y: UInt64) -> UInt64? {
        guard x & Self.invalid == 0, y & Self.invalid == 0 else { return nil }
        let c = configuration
        let length = Int(x & 0xFFFF) + Int(y & 0xFFFF)
        guard length <= c.maxPieceLength, length <= 0xFFFF, y & (1 << 16) == 0 else { return nil }   // `▁` only first
        let digit = (x | y) & (1 << 17) != 0
        if c.splitDigits && digit { return nil }
        let xFirst = x >> 20 & 0xF_FFFF, xLast = x >> 40 & 0xF_FFFF
        let yFirst = y >> 20 & 0xF_FFFF, yLast = y >> 40 & 0xF_FFFF
        if c.splitByUnicodeScript && yFirst != Self.none && yFirst != Self.any && xLast != Self.any && yFirst != xLast { return nil }
        return Self.pack(length: length, meta: x & (1 << 16) != 0, digit: digit,
                         first: xFirst != Self.none ? xFirst : yFirst, last: yFirst != Self.none ? yLast : xLast)
    }
}

/// The Unicode script and decimal-digit class of characters, for piece validity: looked up
/// once for the characters given (BMP), computed through ICU for any other.
struct CharacterClasses: Sendable {
    /// Per BMP code point: 0 when not precomputed, else (script + 2) | digit << 15.
    private var bmp: [UInt16]

    init(_ scalars: some Sequence<UInt32>) {
        bmp = [UInt16](repeating: 0, count: 0x10000)
        for v in scalars where v < 0x10000 && Unicode.Scalar(v) != nil {
            let (script, isDigit) = Self.compute(v)
            guard script >= -1, script < 0x7FFD else { continue }
            bmp[Int(v)] = UInt16(script + 2) | (isDigit ? 0x8000 : 0)
        }
    }

    /// The script (ICU's code) and whether `v` is a decimal digit.
    @inline(__always)
    func classes(of v: UInt32) -> (Int32, Bool) {
        if v < 0x10000 {
            let e = bmp[Int(v)]
            if e != 0 { return (Int32(e & 0x7FFF) - 2, e & 0x8000 != 0) }
        }
        return Self.compute(v)
    }

    static func compute(_ v: UInt32) -> (Int32, Bool) {
        guard let s = Unicode.Scalar(v) else { return (0, false) }
        return (UnicodeNames.script(of: s), s.properties.numericType == .decimal)
    }
}
