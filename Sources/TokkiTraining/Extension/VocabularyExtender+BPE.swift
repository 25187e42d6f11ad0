import Foundation
import Tokki

extension VocabularyExtender {
    /// The base's words, counted under its own normalizer.
    func sentencePieceWords(_ model: SentencePieceModel, corpus: CorpusOptions, progress: (@Sendable (String, Double) -> Void)?)
        throws(TrainingError) -> (words: [(word: [UInt8], count: Int64)], statistics: CorpusStatistics) {
        let normalizer: SentencePieceNormalizer
        do { normalizer = try SentencePieceNormalizer(model: model) } catch { throw .tokki(error) }
        progress?("reading", 0)
        let (counts, statistics) = try WordCounter(normalizer: normalizer, threads: configuration.threads).count(corpus, progress: progress)
        return (counts.sorted(), statistics)
    }

    /// Refuses a `--normalization` other than the base's.
    func checkNormalization(_ model: SentencePieceModel, path: String) throws(TrainingError) {
        guard let expected = configuration.normalization else { return }
        let settings: SentencePieceModel.NormalizerSettings
        do { settings = try expected.settings() } catch { throw .tokki(error) }
        let base = model.normalizer
        guard settings.name == base.name || (!settings.precompiledCharsmap.isEmpty && settings.precompiledCharsmap == base.precompiledCharsmap) else {
            throw .cannotExtend(path: path, reason: "its normalization is '\(base.name)', not '\(settings.name)': new pieces must be learned on the text the model sees (drop --normalization to use the base's)")
        }
    }

    /// The characters of UTF-8 `word`, as byte ranges.
    static func characters(_ word: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = 0
        while i < word.count {
            var j = i + 1
            while j < word.count && word[j] & 0xC0 == 0x80 { j += 1 }
            out.append(i..<j)
            i = j
        }
        return out
    }

    /// Extends a SentencePiece BPE model.
    func extend(sentencePieceBPE model: SentencePieceModel, path: String, corpus: CorpusOptions,
                progress: (@Sendable (String, Double) -> Void)?) throws(TrainingError) -> Result {
        let c = configuration
        let pieces = model.pieces
        // The base's rules are built while the corpus is read (on another thread).
        nonisolated(unsafe) var base: MergeContinuation? = nil
        nonisolated(unsafe) var counted: Swift.Result<(words: [(word: [UInt8], count: Int64)], statistics: CorpusStatistics), TrainingError>? = nil
        Parallelism.run(tasks: 2, threads: min(2, c.threads)) { task in
            if task == 0 {
                base = Self.engine(sentencePieceBPE: model, words: [])
            } else {
                do throws(TrainingError) { counted = .success(try sentencePieceWords(model, corpus: corpus, progress: progress)) } catch { counted = .failure(error) }
            }
        }
        guard var engine = base, let counted else { throw .invalidConfiguration("internal: the base was not read") }
        var (words, statistics) = try counted.get()
        progress?("segmenting", 0)
        // Words without Hangul can give no piece holding Hangul.
        if c.scripts == .hangul { words.removeAll { !Self.holdsHangul($0.word) } }
        Self.addWords(words, to: &engine, model: model)

        let maxLength = model.maxPieceLength, byNumber = model.splitsByNumber, hangul = c.scripts == .hangul
        let learned = engine.learn(count: c.add, minFrequency: Int64(c.minFrequency), characterCoverage: c.characterCoverage, acceptMerge: { text in
            var length = 0, digits = false, others = false
            for (k, s) in String(decoding: text, as: UTF8.self).unicodeScalars.enumerated() {
                length += 1
                if s.value == 0x2581 { if k > 0 { return false }; continue }
                if (0x30...0x39).contains(s.value) { digits = true } else { others = true }
            }
            if length > maxLength || (byNumber && digits && others) { return false }
            return !hangul || Self.holdsHangul(text)
        }, acceptCharacter: { !hangul || Self.holdsHangul($0) }, progress: { progress?("learning", $0) })
        try checkCount(learned.count)

        // New pieces after the old, each scored below every old one and the one before it.
        let lowest = pieces.filter { $0.type == .normal }.map(\.score).min() ?? 0
        return try sentencePieceResult(model, new: learned.enumerated().map { k, s in
            (String(decoding: engine.texts[Int(s)], as: UTF8.self), lowest - 1 - Float(k), engine.baseIDs[Int(s)])
        }, statistics: statistics)
    }

    /// Calls `body` with the ranges of `text` cut before every `▁` (U+2581).
    static func forEachSpaceWord(_ text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        var start = 0, i = 0
        while i + 2 < text.count {
            if text[i] == 0xE2 && text[i + 1] == 0x96 && text[i + 2] == 0x81 && i > start { body(start..<i); start = i }
            i += 1
        }
        if start < text.count { body(start..<text.count) }
    }

    /// The learning engine for a SentencePiece BPE model, holding `words` segmented as the
    /// model segments them. Merges go by text: a pair merges when its concatenation is a
    /// normal piece, the piece with the highest score first (equal scores: equal priority,
    /// leftmost first); characters the model does not know stand for their byte pieces
    /// (or the unknown piece).
    static func engine(sentencePieceBPE model: SentencePieceModel, words: [(word: [UInt8], count: Int64)]) -> MergeContinuation {
        let pieces = model.pieces
        let normal = pieces.map { $0.type == .normal }
        let scores = Array(Set(pieces.indices.filter { normal[$0] }.map { pieces[$0].score })).sorted(by: >)
        var rank: [Float: Int32] = [:]
        for (k, s) in scores.enumerated() { rank[s] = Int32(k) }
        let tokens: [[UInt8]?] = pieces.indices.map { normal[$0] ? Array(pieces[$0].piece.utf8) : nil }
        let priority: [Int32] = pieces.indices.map { normal[$0] ? rank[pieces[$0].score] ?? .max : .max }
        var engine = MergeContinuation(tokens: tokens, byText: true, pairRules: [], textPriority: priority)
        addWords(words, to: &engine, model: model)
        return engine
    }

    /// Adds `words` to `engine`, segmented as `model` segments them.
    static func addWords(_ words: [(word: [UInt8], count: Int64)], to engine: inout MergeContinuation, model: SentencePieceModel) {
        let pieces = model.pieces
        var byteIDs = [Int32](repeating: -1, count: 256)
        for (i, p) in pieces.enumerated() where p.type == .byte {
            if let v = UInt8(p.piece.dropFirst(3).dropLast(), radix: 16), p.piece.hasPrefix("<0x") { byteIDs[Int(v)] = Int32(i) }
        }
        let unknown = Int32(model.unknownID)
        let fallback: (UnsafeBufferPointer<UInt8>) -> [Int32] = { text in model.byteFallback ? text.map { byteIDs[Int($0)] } : [unknown] }
        var symbols: [Int32] = []
        for (word, count) in words where word.count <= longestWord {
            symbols.removeAll(keepingCapacity: true)
            word.withUnsafeBufferPointer { w in
                var i = 0
                while i < w.count {
                    var j = i + 1
                    while j < w.count && w[j] & 0xC0 == 0x80 { j += 1 }
                    symbols.append(engine.symbol(UnsafeBufferPointer(rebasing: w[i..<j]), fallback: fallback))
                    i = j
                }
            }
            engine.addWord(symbols, frequency: count)
        }
    }

    /// Words longer than this (bytes) are left out of learning (the segmentation loop is
    /// quadratic in a word's length; SentencePiece's trainer skips such text too).
    static var longestWord: Int { 512 }

    /// Extends a Hugging Face BPE `tokenizer.json`.
    func extend(huggingFace path: String, corpus: CorpusOptions, progress: (@Sendable (String, Double) -> Void)?) throws(TrainingError) -> Result {
        let c = configuration
        let json: [UInt8], tokenizer: HuggingFaceTokenizer
        do {
            json = try readFileBytes(path)
            tokenizer = try HuggingFaceTokenizer(json: json, path: path)
        } catch { throw .tokki(error) }
        guard let bpe = tokenizer.bpeModel else {
            throw .cannotExtend(path: path, reason: "its model is \(tokenizer.modelDescription); only BPE tokenizer.json files have merges to continue")
        }
        guard (bpe.options.continuingSubwordPrefix ?? "").isEmpty && (bpe.options.endOfWordSuffix ?? "").isEmpty else {
            throw .cannotExtend(path: path, reason: "BPE with a continuing-subword prefix or end-of-word suffix is not supported")
        }
        guard c.normalization == nil else {
            throw .invalidConfiguration("--normalization checks a .model's normalizer; a tokenizer.json keeps its own")
        }
        let size = bpe.vocabularySize
        let tokens: [[UInt8]?] = (0..<size).map { bpe.token(for: $0).map { Array($0.utf8) } }
        let rules = bpe.mergePairs.enumerated().map { ($0.element.0, $0.element.1, Int32($0.offset)) }
        var engine = MergeContinuation(tokens: tokens, byText: false, pairRules: rules, textPriority: [])
        let byteLevel = bpe.byteLevel
        let byteIDs = bpe.singleByteIDs
        var fallbackIDs = [Int32](repeating: -1, count: 256)
        for b in 0..<256 { fallbackIDs[b] = Int32(bpe.id(for: "<0x" + String(format: "%02X", b) + ">") ?? -1) }
        let unknown = bpe.unknownTokenID

        // Count the words as the model receives them.
        progress?("reading", 0)
        var counts = WordCounts()
        let reader = CorpusReader(options: corpus)
        var failure: TokkiError? = nil
        try reader.texts { lines in
            for line in lines where failure == nil {
                line.withUnsafeBufferPointer { l in
                    do throws(TokkiError) {
                        try tokenizer.forEachModelInput(l) { w in
                            guard let p = w.baseAddress else { return }
                            if byteLevel {
                                counts.add(p, w.count, 1)
                            } else {
                                // Metaspace models may see a whole line at once (Llama 2's has no
                                // pre-tokenizer): learn on its ▁-words, as SentencePiece does.
                                Self.forEachSpaceWord(w) { r in counts.add(p + r.lowerBound, r.count, 1) }
                            }
                        }
                    } catch { failure = error }
                }
            }
            progress?("reading", Double(reader.stats.usedLines))
        }
        if let failure { throw .tokki(failure) }
        guard !counts.isEmpty else { throw .emptyCorpus }
        var words = counts.sorted()
        // Words without Hangul can give no piece holding Hangul.
        if c.scripts == .hangul { words.removeAll { !Self.holdsHangul($0.word) } }

        progress?("segmenting", 0)
        var whole: [[UInt8]: Int32] = [:]
        for (word, count) in words where word.count <= Self.longestWord {
            let spelled = byteLevel ? Array(ByteLevelAlphabet.spelling(word).utf8) : word
            if bpe.options.ignoreMerges {
                whole[spelled] = Int32(engine.words.count)
                if let t = engine.existing(spelled), engine.isToken[Int(t)] { engine.addWord([t], frequency: count); continue }
            }
            let symbols: [Int32]
            if byteLevel {
                symbols = word.map { b in byteIDs[Int(b)] >= 0 ? byteIDs[Int(b)] : engine.symbol(Array(ByteLevelAlphabet.spelling([b]).utf8), fallback: []) }
            } else {
                symbols = Self.characters(word).map { r in
                    let text = Array(word[r])
                    let fb = bpe.options.byteFallback ? text.map { fallbackIDs[Int($0)] } : unknown.map { [$0] } ?? []
                    return engine.symbol(text, fallback: fb)
                }
            }
            engine.addWord(symbols, frequency: count)
        }
        if bpe.options.ignoreMerges { engine.wholeWords = whole }

        let hangul = c.scripts == .hangul
        let learned = engine.learn(count: c.add, minFrequency: Int64(c.minFrequency), characterCoverage: c.characterCoverage, acceptMerge: { text in
            guard hangul else { return true }
            if byteLevel { return ByteLevelAlphabet.rawBytes(text).map(Self.holdsHangulStart) ?? false }
            return Self.holdsHangul(text)
        }, acceptCharacter: { !hangul || Self.holdsHangul($0) }, progress: { progress?("learning", $0) })
        try checkCount(learned.count)

        let first = tokenizer.vocabularySize
        var newID: [Int32: Int] = [:]
        // Added tokens outside the model's vocabulary join it with their ids: `tokenizers`
        // numbers such tokens after the vocabulary's size, which the new tokens change.
        var vocabulary: [(token: [UInt8], id: Int)] = tokenizer.addedTokens
            .filter { bpe.token(for: $0.id) == nil && bpe.id(for: $0.content) == nil }.sorted { $0.id < $1.id }.map { (Array($0.content.utf8), $0.id) }
        var merges: [([UInt8], [UInt8])] = []
        var newPieces: [NewPiece] = []
        for (k, s) in learned.enumerated() {
            let text = engine.texts[Int(s)]
            newID[s] = first + k
            vocabulary.append((text, first + k))
            if let (a, b) = engine.parts[s] { merges.append((engine.texts[Int(a)], engine.texts[Int(b)])) }
            newPieces.append(NewPiece(id: first + k, piece: String(decoding: text, as: UTF8.self), baseIDs: engine.baseIDs[Int(s)].map(Int.init)))
        }
        let reservedTexts = reservedTexts { tokenizer.id(for: $0) != nil }
        let reserved = reservedTexts.enumerated().map { (id: first + learned.count + $0.offset, piece: $0.element) }
        let out: [UInt8]
        do {
            out = try TokenizerJSONEditing.appending(to: json, path: path, vocabulary: vocabulary, merges: merges,
                                                     addedTokens: reserved.map { (content: $0.piece, id: $0.id) })
        } catch { throw .tokki(error) }
        return Result(model: nil, tokenizerJSON: out, newPieces: newPieces, reserved: reserved, baseVocabularySize: first, statistics: statistics(reader))
    }

    private func statistics(_ reader: CorpusReader) -> CorpusStatistics { reader.stats }
}
