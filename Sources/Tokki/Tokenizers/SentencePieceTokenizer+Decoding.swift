extension SentencePieceTokenizer {
    /// Decodes ids to text exactly as the reference: `▁` → space, the first piece's leading
    /// space dropped, control pieces dropped, the unknown piece → ` ⁇ `, byte pieces
    /// reassembled (malformed UTF-8 → U+FFFD).
    ///
    /// - Throws: ``TokkiError/invalidID(_:vocabularySize:)`` for an id outside the vocabulary.
    public func decode(_ ids: [Int]) throws(TokkiError) -> String {
        let size = vocabulary.count
        for id in ids where id < 0 || id >= size { throw .invalidID(id, vocabularySize: size) }
        var text: [UInt8] = []
        var pendingBytes: [UInt8] = []
        let unkSurface = Array(model.unknownSurface.utf8)
        let stripLeading = model.normalizer.addDummyPrefix || model.normalizer.removeExtraWhitespaces
        let removeExtra = model.normalizer.removeExtraWhitespaces
        var isBosWS = true
        var bosWSSeen = false

        func flushBytes() {
            guard !pendingBytes.isEmpty else { return }
            pendingBytes.withUnsafeBufferPointer { b in
                let n = b.count
                var i = 0
                while i < n {
                    if let len = SentencePieceNormalizer.validCharLength(b.baseAddress!, i, n) {
                        text.append(contentsOf: b[i..<(i + len)]); i += len
                    } else {
                        text.append(contentsOf: [0xEF, 0xBF, 0xBD]); i += 1
                    }
                }
            }
            pendingBytes.removeAll(keepingCapacity: true)
        }

        for id in ids {
            let type = vocabulary.types[id]
            if type == .byte {
                if let b = SentencePieceModel.byteValue(of: vocabulary.piece(id)) { pendingBytes.append(b) }
                continue
            }
            flushBytes()
            if bosWSSeen || !text.isEmpty { isBosWS = false }
            switch type {
            case .control:
                bosWSSeen = false
            case .unknown:
                text.append(contentsOf: unkSurface)
                bosWSSeen = false
            default:
                var piece = vocabulary.bytes(of: id)
                var hasBosWS = false
                if isBosWS && stripLeading {
                    if piece.starts(with: [0xE2, 0x96, 0x81]) {
                        piece = piece.dropFirst(3)
                        hasBosWS = true
                    }
                    if removeExtra { hasBosWS = false }
                }
                var k = piece.startIndex
                while k < piece.endIndex {
                    if piece[k] == 0xE2 && k + 2 < piece.endIndex && piece[k + 1] == 0x96 && piece[k + 2] == 0x81 {
                        text.append(0x20); k += 3
                    } else {
                        text.append(piece[k]); k += 1
                    }
                }
                bosWSSeen = hasBosWS
            }
        }
        flushBytes()
        if let denormalizer {
            var out = SentencePieceNormalizer.Output()
            text.withUnsafeBufferPointer { denormalizer.normalize($0, into: &out) }
            return String(decoding: out.bytes, as: UTF8.self)
        }
        return String(decoding: text, as: UTF8.self)
    }
}
