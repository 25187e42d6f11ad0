extension TiktokenTokenizer: Tokenizer {
    /// Fresh working memory.
    public func makeScratch() -> HuggingFaceTokenizer.Scratch { HuggingFaceTokenizer.Scratch() }

    /// The rank of a token's bytes, or a special token's id.
    public func id(for token: String) -> Int? {
        if let id = specialTokens[token] { return id }
        return ranks.tokenTable.id(Array(token.utf8)).map(Int.init)
    }

    /// A rank's bytes as text (invalid UTF-8 replaced by U+FFFD), or a special token's text.
    public func token(for id: Int) -> String? {
        if ranks.tokenTable.contains(id) { return String(decoding: ranks.tokenTable.bytes(of: id), as: UTF8.self) }
        return specialTokens.first { $0.value == id }?.key
    }

    /// The special tokens' ids.
    public var specialTokenIDs: [Int] { specialTokens.values.sorted() }

    /// None: tiktoken assigns no roles.
    public var specialTokenRoles: SpecialTokenRoles { SpecialTokenRoles() }

    /// A special token's id (ordinary tokens are byte strings, not names).
    public func specialTokenID(for token: String) -> Int? { specialTokens[token] }

    /// ``SpecialTokenPolicy/none``: special tokens are only given by id.
    public var specialTokenPolicy: SpecialTokenPolicy { .none }

    /// False: the input must be well-formed UTF-8.
    public var acceptsMalformedUTF8: Bool { false }

    /// ``encodeWithOffsets(_:)`` (as `encode_ordinary`, with token texts and offsets).
    public func encode(_ text: String, options: EncodeOptions) throws(TokkiError) -> Encoding {
        try options.check(.none)
        return try encodeWithOffsets(text)
    }

    /// ``encodeOrdinary(_:into:scratch:)``.
    public func encodeIDs(_ input: UnsafeBufferPointer<UInt8>, into ids: inout [Int32],
                          scratch: inout HuggingFaceTokenizer.Scratch, options: EncodeOptions) throws(TokkiError) {
        try options.check(.none)
        try encodeOrdinary(input, into: &ids, scratch: &scratch)
    }

    /// ``decode(_:)``, leaving out the special tokens when `skipSpecialTokens` (tiktoken's own
    /// `decode` keeps their text).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) throws(TokkiError) -> String {
        guard skipSpecialTokens else { return try decode(ids) }
        for id in ids where !ranks.tokenTable.contains(id) && !specialTokens.values.contains(id) {
            throw .invalidID(id, vocabularySize: vocabularySize)
        }
        return try decode(ids.filter { ranks.tokenTable.contains($0) })
    }
}

extension TekkenTokenizer: Tokenizer {
    /// Fresh working memory.
    public func makeScratch() -> HuggingFaceTokenizer.Scratch { HuggingFaceTokenizer.Scratch() }

    /// A special token's id, or an ordinary token's (its rank shifted past the special ids).
    public func id(for token: String) -> Int? {
        if let k = specialTokens.firstIndex(of: token) { return k }
        return inner.ranks.tokenTable.id(Array(token.utf8)).map { Int($0) + specialTokens.count }
    }

    /// A special token's text, or an ordinary token's bytes as text (invalid UTF-8 replaced
    /// by U+FFFD).
    public func token(for id: Int) -> String? {
        guard id >= 0 && id < vocabularySize else { return nil }
        if id < specialTokens.count { return specialTokens[id] }
        return String(decoding: inner.ranks.tokenTable.bytes(of: id - specialTokens.count), as: UTF8.self)
    }

    /// The reserved ids `0..<specialTokens.count`.
    public var specialTokenIDs: [Int] { Array(specialTokens.indices) }

    /// BOS (`<s>`), EOS (`</s>`), PAD (`<pad>`) and unknown (`<unk>`), where listed.
    public var specialTokenRoles: SpecialTokenRoles {
        SpecialTokenRoles(bos: bosID, eos: eosID, pad: specialTokens.firstIndex(of: "<pad>"), unknown: specialTokens.firstIndex(of: "<unk>"))
    }

    /// A special token's id (ordinary tokens are byte strings, not names).
    public func specialTokenID(for token: String) -> Int? { specialTokens.firstIndex(of: token) }

    /// Decodes ids leaving out special tokens (`mistral_common`'s default).
    public func decode(_ ids: [Int]) throws(TokkiError) -> String { try decode(ids, skipSpecialTokens: true) }

    /// ``SpecialTokenPolicy/bosEOS``.
    public var specialTokenPolicy: SpecialTokenPolicy { .bosEOS }

    /// False: the input must be well-formed UTF-8.
    public var acceptsMalformedUTF8: Bool { false }

    /// ``encodeWithOffsets(_:addBOS:addEOS:)`` (`addSpecialTokens` adds both BOS and EOS).
    public func encode(_ text: String, options: EncodeOptions) throws(TokkiError) -> Encoding {
        try encodeWithOffsets(text, addBOS: options.bos, addEOS: options.eos)
    }

    /// The ordinary ids of `input` shifted past the special ids, with BOS/EOS as asked.
    public func encodeIDs(_ input: UnsafeBufferPointer<UInt8>, into ids: inout [Int32],
                          scratch: inout HuggingFaceTokenizer.Scratch, options: EncodeOptions) throws(TokkiError) {
        if options.bos, let b = bosID { ids.append(Int32(b)) }
        let first = ids.count
        try inner.encodeOrdinary(input, into: &ids, scratch: &scratch)
        let shift = Int32(specialTokens.count)
        for k in first..<ids.count { ids[k] += shift }
        if options.eos, let e = eosID { ids.append(Int32(e)) }
    }
}
