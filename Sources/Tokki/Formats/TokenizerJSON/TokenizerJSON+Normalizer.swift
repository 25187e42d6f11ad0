extension TokenizerJSON {
    /// A `normalizer` object: its `"type"` picks the variant, which reads its own fields.
    static func readNormalizer(_ v: JSONValue) throws(TokkiError) -> any Normalizer {
        let t = try type(v)
        switch t {
        case "NFC": return try CharacterAlignedNormalizer(.nfc)
        case "NFD": return try CharacterAlignedNormalizer(.nfd)
        case "NFKC": return try CharacterAlignedNormalizer(.nfkc)
        case "NFKD": return try CharacterAlignedNormalizer(.nfkd)
        case "Lowercase": return Lowercase()
        case "StripAccents": return StripAccents()
        case "Strip": return try Strip(json: v)
        case "Prepend": return try Prepend(json: v)
        case "Replace": return try Replace(json: v)
        case "BertNormalizer": return try BertNormalizer(json: v)
        case "ByteLevel": return NormalizerSequence([])
        case "Precompiled": return try PrecompiledNormalizer(json: v) ?? NormalizerSequence([])
        case "Sequence":
            var stages: [any Normalizer] = []
            for item in try v.required("normalizers").array() { stages.append(try readNormalizer(item)) }
            return NormalizerSequence(stages)
        default: throw unsupported(v, "normalizer", t)
        }
    }
}
