/// The last stage of a Hugging Face pipeline: adds special tokens around one sequence or a
/// pair and sets type ids (house rule 1: one protocol per stage). The tokenizer then merges
/// the returned encodings (and their overflowing parts) as `tokenizers` does.
public protocol PostProcessor: Sendable {
    /// How many tokens the stage adds to a single sequence or a pair.
    func addedTokenCount(pair: Bool) -> Int
    /// Rewrites the encodings of a sequence (and its pair); offsets are UTF-8 byte offsets.
    func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding]
}

extension Encoding {
    /// An encoding with every type id set to `type` (overflowing parts unchanged).
    func withTypeID(_ type: Int) -> Encoding {
        var e = self
        e.typeIDs = [Int](repeating: type, count: e.ids.count)
        return e
    }

    /// Appends `other`'s tokens (not its overflowing parts).
    mutating func append(_ other: Encoding) {
        ids += other.ids; pieces += other.pieces; offsets += other.offsets
        characterOffsets += other.characterOffsets; typeIDs += other.typeIDs
        specialTokensMask += other.specialTokensMask; attentionMask += other.attentionMask
    }

    /// `tokenizers`' `merge_with`: appends `pair`, and combines the overflowing parts of both
    /// (each of ours with `pair` and with each of its parts, then ourselves with each of its parts).
    mutating func merge(with pair: Encoding) {
        var combined: [Encoding] = []
        for mine in overflowing {
            var n = mine
            n.merge(with: pair)
            combined.append(n)
            for theirs in pair.overflowing {
                var m = mine
                m.merge(with: theirs)
                combined.append(m)
            }
        }
        for theirs in pair.overflowing {
            var n = self
            n.merge(with: theirs)
            combined.append(n)
        }
        append(pair)
        overflowing = combined
    }

    /// `tokenizers`' `Encoding::merge`: the encodings merged left to right.
    static func merged(_ parts: [Encoding]) -> Encoding {
        var out = Encoding.empty
        for p in parts { out.merge(with: p) }
        return out
    }

    /// The empty encoding.
    static let empty = Encoding(ids: [], pieces: [], offsets: [], characterOffsets: [])

    /// Special tokens (offsets 0..<0, special mask 1).
    static func special(_ tokens: [(id: Int, token: String)], type: Int) -> Encoding {
        let n = tokens.count
        return Encoding(ids: tokens.map(\.id), pieces: tokens.map(\.token), offsets: Array(repeating: 0..<0, count: n),
                        characterOffsets: Array(repeating: 0..<0, count: n), typeIDs: Array(repeating: type, count: n),
                        specialTokensMask: Array(repeating: 1, count: n), attentionMask: Array(repeating: 1, count: n))
    }

    /// `tokens` around this encoding, as BERT and RoBERTa processors build them: its own
    /// type ids in the middle, `type` for the added tokens; its overflowing parts dropped.
    func surrounded(by before: [(id: Int, token: String)], _ after: [(id: Int, token: String)], type: Int,
                    middleType: Int? = nil) -> Encoding {
        var e = Encoding.special(before, type: type)
        var middle = self
        middle.overflowing = []
        if let middleType { middle.typeIDs = Array(repeating: middleType, count: middle.ids.count) }
        middle.specialTokensMask = Array(repeating: 0, count: middle.ids.count)
        e.append(middle)
        e.append(.special(after, type: type))
        return e
    }
}

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

/// Hugging Face's `ByteLevel` post-processor: with `trimOffsets`, the offsets of tokens no
/// longer cover their leading and trailing spaces.
public struct ByteLevelPostProcessor: PostProcessor {
    /// Remove spaces from offsets.
    public let trimOffsets: Bool
    /// Whether the pre-tokenizer added a prefix space (then the first token keeps one).
    public let addPrefixSpace: Bool

    /// Creates the post-processor.
    public init(trimOffsets: Bool = true, addPrefixSpace: Bool = true) {
        self.trimOffsets = trimOffsets
        self.addPrefixSpace = addPrefixSpace
    }

    /// Adds nothing.
    public func addedTokenCount(pair: Bool) -> Int { 0 }

    /// Trims offsets (of the overflowing parts too).
    public func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        guard trimOffsets else { return encodings }
        return encodings.map { Self.trimAll($0, addPrefixSpace: addPrefixSpace) }
    }

    static func trimAll(_ e: Encoding, addPrefixSpace: Bool) -> Encoding {
        var t = trim(e, addPrefixSpace: addPrefixSpace)
        t.overflowing = e.overflowing.map { trim($0, addPrefixSpace: addPrefixSpace) }
        return t
    }

    static func isSpaceLike(_ s: Unicode.Scalar) -> Bool { s.value == 0x120 || s.properties.isWhitespace }

    /// `tokenizers`' `process_offsets`: counts leading/trailing `Ġ` (or whitespace) and moves
    /// the byte offsets inward by that many.
    static func trim(_ e: Encoding, addPrefixSpace: Bool) -> Encoding {
        var e = e
        for i in e.ids.indices {
            let scalars = Array(e.pieces[i].unicodeScalars)
            var leading = 0
            while leading < scalars.count && isSpaceLike(scalars[leading]) { leading += 1 }
            var trailing = 0
            while trailing < scalars.count && isSpaceLike(scalars[scalars.count - 1 - trailing]) { trailing += 1 }
            guard leading > 0 || trailing > 0 else { continue }
            // The same moves apply to byte and character offsets: the trimmed characters are
            // spaces, one byte each.
            if leading > 0 {
                let isFirst = i == 0 || e.offsets[i].lowerBound == 0
                if isFirst && addPrefixSpace && leading == 1 { leading = 0 }
            }
            func moved(_ r: Range<Int>) -> Range<Int> {
                var (start, end) = (r.lowerBound, r.upperBound)
                if leading > 0 { start = min(start + leading, end) }
                if trailing > 0 && end >= trailing { end = max(end - trailing, start) }
                return start..<end
            }
            e.offsets[i] = moved(e.offsets[i])
            e.characterOffsets[i] = moved(e.characterOffsets[i])
        }
        return e
    }
}

/// Hugging Face's `RobertaProcessing`: `<s> A </s>` and `<s> A </s></s> B </s>`, with the
/// byte-level offset trimming.
public struct RobertaProcessing: PostProcessor {
    /// The separator (id, token).
    public let sep: (id: Int, token: String)
    /// The classification token (id, token).
    public let cls: (id: Int, token: String)
    /// Trim spaces from offsets.
    public let trimOffsets: Bool
    /// Whether the pre-tokenizer adds a prefix space.
    public let addPrefixSpace: Bool

    /// Creates the post-processor.
    public init(sep: (id: Int, token: String), cls: (id: Int, token: String), trimOffsets: Bool = true, addPrefixSpace: Bool = true) {
        self.sep = sep
        self.cls = cls
        self.trimOffsets = trimOffsets
        self.addPrefixSpace = addPrefixSpace
    }

    /// 2 for a sequence, 4 for a pair.
    public func addedTokenCount(pair: Bool) -> Int { pair ? 4 : 2 }

    /// Trims offsets, sets every type id to 0, adds the special tokens (to the overflowing
    /// parts too).
    public func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        var list = trimOffsets ? encodings.map { ByteLevelPostProcessor.trimAll($0, addPrefixSpace: addPrefixSpace) } : encodings
        list = list.map { var e = $0.withTypeID(0); e.overflowing = $0.overflowing; return e }
        guard addSpecialTokens else { return list }
        return list.enumerated().map { i, e in
            let before = i == 0 ? [cls] : [sep]
            var out = e.surrounded(by: before, [sep], type: 0, middleType: 0)
            out.overflowing = e.overflowing.map { $0.surrounded(by: before, [sep], type: 0, middleType: 0) }
            return out
        }
    }
}

/// Hugging Face's `BertProcessing`: `[CLS] A [SEP]` and `[CLS] A [SEP] B [SEP]`, type ids
/// 0 for the first part and 1 for the second; overflowing parts get the same tokens.
public struct BertProcessing: PostProcessor {
    /// The separator (id, token).
    public let sep: (id: Int, token: String)
    /// The classification token (id, token).
    public let cls: (id: Int, token: String)

    /// Creates the post-processor.
    public init(sep: (id: Int, token: String), cls: (id: Int, token: String)) {
        self.sep = sep
        self.cls = cls
    }

    /// 2 for a sequence, 3 for a pair.
    public func addedTokenCount(pair: Bool) -> Int { pair ? 3 : 2 }

    /// Adds the special tokens.
    public func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        guard addSpecialTokens else { return encodings }
        return encodings.enumerated().map { i, e in
            let build: (Encoding) -> Encoding = { x in
                i == 0 ? x.surrounded(by: [cls], [sep], type: 0) : x.surrounded(by: [], [sep], type: 1)
            }
            var out = build(e)
            out.overflowing = e.overflowing.map(build)
            return out
        }
    }
}

/// Several post-processors in order (only the first adds special tokens in practice).
public struct PostProcessorSequence: PostProcessor {
    /// The stages.
    public let processors: [any PostProcessor]
    /// Creates a sequence.
    public init(_ processors: [any PostProcessor]) { self.processors = processors }
    /// The sum of the stages' counts.
    public func addedTokenCount(pair: Bool) -> Int { processors.reduce(0) { $0 + $1.addedTokenCount(pair: pair) } }
    /// Runs the stages in order.
    public func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        processors.reduce(encodings) { $1.processEncodings($0, addSpecialTokens: addSpecialTokens) }
    }
}
