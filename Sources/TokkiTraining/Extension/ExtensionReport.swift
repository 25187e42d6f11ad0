import Tokki

/// What an extension changed on held-out text: Korean tokens per character before and
/// after, and how many lines without Hangul keep exactly their ids.
public struct ExtensionReport: Sendable, Equatable {
    /// Lines holding Hangul.
    public var koreanLines = 0
    /// Their characters (Unicode scalars).
    public var koreanCharacters = 0
    /// Their tokens with the base and with the extended tokenizer.
    public var baseTokens = 0, extendedTokens = 0
    /// Their unknown tokens with the base and with the extended tokenizer (a base that does
    /// not know a script may give few tokens per character, but unknown ones).
    public var baseUnknown = 0, extendedUnknown = 0
    /// Lines with a Latin letter and no Hangul ("English" lines), and those whose ids are
    /// the same with both tokenizers.
    public var otherLines = 0, unchangedOtherLines = 0

    /// Korean tokens per character with the base.
    public var baseTokensPerCharacter: Double { koreanCharacters == 0 ? 0 : Double(baseTokens) / Double(koreanCharacters) }
    /// Korean tokens per character with the extension.
    public var extendedTokensPerCharacter: Double { koreanCharacters == 0 ? 0 : Double(extendedTokens) / Double(koreanCharacters) }
    /// The share of Korean tokens the extension saves.
    public var reduction: Double { baseTokens == 0 ? 0 : 1 - Double(extendedTokens) / Double(baseTokens) }
    /// The share of lines without Hangul whose ids did not change (1 when there are none).
    public var unchangedShare: Double { otherLines == 0 ? 1 : Double(unchangedOtherLines) / Double(otherLines) }

    /// An empty report.
    public init() {}

    /// Adds one line (UTF-8, without its line end).
    public mutating func add(_ line: UnsafeBufferPointer<UInt8>, base: any Tokenizer, extended: any Tokenizer) throws(TokkiError) {
        var hangul = false, latin = false, characters = 0
        for s in String(decoding: line, as: UTF8.self).unicodeScalars {
            characters += 1
            if VocabularyExtender.isHangul(s.value) { hangul = true }
            if (0x41...0x5A).contains(s.value) || (0x61...0x7A).contains(s.value) { latin = true }
        }
        guard hangul || latin else { return }
        let a = try ids(line, base), b = try ids(line, extended)
        if hangul {
            koreanLines += 1
            koreanCharacters += characters
            baseTokens += a.count
            extendedTokens += b.count
            if let u = base.specialTokenRoles.unknown { baseUnknown += a.lazy.filter { $0 == Int32(u) }.count }
            if let u = extended.specialTokenRoles.unknown { extendedUnknown += b.lazy.filter { $0 == Int32(u) }.count }
        } else {
            otherLines += 1
            if a == b { unchangedOtherLines += 1 }
        }
    }

    private func ids<T: Tokenizer>(_ line: UnsafeBufferPointer<UInt8>, _ tokenizer: T) throws(TokkiError) -> [Int32] {
        var out: [Int32] = []
        var scratch = tokenizer.makeScratch()
        try tokenizer.encodeIDs(line, into: &out, scratch: &scratch, options: EncodeOptions())
        return out
    }
}
