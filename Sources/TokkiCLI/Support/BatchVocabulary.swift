import ArgumentParser
import Foundation
import Tokki
import TokkiObjectives

/// What `tokki batch` and `tokki prepare` need from a model: special ids, token texts (for
/// word-start markers) and a per-thread encoder of plain text to ids without special tokens.
struct BatchVocabulary: Sendable {
    /// The tokenizer, without stored truncation and padding (the objectives cut and pad).
    let model: any Tokenizer
    let tokens: SpecialTokens

    /// Token names tried, in order, for each role when no override is given.
    static let bosNames = ["<s>", "[CLS]", "<|begin_of_text|>", "<|startoftext|>", "<bos>", "<|im_start|>"]
    static let eosNames = ["</s>", "[SEP]", "<|endoftext|>", "<|end_of_text|>", "<eos>", "<|eot_id|>"]
    static let padNames = ["<pad>", "[PAD]", "<|pad|>", "<|padding|>"]
    static let maskNames = ["<mask>", "[MASK]", "<|mask|>"]

    /// Builds the table; `overrides` maps a role (bos, eos, pad, mask) to a token text.
    init(_ model: any Tokenizer, overrides: [String: String]) throws(ExitCode) {
        self.model = model.withoutStoredTruncationAndPadding()
        let size = model.vocabularySize
        var special = Set(model.specialTokenIDs.map(Int32.init))
        let lookup: @Sendable (String) -> Int32? = { model.specialTokenID(for: $0).map(Int32.init) }
        let roles = model.specialTokenRoles
        func find(_ role: String, _ names: [String], _ current: Int?) throws(ExitCode) -> Int32? {
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
            if let current { return Int32(current) }
            for n in names { if let id = lookup(n) { return id } }
            return nil
        }
        let bos = try find("bos", Self.bosNames, roles.bos)
        let eos = try find("eos", Self.eosNames, roles.eos)
        let pad = try find("pad", Self.padNames, roles.pad)
        let mask = try find("mask", Self.maskNames, nil)
        for id in [bos, eos, pad, mask].compactMap({ $0 }) { special.insert(id) }
        tokens = SpecialTokens(vocabularySize: size, special: special, pad: pad, bos: bos, eos: eos, mask: mask, lookup: lookup)
    }

    /// A word-start table from the token texts: for a WordPiece tokenizer.json a token without
    /// the continuing prefix (`##`) begins a word; otherwise a token beginning with `▁`
    /// (SentencePiece, Metaspace), `Ġ` (byte-level BPE) or a space (tiktoken, Tekken) does.
    func wordStarts() -> [Bool] {
        // Token texts are built only here (markers mode), not for every batch or prepare run.
        let pieces = (0..<model.vocabularySize).map { model.token(for: $0) ?? "" }
        if let prefix = model.continuingSubwordPrefix {
            return WordUnits.wordPieceStarts(pieces, prefix: prefix)
        }
        return pieces.map { p in
            p.hasPrefix("\u{2581}") || p.hasPrefix("\u{0120}") || p.hasPrefix(" ") || p.isEmpty
        }
    }

    /// A new encoder for one thread. With `wordIDs`, documents carry word ids from the
    /// tokens' byte offsets.
    func makeEncoder(wordIDs: Bool) -> (UnsafeBufferPointer<UInt8>) throws(TokkiError) -> Document {
        let model = self.model
        if wordIDs {
            return { line throws(TokkiError) in
                let e = try model.encode(bytes: line, options: EncodeOptions())
                return Document(ids: e.ids.map(Int32.init), wordIDs: WordUnits.fromOffsets(e.offsets, text: Array(line)))
            }
        }
        let encoder = model.makeIDEncoder()
        return { line throws(TokkiError) in
            var ids: [Int32] = []
            try encoder.append(line, to: &ids)
            return Document(ids: ids)
        }
    }
}

/// One encoder per worker thread (``OrderedWorkers``), each keeping its word caches from
/// one batch of documents to the next.
final class DocumentEncoder: @unchecked Sendable {
    private let encoders: [(UnsafeBufferPointer<UInt8>) throws(TokkiError) -> Document]
    let workers: Int
    /// A batch of documents (one job) ends after this many documents or bytes.
    static let batchDocuments = 1024
    static let batchBytes = 1 << 18

    init(_ vocabulary: BatchVocabulary, wordIDs: Bool, workers: Int) {
        self.workers = max(1, workers)
        encoders = (0..<self.workers).map { _ in vocabulary.makeEncoder(wordIDs: wordIDs) }
    }

    /// The documents of `lines`, encoded with worker `worker`'s encoder, or the first error
    /// (in line order). One worker's encoder is used by one thread at a time.
    func encode(_ lines: [[UInt8]], worker: Int) -> Result<[Document], TokkiError> {
        let encode = encoders[worker]
        var docs: [Document] = []
        docs.reserveCapacity(lines.count)
        for line in lines {
            do throws(TokkiError) {
                docs.append(try line.withUnsafeBufferPointer { (b) throws(TokkiError) in try encode(b) })
            } catch { return .failure(error) }
        }
        return .success(docs)
    }
}
