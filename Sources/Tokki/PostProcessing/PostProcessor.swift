/// The last stage of a Hugging Face pipeline: adds special tokens around one sequence or a
/// pair and sets type ids (house rule 1: one protocol per stage).
public protocol PostProcessor: Sendable {
    /// How many tokens the stage adds to a single sequence or a pair.
    func addedTokenCount(pair: Bool) -> Int
    /// Combines the encodings of a sequence (and its pair); offsets are UTF-8 byte offsets.
    func process(_ first: Encoding, _ second: Encoding?, addSpecialTokens: Bool) -> Encoding
}

extension Encoding {
    /// An encoding with every type id set to `type`.
    func withTypeID(_ type: Int) -> Encoding {
        var e = self
        e.typeIDs = [Int](repeating: type, count: e.ids.count)
        return e
    }

    /// Appends `other` (its overflowing parts are dropped).
    mutating func append(_ other: Encoding) {
        ids += other.ids; pieces += other.pieces; offsets += other.offsets
        characterOffsets += other.characterOffsets; typeIDs += other.typeIDs
        specialTokensMask += other.specialTokensMask; attentionMask += other.attentionMask
    }

    /// The empty encoding.
    static let empty = Encoding(ids: [], pieces: [], offsets: [], characterOffsets: [])

    /// One special token.
    static func special(_ id: Int, _ token: String, type: Int) -> Encoding {
        Encoding(ids: [id], pieces: [token], offsets: [0..<0], characterOffsets: [0..<0], typeIDs: [type],
                 specialTokensMask: [1], attentionMask: [1])
    }
}

/// `tokenizers`' default when there is no post-processor: the sequences concatenated, the
/// second with type id 1.
func concatenate(_ first: Encoding, _ second: Encoding?) -> Encoding {
    var e = first
    if let second { e.append(second.withTypeID(1)) }
    return e
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

    /// Applies the template.
    public func process(_ first: Encoding, _ second: Encoding?, addSpecialTokens: Bool) -> Encoding {
        var out = Encoding.empty
        for piece in second == nil ? single : pair {
            switch piece {
            case .sequence(let isFirst, let type):
                if isFirst { out.append(first.withTypeID(type)) } else if let second { out.append(second.withTypeID(type)) }
            case .special(let name, let type):
                guard addSpecialTokens else { continue }
                for t in specialTokens[name] ?? [] { out.append(.special(t.id, t.token, type: type)) }
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

    /// Trims offsets, then concatenates.
    public func process(_ first: Encoding, _ second: Encoding?, addSpecialTokens: Bool) -> Encoding {
        guard trimOffsets else { return concatenate(first, second) }
        return concatenate(Self.trim(first, addPrefixSpace: addPrefixSpace), second.map { Self.trim($0, addPrefixSpace: addPrefixSpace) })
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

    /// Adds the special tokens.
    public func process(_ first: Encoding, _ second: Encoding?, addSpecialTokens: Bool) -> Encoding {
        var a = first, b = second
        if trimOffsets {
            a = ByteLevelPostProcessor.trim(a, addPrefixSpace: addPrefixSpace)
            b = b.map { ByteLevelPostProcessor.trim($0, addPrefixSpace: addPrefixSpace) }
        }
        guard addSpecialTokens else { return concatenate(a, b) }
        var out = Encoding.special(cls.id, cls.token, type: 0)
        out.append(a.withTypeID(0))
        out.append(.special(sep.id, sep.token, type: 0))
        if let b {
            out.append(.special(sep.id, sep.token, type: 0))
            out.append(b.withTypeID(0))
            out.append(.special(sep.id, sep.token, type: 0))
        }
        return out
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
    /// Runs the stages; after the first, the result is one sequence.
    public func process(_ first: Encoding, _ second: Encoding?, addSpecialTokens: Bool) -> Encoding {
        guard let head = processors.first else { return concatenate(first, second) }
        var e = head.process(first, second, addSpecialTokens: addSpecialTokens)
        for p in processors.dropFirst() { e = p.process(e, nil, addSpecialTokens: addSpecialTokens) }
        return e
    }
}
