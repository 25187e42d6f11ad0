import Foundation
import Tokki

/// The engine under ``VocabularyExtender`` for BPE models: a base vocabulary's merge rules,
/// every distinct word of a corpus segmented exactly as the base's encoder segments it, and
/// new merges learned on top of that segmentation, each ranked after every rule before it.
///
/// Segmentation is the encoders' own loop — repeatedly merge the adjacent pair whose rule
/// comes first (leftmost on a tie) — so the segmentation kept for every word is the one the
/// extended model gives it, and each learned piece is produced from the words it was learned
/// on (it is reachable). Two kinds of rules:
/// - by text (SentencePiece BPE): two adjacent symbols merge when their concatenation is a
///   piece; a new piece therefore also adds every other split of itself into two symbols,
///   and makes reachable any piece with it as one half;
/// - by pair (Hugging Face BPE): only the listed pair merges.
struct MergeContinuation {
    /// A merge rule: lower `priority` merges first.
    struct Rule: Equatable {
        var priority: Int32
        var result: Int32
        static let none = Rule(priority: .max, result: -1)
    }

    /// Symbol texts (SentencePiece pieces' UTF-8; byte-level tokens in their vocabulary
    /// spelling).
    private(set) var texts: [[UInt8]] = []
    /// Whether a symbol is a token of the model (else: a character the model does not know).
    private(set) var isToken: [Bool] = []
    /// Per symbol: the base ids whose concatenation it is.
    private(set) var baseIDs: [[Int32]] = []
    /// The two symbols each learned merge joined, by new symbol.
    private(set) var parts: [Int32: (Int32, Int32)] = [:]
    /// Per symbol: the priority of the rules producing it (`.max`: none).
    private(set) var priorityOf: [Int32] = []
    /// Every symbol by text.
    private var symbolOfText = TextTable()
    private(set) var rules = UInt64Map<Rule>(capacity: 1 << 16, empty: .none)
    /// Rules by text waiting for a half: by the hash of the missing half, the first entry of
    /// a list in `halfEntries` of the pieces with that half (split at `split` bytes; the
    /// missing half is the left one when `isLeft`), to be added when a symbol with that text
    /// appears.
    private var halves = UInt64Map<Int32>(capacity: 1 << 12, empty: -1)
    private var halfEntries: [(piece: Int32, split: Int32, isLeft: Bool, next: Int32)] = []
    let byText: Bool
    /// The next new rule's priority (after every base rule).
    private var nextPriority: Int32 = 0

    /// For encoders that take a word whole when it is a token (`ignore_merges`): the words
    /// by their text, so that a new token spelled like a whole word becomes that word.
    var wholeWords: [[UInt8]: Int32]? = nil

    /// The words: their segmentation (symbol ids) and frequency.
    private(set) var words: [[Int32]] = []
    private(set) var frequency: [Int64] = []

    static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b)) }

    /// A base with `tokens` (by id; nil: an unused id or one that never takes part in
    /// merges) and `merges` (pairs of ids with their priority, or nil to derive rules by
    /// text from the tokens and `priority`).
    init(tokens: [[UInt8]?], byText: Bool, pairRules: [(Int32, Int32, Int32)], textPriority: [Int32]) {
        self.byText = byText
        texts.reserveCapacity(tokens.count)
        symbolOfText.reserve(tokens.count)
        for (id, t) in tokens.enumerated() {
            texts.append(t ?? [])
            isToken.append(t != nil)
            baseIDs.append([Int32(id)])
            priorityOf.append(byText ? textPriority[id] : .max)
            if let t, symbolOfText.find(t[...], texts) == nil { symbolOfText.insert(t[...], Int32(id), texts) }
        }
        var last: Int32 = -1
        for (a, b, p) in pairRules {
            guard let l = tokens[Int(a)], let r = tokens[Int(b)], let m = symbolOfText.find((l + r)[...], texts) else { continue }
            addRule(a, b, Rule(priority: p, result: m))
            last = max(last, p)
        }
        if byText {
            for (id, t) in tokens.enumerated() {
                guard let t, textPriority[id] != .max else { continue }
                last = max(last, textPriority[id])
                Self.forEachSplit(t) { i in
                    let (li, ri) = t.withUnsafeBufferPointer { b in
                        (symbolOfText.find(UnsafeBufferPointer(rebasing: b[..<i]), texts), symbolOfText.find(UnsafeBufferPointer(rebasing: b[i...]), texts))
                    }
                    if let li, let ri {
                        addRule(li, ri, Rule(priority: textPriority[id], result: Int32(id)))
                    } else {
                        if li == nil { waitForHalf(t[..<i], piece: Int32(id), split: i, isLeft: true) }
                        if ri == nil { waitForHalf(t[i...], piece: Int32(id), split: i, isLeft: false) }
                    }
                }
            }
        }
        nextPriority = last + 1
    }

    /// Calls `body` with every byte offset that splits `text` into two non-empty parts at a
    /// character boundary.
    static func forEachSplit(_ text: [UInt8], _ body: (Int) -> Void) {
        var i = 1
        while i < text.count {
            if text[i] & 0xC0 != 0x80 { body(i) }
            i += 1
        }
    }

    /// Records that `piece`, split at `split`, waits for a symbol spelled `half`.
    private mutating func waitForHalf(_ half: ArraySlice<UInt8>, piece: Int32, split: Int, isLeft: Bool) {
        let h = TextTable.hash(half)
        halfEntries.append((piece, Int32(split), isLeft, halves[h]))
        halves[h] = Int32(halfEntries.count - 1)
    }

    private mutating func addRule(_ a: Int32, _ b: Int32, _ rule: Rule) {
        let k = Self.key(a, b)
        if rules[k].priority > rule.priority { rules[k] = rule }
    }

    /// The symbol of `text`, made (not a token, standing for `fallback`) when new; a new
    /// symbol can make base pieces with it as a half reachable (rules by text).
    mutating func symbol(_ text: [UInt8], fallback: [Int32]) -> Int32 {
        if let s = symbolOfText.find(text[...], texts) { return s }
        let s = Int32(texts.count)
        texts.append(text); isToken.append(false); baseIDs.append(fallback); priorityOf.append(.max)
        symbolOfText.insert(text[...], s, texts)
        if byText { _ = addRulesForNewText(s) }
        return s
    }

    /// The symbol of the bytes `text`, made when new with the base ids `fallback` gives.
    mutating func symbol(_ text: UnsafeBufferPointer<UInt8>, fallback: (UnsafeBufferPointer<UInt8>) -> [Int32]) -> Int32 {
        if let s = symbolOfText.find(text, texts) { return s }
        return symbol(Array(text), fallback: fallback(text))
    }

    /// The symbol with `text`, if any.
    func existing(_ text: [UInt8]) -> Int32? { symbolOfText.find(text[...], texts) }

    /// Segments `w` further with the current rules: the encoders' loop.
    func encode(_ w: inout [Int32]) {
        while w.count > 1 {
            var best = Rule.none, at = -1
            for i in 0..<(w.count - 1) {
                let r = rules[Self.key(w[i], w[i + 1])]
                if r.priority < best.priority { best = r; at = i }
            }
            if at < 0 { return }
            w[at] = best.result
            w.remove(at: at + 1)
        }
    }

    /// Adds a word (its initial symbols), segmenting it with the current rules.
    mutating func addWord(_ symbols: [Int32], frequency f: Int64) {
        var w = symbols
        encode(&w)
        words.append(w)
        frequency.append(f)
    }

    /// Replaces the segmentation of word `k` (an exact match of the model's vocabulary, for
    /// encoders that take a whole word when it is a token).
    mutating func setWord(_ k: Int, to w: [Int32]) { words[k] = w }

    /// Makes the unknown character `c` a token (its rules, by text, exist already).
    mutating func makeToken(_ c: Int32) {
        isToken[Int(c)] = true
    }

    /// Rules a new symbol with text brings: its own splits into two symbols, and the pieces
    /// it is one half of whose other half exists.
    private mutating func addRulesForNewText(_ s: Int32) -> [UInt64] {
        var added: [UInt64] = []
        let text = texts[Int(s)]
        let own = priorityOf[Int(s)]
        if own != .max {
            Self.forEachSplit(text) { i in
                guard let li = symbolOfText.find(text[..<i], texts), let ri = symbolOfText.find(text[i...], texts) else { return }
                let k = Self.key(li, ri)
                if rules[k].priority > own { rules[k] = Rule(priority: own, result: s); added.append(k) }
            }
        }
        let h = TextTable.hash(text[...])
        var e = halves[h]
        guard e >= 0 else { return added }
        halves[h] = -1
        while e >= 0 {
            let (piece, split, isLeft, next) = halfEntries[Int(e)]
            e = next
            let whole = texts[Int(piece)], cut = Int(split)
            let half = isLeft ? whole[..<cut] : whole[cut...], other = isLeft ? whole[cut...] : whole[..<cut]
            // Another text with the same hash: it keeps waiting.
            guard half.elementsEqual(text) else { waitForHalf(half, piece: piece, split: cut, isLeft: isLeft); continue }
            guard let o = symbolOfText.find(other, texts) else {
                // The other half does not exist yet: wait for it.
                waitForHalf(other, piece: piece, split: cut, isLeft: !isLeft)
                continue
            }
            let k = isLeft ? Self.key(s, o) : Self.key(o, s)
            let p = priorityOf[Int(piece)]
            if rules[k].priority > p { rules[k] = Rule(priority: p, result: piece); added.append(k) }
        }
        return added
    }

    /// Adds the merge of `a` and `b` as a new token after every rule so far; returns its
    /// symbol and the keys of the rules added.
    mutating func addMerge(_ a: Int32, _ b: Int32) -> (symbol: Int32, rules: [UInt64]) {
        let text = texts[Int(a)] + texts[Int(b)]
        let priority = nextPriority
        nextPriority += 1
        let s = Int32(texts.count)
        texts.append(text); isToken.append(true); baseIDs.append(baseIDs[Int(a)] + baseIDs[Int(b)]); priorityOf.append(priority)
        symbolOfText.insert(text[...], s, texts)
        parts[s] = (a, b)
        let k = Self.key(a, b)
        rules[k] = Rule(priority: priority, result: s)
        var keys = [k]
        if byText { keys += addRulesForNewText(s).filter { $0 != k } }
        return (s, keys)
    }
}

/// Symbols by text without a key array per look-up: a 64-bit hash of the bytes maps to a
/// symbol whose text is compared; texts whose hash another text already holds go to a
/// dictionary (practically never).
struct TextTable {
    private var map = UInt64Map<Int32>(capacity: 1 << 12, empty: -1)
    private var overflow: [[UInt8]: Int32] = [:]

    mutating func reserve(_ n: Int) { if map.count == 0 { map = UInt64Map(capacity: n, empty: -1) } }

    /// FNV-1a over the bytes, then a final mix.
    static func hash(_ text: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in text { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        h ^= h >> 33; h &*= 0xFF51_AFD7_ED55_8CCD; h ^= h >> 33
        // `UInt64Map` keeps `.max` for its empty slots.
        return h == .max ? h - 1 : h
    }

    static func hash(_ text: ArraySlice<UInt8>) -> UInt64 { text.withUnsafeBufferPointer { hash($0) } }

    func find(_ text: UnsafeBufferPointer<UInt8>, _ texts: [[UInt8]]) -> Int32? {
        let id = map[Self.hash(text)]
        guard id >= 0 else { return nil }
        let same = texts[Int(id)].withUnsafeBufferPointer { t in
            t.count == text.count && (t.count == 0 || memcmp(t.baseAddress!, text.baseAddress!, t.count) == 0)
        }
        if same { return id }
        return overflow.isEmpty ? nil : overflow[Array(text)]
    }

    func find(_ text: ArraySlice<UInt8>, _ texts: [[UInt8]]) -> Int32? { text.withUnsafeBufferPointer { find($0, texts) } }

    mutating func insert(_ text: ArraySlice<UInt8>, _ id: Int32, _ texts: [[UInt8]]) {
        let h = Self.hash(text)
        if map[h] < 0 { map[h] = id } else { overflow[Array(text)] = id }
    }
}
