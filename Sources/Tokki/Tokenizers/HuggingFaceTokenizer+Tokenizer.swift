extension HuggingFaceTokenizer: Tokenizer {
    /// Fresh working memory.
    public func makeScratch() -> Scratch { Scratch() }

    /// The special added tokens.
    public var specialTokenIDs: [Int] { addedTokens.filter(\.special).map(\.id) }

    /// The padding id of the stored padding and the unknown token (`<unk>`, `[UNK]` or
    /// `<|unk|>`); the post-processor decides BOS and EOS, so they are nil.
    public var specialTokenRoles: SpecialTokenRoles {
        SpecialTokenRoles(pad: padding?.padID, unknown: ["<unk>", "[UNK]", "<|unk|>"].lazy.compactMap { id(for: $0) }.first)
    }

    /// Any token's id (added tokens first).
    public func specialTokenID(for token: String) -> Int? { id(for: token) }

    /// The WordPiece continuing-subword prefix (``wordPiecePrefix``).
    public var continuingSubwordPrefix: String? { wordPiecePrefix }

    /// A copy with ``truncation`` and ``padding`` removed.
    public func withoutStoredTruncationAndPadding() -> HuggingFaceTokenizer {
        var copy = self
        copy.truncation = nil
        copy.padding = nil
        return copy
    }

    /// Decodes ids leaving out special tokens (`tokenizers`' default).
    public func decode(_ ids: [Int]) throws(TokkiError) -> String { try decode(ids, skipSpecialTokens: true) }

    /// ``SpecialTokenPolicy/postProcessor``.
    public var specialTokenPolicy: SpecialTokenPolicy { .postProcessor }

    /// False: the input must be well-formed UTF-8.
    public var acceptsMalformedUTF8: Bool { false }

    /// ``encode(_:addSpecialTokens:)``.
    public func encode(_ text: String, options: EncodeOptions) throws(TokkiError) -> Encoding {
        try options.check(.postProcessor)
        return try encode(text, addSpecialTokens: options.addSpecialTokens)
    }

    /// ``encode(_:addSpecialTokens:)`` of well-formed UTF-8 `input` with `scratch`'s word
    /// caches (the shared table of this tokenizer, then the thread's own).
    public func encode(bytes input: UnsafeBufferPointer<UInt8>, options: EncodeOptions, scratch: inout Scratch) throws(TokkiError) -> Encoding {
        try options.check(.postProcessor)
        guard UTF8Validation.firstInvalidOffset(in: input) == nil else {
            return try encode(String(decoding: input, as: UTF8.self), options: options)
        }
        scratch.model.bind(pieceTables)
        let bytes = Array(input)
        var first = try encodeSequence(bytes, typeID: 0, scratch: &scratch.model)
        first.characterOffsets = Self.characterOffsets(first.offsets, in: bytes)
        return try postProcess(first, nil, addSpecialTokens: options.addSpecialTokens)
    }

    /// ``encodeIDs(_:into:scratch:addSpecialTokens:)``.
    public func encodeIDs(_ input: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], scratch: inout Scratch,
                          options: EncodeOptions) throws(TokkiError) {
        try options.check(.postProcessor)
        try encodeIDs(input, into: &ids, scratch: &scratch, addSpecialTokens: options.addSpecialTokens)
    }

    /// ``encodeBatch(_:pairs:addSpecialTokens:threads:)``: the batch is padded together.
    public func encodeBatch(_ texts: [String], options: EncodeOptions, threads: Int?) throws(TokkiError) -> [Encoding] {
        try options.check(.postProcessor)
        return try encodeBatch(texts, pairs: nil, addSpecialTokens: options.addSpecialTokens, threads: threads)
    }
}
