import ArgumentParser
import Foundation
import Tokki
import TokkiObjectives

/// What `tokki batch` and `tokki prepare` need from a model: special ids, token texts (for
/// word-start markers) and a per-thread encoder of plain text to ids without special tokens.
struct BatchVocabulary: Sendable {
    let model: CLIModel
    let tokens: SpecialTokens
    /// Token text per id (empty where unknown).
    let pieces: [String]

    /// Token names tried, in order, for each role when no override is given.
    static let bosNames = ["<s>", "[CLS]", "<|begin_of_text|>", "<|startoftext|>", "<bos>", "<|im_start|>"]
    static let eosNames = ["</s>", "[SEP]", "<|endoftext|>", "<|end_of_text|>", "<eos>", "<|eot_id|>"]
    static let padNames = ["<pad>", "[PAD]", "<|pad|>", "<|padding|>"]
    static let maskNames = ["<mask>", "[MASK]", "<|mask|>"]

    /// Builds the table; `overrides` maps a role (bos, eos, pad, mask) to a token text.
    init(_ model: CLIModel, overrides: [String: String]) throws(ExitCode) {
        self.model = model
        let size = model.vocabularySize
        var special = Set<Int32>()
        var pieces = [String](repeating: "", count: size)
        let lookup: @Sendable (String) -> Int32?
        var bos: Int32?, eos: Int32?, pad: Int32?
        switch model {
        case .sentencePiece(let t):
            for (i, p) in t.model.pieces.enumerated() {
                pieces[i] = p.piece
                if p.type == .control || p.type == .unknown { special.insert(Int32(i)) }
            }
            lookup = { t.id(for: $0).map(Int32.init) }
            bos = t.bosID.map(Int32.init); eos = t.eosID.map(Int32.init); pad = t.padID.map(Int32.init)
        case .huggingFace(let t):
            for i in 0..<size { pieces[i] = t.token(for: i) ?? "" }
            for a in t.addedTokens where a.special { special.insert(Int32(a.id)) }
            lookup = { t.id(for: $0).map(Int32.init) }
            if let p = t.padding { pad = Int32(p.padID) }
        case .tiktoken(let t):
            for (name, id) in t.specialTokens { special.insert(Int32(id)); if id < size { pieces[id] = name } }
            let table = t.specialTokens
            lookup = { table[$0].map(Int32.init) }
        case .tekken(let t):
            for (i, name) in t.specialTokens.enumerated() { special.insert(Int32(i)); pieces[i] = name }
            let names = t.specialTokens
            lookup = { names.firstIndex(of: $0).map(Int32.init) }
            bos = t.bosID.map(Int32.init); eos = t.eosID.map(Int32.init)
        }
        func find(_ role: String, _ names: [String], _ current: Int32?) throws(ExitCode) -> Int32? {
            if let name = overrides[role], name.hasPrefix("id:") {
                guard let id = Int32(name.dropFirst(3)), id >= 0, Int(id) < size else {
                    throw fail(.usage, "--\(role)-token '\(name)': expected id:N with N from 0 to \(size - 1)")
                }
                return id
            }
            if let name = overrides[role] {
                guard let id = lookup(name) else { throw fail(.usage, "--\(role)-token '\(name)' is not in the vocabulary") }
                return id
            }
            if let current { return current }
            for n in names { if let id = lookup(n) { return id } }
            return nil
        }
        bos = try find("bos", Self.bosNames, bos)
        eos = try find("eos", Self.eosNames, eos)
        pad = try find("pad", Self.padNames, pad)
        let mask = try find("mask", Self.maskNames, nil)
        for id in [bos, eos, pad, mask].compactMap({ $0 }) { special.insert(id) }
        tokens = SpecialTokens(vocabularySize: size, special: special, pad: pad, bos: bos, eos: eos, mask: mask, lookup: lookup)
        self.pieces = pieces
    }

    /// A word-start table from the token texts: for a WordPiece tokenizer.json a token without
    /// the continuing prefix (`##`) begins a word; otherwise a token beginning with `▁`
    /// (SentencePiece, Metaspace), `Ġ` (byte-level BPE) or a space does.
    func wordStarts() -> [Bool] {
        if case .huggingFace(let t) = model, let prefix = t.wordPiecePrefix {
            return WordUnits.wordPieceStarts(pieces, prefix: prefix)
        }
        return pieces.map { p in
            p.hasPrefix("\u{2581}") || p.hasPrefix("\u{0120}") || p.hasPrefix(" ") || p.isEmpty
        }
    }

    /// A new encoder for one thread. With `wordIDs`, documents carry word ids from offsets
    /// (tokenizer.json and SentencePiece models only).
    func makeEncoder(wordIDs: Bool) -> (UnsafeBufferPointer<UInt8>) throws(TokkiError) -> Document {
        var model = self.model
        if case .huggingFace(var t) = model {
            t.truncation = nil
            t.padding = nil
            model = .huggingFace(t)
        }
        if wordIDs {
            switch model {
            case .sentencePiece(let t):
                return { line throws(TokkiError) in
                    let e = t.encode(bytes: line)
                    return Document(ids: e.ids.map(Int32.init), wordIDs: WordUnits.fromOffsets(e.offsets, text: Array(line)))
                }
            case .huggingFace(let t):
                return { line throws(TokkiError) in
                    let e = try t.encode(String(decoding: line, as: UTF8.self), addSpecialTokens: false)
                    return Document(ids: e.ids.map(Int32.init), wordIDs: WordUnits.fromOffsets(e.offsets, text: Array(line)))
                }
            case .tiktoken, .tekken:
                break   // no offsets: the commands refuse --whole-word for them before encoding
            }
        }
        let encode = model.makeIDEncoder()
        return { line throws(TokkiError) in
            var ids: [Int32] = []
            try encode(line, &ids)
            return Document(ids: ids)
        }
    }
}

/// Encodes `lines` on up to `workers` threads, keeping the order.
func encodeDocuments(_ lines: [[UInt8]], vocabulary: BatchVocabulary, wordIDs: Bool, workers: Int) throws(ExitCode) -> [Document] {
    var results = [Result<Document, TokkiError>](repeating: .success(Document(ids: [])), count: lines.count)
    results.withUnsafeMutableBufferPointer { out in
        parallelRanges(lines.count, threads: workers) { range in
            let encode = vocabulary.makeEncoder(wordIDs: wordIDs)
            for k in range {
                do throws(TokkiError) {
                    out[k] = .success(try lines[k].withUnsafeBufferPointer { (b) throws(TokkiError) in try encode(b) })
                } catch { out[k] = .failure(error) }
            }
        }
    }
    var docs: [Document] = []
    docs.reserveCapacity(lines.count)
    for r in results {
        switch r {
        case .success(let d): docs.append(d)
        case .failure(let e): throw fail(e)
        }
    }
    return docs
}
