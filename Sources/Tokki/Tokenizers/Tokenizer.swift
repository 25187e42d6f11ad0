/// A tokenizer of any format: SentencePiece `.model`, Hugging Face `tokenizer.json`, tiktoken
/// rank files and Mistral Tekken files all conform, and ``loadTokenizer(at:options:)`` returns
/// whichever a file holds.
///
/// ```swift
/// let tokenizer = try loadTokenizer(at: "tokenizer.json")      // any Tokenizer
/// let encoding = try tokenizer.encode("「민법」 제3조제1항", options: EncodeOptions())
/// encoding.ids; encoding.pieces; encoding.offsets
/// try tokenizer.decode(encoding.ids, skipSpecialTokens: true)
///
/// // Bulk: one encoder per thread keeps its own scratch memory and caches.
/// let encoder = tokenizer.makeIDEncoder()
/// try encoder.encode(Array("대한민국".utf8))
/// encoder.ids
/// ```
///
/// Every conforming type is immutable and `Sendable`: share one instance across threads and
/// give each thread its own ``Scratch`` (or ``TokenIDEncoder``).
public protocol Tokenizer: Sendable {
    /// Per-thread working memory for ``encodeIDs(_:into:scratch:options:)``.
    associatedtype Scratch: Sendable

    /// Fresh working memory for ``encodeIDs(_:into:scratch:options:)``.
    func makeScratch() -> Scratch

    /// The number of ids (every id is below it).
    var vocabularySize: Int { get }

    /// The id of a token's text (special and added tokens included), or nil when the
    /// vocabulary has no such token.
    func id(for token: String) -> Int?

    /// The text of `id` (a special token's name; a byte-level token's bytes as text, invalid
    /// UTF-8 replaced by U+FFFD), or nil when `id` is out of range.
    func token(for id: Int) -> String?

    /// The ids of the special tokens: SentencePiece control and unknown pieces, a
    /// tokenizer.json's special added tokens, tiktoken's special tokens, Tekken's reserved ids.
    var specialTokenIDs: [Int] { get }

    /// The ids the format assigns to the usual roles (nil where it assigns none).
    var specialTokenRoles: SpecialTokenRoles { get }

    /// The id of a token that can stand for a role (BOS, EOS, padding, mask) when a caller
    /// names it: for SentencePiece and tokenizer.json any token of the vocabulary (their
    /// special tokens are vocabulary entries), for tiktoken and Tekken only special tokens
    /// (their ordinary tokens are byte strings).
    func specialTokenID(for token: String) -> Int?

    /// The prefix that marks a token continuing a word (`##` for WordPiece), or nil when
    /// tokens mark word starts instead (`▁`, `Ġ`, a space).
    var continuingSubwordPrefix: String? { get }

    /// The same tokenizer without the truncation and padding its file stores, for callers
    /// that cut and pad sequences themselves (only a tokenizer.json stores them).
    func withoutStoredTruncationAndPadding() -> Self

    /// Which special tokens ``EncodeOptions`` can ask for.
    var specialTokenPolicy: SpecialTokenPolicy { get }

    /// Whether ``encodeIDs(_:into:scratch:options:)`` accepts any bytes (malformed UTF-8
    /// becomes U+FFFD as in the reference). When false the input must be well-formed UTF-8.
    var acceptsMalformedUTF8: Bool { get }

    /// Encodes `text`: ids, token texts, byte and character offsets (and, for a tokenizer.json,
    /// type ids and the special-tokens mask; its stored truncation and padding apply).
    ///
    /// - Throws: ``TokkiError/invalidConfiguration(_:)`` when `options` ask for special tokens
    ///   the format does not have (see ``specialTokenPolicy``), or the format's own errors.
    func encode(_ text: String, options: EncodeOptions) throws(TokkiError) -> Encoding

    /// Encodes the text in `input` as ``encode(_:options:)``, with offsets into `input`. A
    /// tokenizer that ``acceptsMalformedUTF8`` maps malformed bytes itself; the others see
    /// them replaced by U+FFFD (the default implementation).
    func encode(bytes input: UnsafeBufferPointer<UInt8>, options: EncodeOptions) throws(TokkiError) -> Encoding

    /// ``encode(bytes:options:)`` reusing `scratch`'s memory and word caches from call to call
    /// (the same encoding; many short texts encode much faster). The default ignores `scratch`.
    func encode(bytes input: UnsafeBufferPointer<UInt8>, options: EncodeOptions, scratch: inout Scratch) throws(TokkiError) -> Encoding

    /// Appends the ids of `input` and each token's range in Unicode scalars of `input`
    /// (``Encoding/characterOffsets``, Python string indices) — the encoding of
    /// ``encode(bytes:options:)`` without token texts, reusing `scratch`. A tokenizer.json
    /// with a byte-level model takes a path as fast as ids alone; the default builds the full
    /// encoding.
    func encodeIDs(_ input: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], characterOffsets: inout [Range<Int>],
                   scratch: inout Scratch, options: EncodeOptions) throws(TokkiError)

    /// Appends the ids of `input` to `ids` — the fast path: no token texts or offsets, and no
    /// allocation once `scratch` has grown. The ids are those of ``encode(_:options:)``.
    func encodeIDs(_ input: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], scratch: inout Scratch,
                   options: EncodeOptions) throws(TokkiError)

    /// Encodes many texts on `threads` threads (nil: ``Parallelism/threads``). The result does
    /// not depend on the thread count. A tokenizer.json pads the batch together, as
    /// `encode_batch` does.
    func encodeBatch(_ texts: [String], options: EncodeOptions, threads: Int?) throws(TokkiError) -> [Encoding]

    /// Decodes ids to text as the reference's default decode does: SentencePiece and
    /// tokenizer.json (`tokenizers`) and Tekken leave out special tokens, tiktoken keeps their
    /// text.
    ///
    /// - Throws: ``TokkiError/invalidID(_:vocabularySize:)`` for an id outside the vocabulary.
    func decode(_ ids: [Int]) throws(TokkiError) -> String

    /// Decodes ids to text as the reference does. With `skipSpecialTokens` special tokens
    /// are left out (SentencePiece always leaves out control pieces, as the reference).
    ///
    /// - Throws: ``TokkiError/invalidID(_:vocabularySize:)`` for an id outside the vocabulary.
    func decode(_ ids: [Int], skipSpecialTokens: Bool) throws(TokkiError) -> String
}

/// What one encode call adds besides the text's own tokens. The default adds nothing.
public struct EncodeOptions: Sendable, Hashable {
    /// The format's usual special tokens: a tokenizer.json's post-processor (as
    /// `add_special_tokens=True`); BOS and EOS for SentencePiece and Tekken.
    public var addSpecialTokens: Bool
    /// The beginning-of-sequence token (SentencePiece and Tekken).
    public var addBOS: Bool
    /// The end-of-sequence token (SentencePiece and Tekken).
    public var addEOS: Bool

    /// Set by callers inside the package whose input is a Swift `String`'s bytes (well-formed
    /// UTF-8 by construction): the fast paths then skip their own UTF-8 check.
    package var inputIsWellFormedUTF8 = false
    /// Set by callers inside the package that compare token offsets with byte positions: the
    /// `characterOffsets` of ``Tokenizer/encodeIDs(_:into:characterOffsets:scratch:options:)``
    /// are then UTF-8 byte offsets into the input, the same ranges (widened to whole
    /// characters, trimmed alike) with every end a character start; an offset past the last
    /// character keeps its distance past the end. Comparisons between such ends give the
    /// same answers in either unit.
    package var offsetsInBytes = false

    /// Options; all off by default.
    public init(addSpecialTokens: Bool = false, addBOS: Bool = false, addEOS: Bool = false) {
        self.addSpecialTokens = addSpecialTokens
        self.addBOS = addBOS
        self.addEOS = addEOS
    }

    /// Whether BOS is added under ``SpecialTokenPolicy/bosEOS``.
    var bos: Bool { addSpecialTokens || addBOS }
    /// Whether EOS is added under ``SpecialTokenPolicy/bosEOS``.
    var eos: Bool { addSpecialTokens || addEOS }

    /// Throws when the options ask for special tokens that `policy` does not provide.
    func check(_ policy: SpecialTokenPolicy) throws(TokkiError) {
        switch policy {
        case .bosEOS:
            return
        case .postProcessor:
            if addBOS || addEOS {
                throw .invalidConfiguration("a tokenizer.json's post-processor decides which special tokens are added: ask for addSpecialTokens, not BOS/EOS")
            }
        case .none:
            if addSpecialTokens || addBOS || addEOS {
                throw .invalidConfiguration("this tokenizer defines no special tokens to add (no BOS/EOS)")
            }
        }
    }
}

/// How a format adds special tokens to an encoding.
public enum SpecialTokenPolicy: Sendable, Hashable {
    /// BOS and/or EOS around the text (SentencePiece, Tekken).
    case bosEOS
    /// A post-processor template (tokenizer.json), which also sets type ids and the
    /// special-tokens mask.
    case postProcessor
    /// None (tiktoken: special tokens are only ever given by id).
    case none
}

/// The ids a format assigns to the usual roles (nil where it assigns none).
public struct SpecialTokenRoles: Sendable, Hashable {
    /// Beginning of sequence.
    public var bos: Int?
    /// End of sequence.
    public var eos: Int?
    /// Padding.
    public var pad: Int?
    /// The unknown token.
    public var unknown: Int?

    /// Roles with the given ids.
    public init(bos: Int? = nil, eos: Int? = nil, pad: Int? = nil, unknown: Int? = nil) {
        self.bos = bos
        self.eos = eos
        self.pad = pad
        self.unknown = unknown
    }
}

extension Tokenizer {
    /// Nil: tokens mark word starts.
    public var continuingSubwordPrefix: String? { nil }

    /// `self`: nothing stored to remove.
    public func withoutStoredTruncationAndPadding() -> Self { self }

    /// ``encode(_:options:)`` of `input` as text (malformed UTF-8 replaced by U+FFFD).
    public func encode(bytes input: UnsafeBufferPointer<UInt8>, options: EncodeOptions) throws(TokkiError) -> Encoding {
        try encode(String(decoding: input, as: UTF8.self), options: options)
    }

    /// ``encode(bytes:options:)``: `scratch` is not used.
    public func encode(bytes input: UnsafeBufferPointer<UInt8>, options: EncodeOptions, scratch: inout Scratch) throws(TokkiError) -> Encoding {
        try encode(bytes: input, options: options)
    }

    /// ``encode(bytes:options:scratch:)``'s ids and character offsets.
    public func encodeIDs(_ input: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], characterOffsets: inout [Range<Int>],
                          scratch: inout Scratch, options: EncodeOptions) throws(TokkiError) {
        let e = try encode(bytes: input, options: options, scratch: &scratch)
        ids.append(contentsOf: e.ids.map { Int32(truncatingIfNeeded: $0) })
        let first = characterOffsets.count
        characterOffsets.append(contentsOf: e.characterOffsets)
        if options.offsetsInBytes { OffsetUnits.charactersToBytes(&characterOffsets, from: first, in: input) }
    }

    /// A per-thread encoder of full encodings (ids, token texts, offsets) with its own scratch
    /// memory, for encoding many texts.
    public func makeEncoder(options: EncodeOptions = EncodeOptions()) -> TokenEncoder {
        let box = ScratchBox(makeScratch())
        return TokenEncoder(full: { (input) throws(TokkiError) in
            try encode(bytes: input, options: options, scratch: &box.scratch)
        }, offsets: { (input, ids, offsets) throws(TokkiError) in
            try encodeIDs(input, into: &ids, characterOffsets: &offsets, scratch: &box.scratch, options: options)
        })
    }

    /// The ids of `text` (a convenience over ``encodeIDs(_:into:scratch:options:)``).
    public func encodeIDs(_ text: String, options: EncodeOptions) throws(TokkiError) -> [Int] {
        var scratch = makeScratch()
        var ids: [Int32] = []
        var s = text
        let result: Result<Void, TokkiError> = s.withUTF8 { bytes in
            do throws(TokkiError) {
                try encodeIDs(bytes, into: &ids, scratch: &scratch, options: options)
                return .success(())
            } catch { return .failure(error) }
        }
        try result.get()
        return ids.map(Int.init)
    }

    /// Encodes many texts (each on its own, nothing shared between them) on `threads` threads.
    public func encodeBatch(_ texts: [String], options: EncodeOptions, threads: Int?) throws(TokkiError) -> [Encoding] {
        try encodeEach(texts, options: options, threads: threads)
    }

    /// The ids of many texts, encoded on `threads` threads (nil: ``Parallelism/threads``).
    /// Each worker reuses one ``Tokenizer/Scratch``. The result does not depend on the thread count.
    public func encodeIDsBatch(_ texts: [String], options: EncodeOptions,
                               threads: Int? = nil) throws(TokkiError) -> [[Int]] {
        let results = Parallelism.map(texts.count, threads: threads, empty: Result<[Int], TokkiError>.success([])) { range, out in
            var scratch = makeScratch()
            var ids: [Int32] = []
            for k in range {
                ids.removeAll(keepingCapacity: true)
                var s = texts[k]
                out[k] = s.withUTF8 { bytes in
                    do throws(TokkiError) {
                        try encodeIDs(bytes, into: &ids, scratch: &scratch, options: options)
                        return .success(ids.map(Int.init))
                    } catch { return .failure(error) }
                }
            }
        }
        return try results.map { (r) throws(TokkiError) in try r.get() }
    }

    /// ``encode(_:options:)`` of each text on `threads` threads, in order.
    func encodeEach(_ texts: [String], options: EncodeOptions, threads: Int?) throws(TokkiError) -> [Encoding] {
        let results = Parallelism.map(texts.count, threads: threads, empty: Result<Encoding, TokkiError>.success(.empty)) { range, out in
            for k in range {
                do throws(TokkiError) { out[k] = .success(try encode(texts[k], options: options)) } catch { out[k] = .failure(error) }
            }
        }
        return try results.map { (r) throws(TokkiError) in try r.get() }
    }

    /// A per-thread ids encoder with its own scratch memory, for bulk encoding.
    public func makeIDEncoder(options: EncodeOptions = EncodeOptions()) -> TokenIDEncoder {
        var scratch = makeScratch()
        return TokenIDEncoder { (input, ids) throws(TokkiError) in
            try encodeIDs(input, into: &ids, scratch: &scratch, options: options)
        }
    }
}

/// One thread's ids encoder (``Tokenizer/makeIDEncoder(options:)``): a tokenizer with its
/// own scratch memory and word caches, kept from call to call, and the ids of the last text.
///
/// Not thread-safe: make one per thread.
public final class TokenIDEncoder {
    private let encoder: (UnsafeBufferPointer<UInt8>, inout [Int32]) throws(TokkiError) -> Void
    /// The ids of the last text encoded.
    public private(set) var ids: [Int32] = []

    init(_ encoder: @escaping (UnsafeBufferPointer<UInt8>, inout [Int32]) throws(TokkiError) -> Void) {
        self.encoder = encoder
    }

    /// Encodes one text into ``ids`` (replacing the previous ids).
    public func encode(_ input: UnsafeBufferPointer<UInt8>) throws(TokkiError) {
        ids.removeAll(keepingCapacity: true)
        try encoder(input, &ids)
    }

    /// Encodes one text into ``ids`` (replacing the previous ids).
    public func encode(_ input: [UInt8]) throws(TokkiError) {
        try input.withUnsafeBufferPointer { (b) throws(TokkiError) in try encode(b) }
    }

    /// Appends the ids of one text to `ids`.
    public func append(_ input: UnsafeBufferPointer<UInt8>, to ids: inout [Int32]) throws(TokkiError) {
        try encoder(input, &ids)
    }
}

/// One thread's encoder of full encodings (``Tokenizer/makeEncoder(options:)``): a tokenizer
/// with its own scratch memory and word caches, kept from call to call.
///
/// Not thread-safe: make one per thread.
public final class TokenEncoder {
    private let encoder: (UnsafeBufferPointer<UInt8>) throws(TokkiError) -> Encoding
    private let offsetEncoder: (UnsafeBufferPointer<UInt8>, inout [Int32], inout [Range<Int>]) throws(TokkiError) -> Void

    init(full: @escaping (UnsafeBufferPointer<UInt8>) throws(TokkiError) -> Encoding,
         offsets: @escaping (UnsafeBufferPointer<UInt8>, inout [Int32], inout [Range<Int>]) throws(TokkiError) -> Void) {
        self.encoder = full
        self.offsetEncoder = offsets
    }

    /// Appends the ids of `input` and their character offsets
    /// (``Tokenizer/encodeIDs(_:into:characterOffsets:scratch:options:)``).
    public func encodeIDs(_ input: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], characterOffsets: inout [Range<Int>]) throws(TokkiError) {
        try offsetEncoder(input, &ids, &characterOffsets)
    }

    /// The encoding of `input` (UTF-8 text; offsets are into it).
    public func encode(_ input: UnsafeBufferPointer<UInt8>) throws(TokkiError) -> Encoding {
        try encoder(input)
    }

    /// The encoding of `text`.
    public func encode(_ text: String) throws(TokkiError) -> Encoding {
        var s = text
        let result: Result<Encoding, TokkiError> = s.withUTF8 { b in
            do throws(TokkiError) { return .success(try encoder(b)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}

/// A tokenizer's scratch memory shared by the closures of one ``TokenEncoder``.
final class ScratchBox<S> {
    var scratch: S
    init(_ scratch: S) { self.scratch = scratch }
}

/// Conversions between the character offsets of ``Encoding/characterOffsets`` and UTF-8 byte
/// offsets (see ``EncodeOptions/offsetsInBytes``).
package enum OffsetUnits {
    /// Rewrites `offsets[first...]`, character (Unicode scalar) indices into the UTF-8 text
    /// `input`, as byte offsets: index k becomes the byte where character k starts (the
    /// character count becomes `input.count`), and an index past the end keeps its distance
    /// past it.
    package static func charactersToBytes(_ offsets: inout [Range<Int>], from first: Int, in input: UnsafeBufferPointer<UInt8>) {
        guard first < offsets.count else { return }
        // The byte where each character starts, then the end.
        var starts: [Int] = []
        starts.reserveCapacity(input.count + 1)
        for (k, b) in input.enumerated() where b & 0xC0 != 0x80 { starts.append(k) }
        let count = starts.count
        starts.append(input.count)
        func byte(_ c: Int) -> Int { c <= count ? starts[max(0, c)] : input.count + (c - count) }
        for k in first..<offsets.count {
            let lo = byte(offsets[k].lowerBound)
            offsets[k] = lo..<max(lo, byte(offsets[k].upperBound))
        }
    }
}
