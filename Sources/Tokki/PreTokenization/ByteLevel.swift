/// Hugging Face's `ByteLevel` pre-tokenizer: optionally adds a space in front of each piece,
/// optionally splits with the GPT-2 pattern, and maps every byte to a printable character
/// (see <doc:Compatibility#Byte-level-BPE>). Tokki keeps the raw bytes and lets the
/// byte-level model look up tokens by the bytes they stand for, which gives the same ids
/// without the mapping cost.
///
/// ```swift
/// let byteLevel = try ByteLevel(addPrefixSpace: false, useRegex: true)
/// ```
public struct ByteLevel: PreTokenizationStage {
    /// Prepend a space to a piece that does not start with one.
    public let addPrefixSpace: Bool
    /// Split with the GPT-2 pattern.
    public let useRegex: Bool
    /// Remove the offsets of leading/trailing spaces (used by the post-processor).
    public let trimOffsets: Bool
    let split: RegexSplit?

    /// Creates the stage (defaults as `tokenizers`: prefix space on, regex on).
    public init(addPrefixSpace: Bool = true, useRegex: Bool = true, trimOffsets: Bool = true) throws(TokkiError) {
        self.addPrefixSpace = addPrefixSpace
        self.useRegex = useRegex
        self.trimOffsets = trimOffsets
        split = useRegex ? try RegexSplit(pattern: PretokenizationPattern.gpt2, behavior: .isolated, dialect: .oniguruma) : nil
    }

    /// Adds the prefix space and splits.
    public func apply(_ text: inout PreTokenizedText) throws(TokkiError) {
        if addPrefixSpace && text.pieces.contains(where: { text.bytes[$0.lowerBound] != 0x20 }) {
            text.rewritePieces { piece, w in
                var k = piece.lowerBound
                if w.old.bytes[k] != 0x20 {
                    let first = k..<min(piece.upperBound, k + BPEModel.utf8Length(w.old.bytes[k]))
                    w.write([0x20], for: first)
                    for j in first { w.copy(j) }
                    k = first.upperBound
                }
                while k < piece.upperBound { w.copy(k); k += 1 }
            }
        }
        if let split { try SplittingStage(split).apply(&text) }
    }
}

/// Hugging Face's `Metaspace` pre-tokenizer: spaces become `▁` (or another replacement),
/// a `▁` is prepended to pieces per ``PrependScheme``, and with `split` each piece is cut
/// before every `▁`.
///
/// ```swift
/// let metaspace = Metaspace(replacement: "▁", prependScheme: .always, split: true)
/// ```
public struct Metaspace: PreTokenizationStage {
    /// When to prepend the replacement.
    public enum PrependScheme: String, Sendable {
        /// To every piece that does not start with it.
        case always
        /// Only to the piece at the start of the input.
        case first
        /// Never.
        case never
    }

    /// The character that stands for a space.
    public let replacement: String
    /// When to prepend it.
    public let prependScheme: PrependScheme
    /// Cut pieces before each replacement character.
    public let split: Bool
    let replacementBytes: [UInt8]

    /// Creates the stage.
    public init(replacement: String = "▁", prependScheme: PrependScheme = .always, split: Bool = true) {
        self.replacement = replacement
        self.prependScheme = prependScheme
        self.split = split
        replacementBytes = Array(replacement.utf8)
    }

    /// Rewrites spaces, prepends and splits.
    public func apply(_ text: inout PreTokenizedText) throws(TokkiError) {
        let rep = replacementBytes
        let base = text.originalBase
        let doSplit = split
        let scheme = prependScheme
        text.rewritePieces { piece, w in
            let b = w.old.bytes
            var k = piece.lowerBound
            // Spaces become the replacement first, so a piece starting with one needs no prefix.
            var prepend = false
            if !(b[piece].starts(with: rep) || b[k] == 0x20) {
                switch scheme {
                case .always: prepend = true
                case .first: prepend = base + Int(w.source(of: k).0) == 0
                case .never: prepend = false
                }
            }
            if prepend {
                let first = k..<min(piece.upperBound, k + BPEModel.utf8Length(b[k]))
                w.write(rep, for: first)
            }
            while k < piece.upperBound {
                if b[k] == 0x20 {
                    if doSplit { w.cut() }
                    w.write(rep, for: k..<(k + 1))
                    k += 1
                } else if doSplit && !rep.isEmpty && b[k...].starts(with: rep) && k + rep.count <= piece.upperBound {
                    w.cut()
                    for j in k..<(k + rep.count) { w.copy(j) }
                    k += rep.count
                } else {
                    w.copy(k)
                    k += 1
                }
            }
        }
    }
}
