extension TokenizerJSON {
    /// A `decoder` object: its `"type"` picks the variant, which reads its own fields.
    static func readDecoder(_ v: JSONValue) throws(TokkiError) -> any TokenDecoder {
        let t = try type(v)
        switch t {
        case "ByteLevel": return ByteLevelDecoder()
        case "Metaspace": return try MetaspaceDecoder(json: v)
        case "WordPiece": return try WordPieceDecoder(json: v)
        case "BPEDecoder": return try BPESuffixDecoder(json: v)
        case "ByteFallback": return ByteFallbackDecoder()
        case "Fuse": return FuseDecoder()
        case "Strip": return try StripDecoder(json: v)
        case "Replace": return try ReplaceDecoder(json: v)
        case "CTC": return try CTCDecoder(json: v)
        case "Sequence":
            var stages: [any TokenDecoder] = []
            for item in try v.required("decoders").array() { stages.append(try readDecoder(item)) }
            return DecoderSequence(stages)
        default: throw unsupported(v, "decoder", t)
        }
    }

    /// A one-character string field, as its scalar.
    static func scalar(_ v: JSONValue) throws(TokkiError) -> Unicode.Scalar {
        let s = try v.string()
        guard s.unicodeScalars.count == 1, let c = s.unicodeScalars.first else { throw v.error("expected one character") }
        return c
    }
}
