import Foundation

extension HuggingFaceTokenizer {
    /// Loads a GPT-2-style byte-level BPE from `vocab.json` (token → id) and `merges.txt`
    /// (`#version` header, then one `a b` merge per line), set up as `tokenizers`'
    /// `ByteLevelBPETokenizer` for GPT-2: ByteLevel pre-tokenizer without a prefix space,
    /// ByteLevel decoder, `<|endoftext|>` as a special token when the vocabulary has it.
    ///
    /// - Throws: ``TokkiError/invalidModel(path:problem:)`` naming the file and line of a
    ///   malformed merge or a merge of unknown tokens.
    public init(vocabulary vocabURL: URL, merges mergesURL: URL) throws(TokkiError) {
        let doc = try JSONDocument(source: try mapFileBytes(vocabURL.path), path: vocabURL.path)
        let tokens = try TokenizerJSON.vocabularyObject(doc.root, path: vocabURL.path)
        let text = try readFileBytes(mergesURL.path)
        var merges: [(Int32, Int32)] = []
        var line = 0, start = 0
        while start < text.count {
            var end = start
            while end < text.count && text[end] != 0x0A { end += 1 }
            line += 1
            var content = text[start..<end]
            if content.last == 0x0D { content = content.dropLast() }
            start = end + 1
            if content.isEmpty || (line == 1 && content.starts(with: Array("#version".utf8))) { continue }
            guard let space = content.firstIndex(of: 0x20), !content[(space + 1)...].contains(0x20) else {
                throw .invalidModel(path: mergesURL.path, problem: "line \(line): expected two tokens separated by one space")
            }
            let a = Array(content[..<space]), b = Array(content[(space + 1)...])
            guard let ia = tokens.id(a), let ib = tokens.id(b) else {
                let missing = tokens.id(a) == nil ? a : b
                throw .invalidModel(path: mergesURL.path, problem: "line \(line): merge names '\(String(decoding: missing, as: UTF8.self))', which is not in \(vocabURL.lastPathComponent)")
            }
            merges.append((ia, ib))
        }
        let model = try BPEModel(tokens: tokens, merges: merges, options: BPEModel.Options(), byteLevel: true, path: mergesURL.path)
        var added: [AddedToken] = []
        if let eot = tokens.id(Array("<|endoftext|>".utf8)) {
            added.append(AddedToken(id: Int(eot), content: "<|endoftext|>", normalized: false, special: true))
        }
        try self.init(normalizer: nil, preTokenizer: try ByteLevel(addPrefixSpace: false, useRegex: true), model: model, byteLevel: true,
                      postProcessor: ByteLevelPostProcessor(trimOffsets: false, addPrefixSpace: true), decoder: ByteLevelDecoder(),
                      addedTokens: added, path: vocabURL.path)
    }
}
