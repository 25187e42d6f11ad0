extension SentencePieceTokenizer: Tokenizer {
    /// Fresh working memory, with word caches (worth it when reused across calls).
    public func makeScratch() -> Scratch { Scratch() }

    /// The piece of `id` (as ``piece(for:)``).
    public func token(for id: Int) -> String? { piece(for: id) }

    /// The control pieces and the unknown piece.
    public var specialTokenIDs: [Int] {
        vocabulary.types.indices.filter { vocabulary.types[$0] == .control || vocabulary.types[$0] == .unknown }
    }

    /// The model's BOS, EOS, PAD and unknown ids.
    public var specialTokenRoles: SpecialTokenRoles {
        SpecialTokenRoles(bos: bosID, eos: eosID, pad: padID, unknown: unknownID)
    }

    /// Any piece's id (control and user-defined pieces are vocabulary entries).
    public func specialTokenID(for token: String) -> Int? { id(for: token) }

    /// ``SpecialTokenPolicy/bosEOS``.
    public var specialTokenPolicy: SpecialTokenPolicy { .bosEOS }

    /// True: malformed UTF-8 becomes U+FFFD, as in the reference.
    public var acceptsMalformedUTF8: Bool { true }

    /// ``encode(_:addBOS:addEOS:)`` (`addSpecialTokens` adds both BOS and EOS).
    public func encode(_ text: String, options: EncodeOptions) throws(TokkiError) -> Encoding {
        encode(text, addBOS: options.bos, addEOS: options.eos)
    }

    /// ``encode(bytes:addBOS:addEOS:)``: any bytes, offsets into `input`.
    public func encode(bytes input: UnsafeBufferPointer<UInt8>, options: EncodeOptions) throws(TokkiError) -> Encoding {
        encode(bytes: input, addBOS: options.bos, addEOS: options.eos)
    }

    /// ``encodeIDs(_:into:scratch:addBOS:addEOS:)`` (`addSpecialTokens` adds both BOS and EOS).
    public func encodeIDs(_ input: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], scratch: inout Scratch,
                          options: EncodeOptions) throws(TokkiError) {
        encodeIDs(input, into: &ids, scratch: &scratch, addBOS: options.bos, addEOS: options.eos)
    }

    /// ``decode(_:)``: control pieces are always left out, as the reference does.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) throws(TokkiError) -> String {
        try decode(ids)
    }
}
