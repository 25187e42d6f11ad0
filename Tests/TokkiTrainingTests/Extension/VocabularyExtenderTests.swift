import Foundation
import Testing
import Tokki
@testable import TokkiTraining
import TokkiTestSupport

@Suite("vocabulary extension")
struct VocabularyExtenderTests {
    static let sample = Fixtures.url("text/korean-sample.txt").path
    static let english = [
        "The quick brown fox jumps over the lazy dog.",
        "Licensed under the Apache License, Version 2.0 (the \"License\"); you may not use this file except in compliance.",
        "Section 3(b): any person who violates subsection (a) shall be fined not more than $1,000.",
        "naïve café — “quoted” text, 2024-05-01, x^2 + y^2 = z^2",
    ]

    static func extend(_ model: String, add: Int = 60, _ configure: (inout VocabularyExtender.Configuration) -> Void = { _ in },
                       input: String = sample) throws -> VocabularyExtender.Result {
        var c = VocabularyExtender.Configuration()
        c.add = add
        c.threads = 2
        configure(&c)
        return try VocabularyExtender(c).extend(model: model, corpus: CorpusOptions(inputs: [input]))
    }

    static func ids(_ tokenizer: some Tokenizer, _ text: String) throws -> [Int] {
        try tokenizer.encode(text, options: EncodeOptions()).ids
    }

    /// Korean text takes fewer tokens with the extension, and most new pieces are used on it.
    static func expectFewerTokensAndUsedPieces(_ before: some Tokenizer, _ after: some Tokenizer, _ r: VocabularyExtender.Result) throws {
        var a = 0, b = 0
        var used = Set<Int>()
        for line in try koreanLines() {
            a += try ids(before, line).count
            let ids = try ids(after, line)
            b += ids.count
            used.formUnion(ids)
        }
        #expect(b < a)
        #expect(r.newPieces.filter { used.contains($0.id) }.count * 10 >= r.newPieces.count * 7)
    }

    static func koreanLines() throws -> [String] {
        try String(contentsOf: URL(fileURLWithPath: sample), encoding: .utf8).split(separator: "\n").map(String.init)
            .filter { VocabularyExtender.holdsHangul(Array($0.utf8)) }
    }

    @Test("SentencePiece BPE: old ids kept, new Hangul pieces reachable and used", arguments: ["bpe_nfkc_bf", "bpe_identity", "bpe_split_digits"])
    func sentencePieceBPE(_ name: String) throws {
        let path = Fixtures.url("sentencepiece/\(name).model").path
        let base = try SentencePieceModel(contentsOf: URL(fileURLWithPath: path))
        let r = try Self.extend(path) { $0.reserve = 2 }
        let model = try #require(r.model)
        #expect(model.pieces.count == base.pieces.count + 62)
        #expect(Array(model.pieces.prefix(base.pieces.count)) == base.pieces)
        #expect(model.normalizer == base.normalizer && model.byteFallback == base.byteFallback)
        let lowest = base.pieces.filter { $0.type == .normal }.map(\.score).min() ?? 0
        var previous = lowest
        for p in r.newPieces {
            let piece = model.pieces[p.id]
            #expect(piece.piece == p.piece && piece.type == .normal)
            #expect(piece.score < previous)
            previous = piece.score
            #expect(VocabularyExtender.holdsHangul(Array(p.piece.utf8)), "\(p.piece)")
            // The base ids spell the piece (the unknown piece stands for characters a base
            // without byte fallback does not know).
            if p.baseIDs.contains(base.unknownID) { continue }
            var spelled: [UInt8] = []
            for id in p.baseIDs {
                let b = base.pieces[id]
                if b.type == .byte, let v = UInt8(b.piece.dropFirst(3).dropLast(), radix: 16) { spelled.append(v) } else { spelled += Array(b.piece.utf8) }
            }
            #expect(spelled == Array(p.piece.utf8), "\(p.piece)")
        }
        #expect(r.reserved.map(\.id) == [base.pieces.count + 60, base.pieces.count + 61])
        #expect(r.reserved.allSatisfy { model.pieces[$0.id].type == .userDefined })

        let before = try SentencePieceTokenizer(model: base), after = try SentencePieceTokenizer(model: model)
        // Text without Hangul keeps its ids.
        for line in Self.english { #expect(try Self.ids(before, line) == Self.ids(after, line), "\(line)") }
        // A piece starting a word is what its own text encodes to (it is reachable).
        for p in r.newPieces where p.piece.hasPrefix("▁") {
            #expect(try Self.ids(after, String(p.piece.dropFirst())) == [p.id], "\(p.piece)")
        }
        try Self.expectFewerTokensAndUsedPieces(before, after, r)
        // Round trip through the file format.
        let reread = try SentencePieceModel(serialized: try model.serialized())
        #expect(reread.pieces == model.pieces)
    }

    @Test("SentencePiece unigram: old pieces keep their scores, new ones are used", arguments: ["unigram_nfkc_bf", "unigram_identity"])
    func sentencePieceUnigram(_ name: String) throws {
        let path = Fixtures.url("sentencepiece/\(name).model").path
        let base = try SentencePieceModel(contentsOf: URL(fileURLWithPath: path))
        let r = try Self.extend(path, add: 80) { $0.reserve = 1 }
        let model = try #require(r.model)
        #expect(model.modelType == .unigram)
        #expect(model.pieces.count == base.pieces.count + 81)
        #expect(Array(model.pieces.prefix(base.pieces.count)) == base.pieces)
        let before = try SentencePieceTokenizer(model: base), after = try SentencePieceTokenizer(model: model)
        for p in r.newPieces {
            #expect(model.pieces[p.id].piece == p.piece && model.pieces[p.id].score.isFinite && model.pieces[p.id].score < 0)
            #expect(VocabularyExtender.holdsHangul(Array(p.piece.utf8)), "\(p.piece)")
            // The base ids are the base's own segmentation of the piece.
            if p.piece.hasPrefix("▁") { #expect(try Self.ids(before, String(p.piece.dropFirst())) == p.baseIDs, "\(p.piece)") }
        }
        for line in Self.english { #expect(try Self.ids(before, line) == Self.ids(after, line), "\(line)") }
        try Self.expectFewerTokensAndUsedPieces(before, after, r)
        #expect(try Self.extend(path, add: 80) { $0.threads = 1 }.newPieces == r.newPieces)
    }

    @Test("CRLF input and thread counts give the same pieces")
    func crlfAndThreads() throws {
        let path = Fixtures.url("sentencepiece/bpe_nfkc_bf.model").path
        let lf = try Self.extend(path)
        let text = try String(contentsOf: URL(fileURLWithPath: Self.sample), encoding: .utf8)
        let crlf = FileManager.default.temporaryDirectory.appendingPathComponent("tokki-extend-crlf-\(getpid()).txt")
        defer { try? FileManager.default.removeItem(at: crlf) }
        try text.replacingOccurrences(of: "\n", with: "\r\n").write(to: crlf, atomically: true, encoding: .utf8)
        #expect(try Self.extend(path, input: crlf.path).newPieces == lf.newPieces)
        #expect(try Self.extend(path) { $0.threads = 1 }.newPieces == lf.newPieces)
    }

    @Test("tokenizer.json BPE: old ids kept, new tokens load at their ids", arguments: ["bytelevel_bpe", "metaspace_bpe_bf", "bytelevel_bpe_nfkc_split"])
    func huggingFaceBPE(_ name: String) throws {
        let path = Fixtures.url("hf/\(name).json").path
        let before = try HuggingFaceTokenizer(json: try Array(Data(contentsOf: URL(fileURLWithPath: path))), path: path)
        let r = try Self.extend(path) { $0.reserve = 1 }
        let after = try HuggingFaceTokenizer(json: try #require(r.tokenizerJSON))
        #expect(r.baseVocabularySize == before.vocabularySize)
        #expect(after.vocabularySize == before.vocabularySize + 61)
        for id in 0..<before.vocabularySize { #expect(after.token(for: id) == before.token(for: id)) }
        let byteLevel = try #require(before.bpeModel).byteLevel
        for p in r.newPieces {
            #expect(after.id(for: p.piece) == p.id)
            // The base ids spell the piece.
            #expect(p.baseIDs.compactMap { before.token(for: $0) }.joined() == p.piece || !byteLevel && p.baseIDs.contains { before.token(for: $0)?.hasPrefix("<0x") == true })
        }
        #expect(after.id(for: "<reserved_0>") == r.reserved.first?.id)
        for line in Self.english {
            #expect(try before.encode(line, addSpecialTokens: false).ids == after.encode(line, addSpecialTokens: false).ids, "\(line)")
        }
        var a = 0, b = 0
        for line in try Self.koreanLines() {
            a += try before.encode(line, addSpecialTokens: false).ids.count
            b += try after.encode(line, addSpecialTokens: false).ids.count
        }
        #expect(b < a)
    }

    @Test("the learning engine segments every word as the encoder does", arguments: ["bpe_nfkc_bf", "bpe_identity", "bpe_split_digits"])
    func engineMatchesEncoder(_ name: String) throws {
        let path = Fixtures.url("sentencepiece/\(name).model").path
        // An extended model, taken as a base: its own and its new rules.
        let model = try #require(try Self.extend(path, add: 150).model)
        let extender = VocabularyExtender()
        let words = try extender.sentencePieceWords(model, corpus: CorpusOptions(inputs: [Self.sample]), progress: nil).words
        let engine = VocabularyExtender.engine(sentencePieceBPE: model, words: words)
        let tokenizer = try SentencePieceTokenizer(model: model)
        var checked = 0
        for (k, (word, _)) in words.enumerated() {
            let text = String(decoding: word, as: UTF8.self)
            guard text.hasPrefix("▁"), text.count > 1, !text.dropFirst().contains("▁") else { continue }
            let expected = try Self.ids(tokenizer, String(text.dropFirst()))
            // Characters the model does not know stand for their byte pieces.
            // Characters the model does not know stand for their byte pieces, or one unknown
            // piece per run of them.
            var segmented: [Int] = []
            for s in engine.words[k].flatMap({ engine.isToken[Int($0)] ? [Int($0)] : engine.baseIDs[Int($0)].map(Int.init) })
                where !(s == model.unknownID && segmented.last == s) { segmented.append(s) }
            #expect(segmented == expected, "\(text)")
            checked += 1
        }
        #expect(checked > 500)
    }

    @Test("bases that cannot be extended and impossible requests fail before writing")
    func errors() throws {
        let wordPiece = Fixtures.url("hf/wordpiece_bert.json").path
        #expect { try Self.extend(wordPiece) } throws: { e in
            if case .cannotExtend = e as? TrainingError { return true } else { return false }
        }
        let tiktoken = try #require(FileManager.default.contentsOfDirectory(atPath: Fixtures.url("tiktoken").path).first { $0.hasSuffix(".tiktoken") })
        #expect { try Self.extend(Fixtures.url("tiktoken/\(tiktoken)").path) } throws: { e in
            if case .cannotExtend = e as? TrainingError { return true } else { return false }
        }
        let bpe = Fixtures.url("sentencepiece/bpe_identity.model").path
        #expect { try Self.extend(bpe, add: 1_000_000) } throws: { e in
            if case .invalidConfiguration(let m) = e as? TrainingError { return m.contains("only") } else { return false }
        }
        #expect { try Self.extend(bpe) { $0.normalization = .korean } } throws: { e in
            if case .cannotExtend(_, let reason) = e as? TrainingError { return reason.contains("identity") } else { return false }
        }
        #expect(throws: Never.self) { try Self.extend(bpe) { $0.normalization = .identity } }
        #expect { try Self.extend(bpe) { $0.minFrequency = 0 } } throws: { e in e is TrainingError }
    }

    @Test("the smallest requests: no new piece (reserved tokens only) and one", arguments: ["sentencepiece/bpe_nfkc_bf.model", "sentencepiece/unigram_nfkc_bf.model", "hf/bytelevel_bpe.json"])
    func smallestRequests(_ fixture: String) throws {
        let path = Fixtures.url(fixture).path
        let none = try Self.extend(path, add: 0) { $0.reserve = 1 }
        #expect(none.newPieces.isEmpty && none.reserved.map(\.id) == [none.baseVocabularySize])
        if let model = none.model { #expect(model.pieces.count == none.baseVocabularySize + 1) }
        let one = try Self.extend(path, add: 1)
        #expect(one.newPieces.count == 1 && one.newPieces[0].id == one.baseVocabularySize && one.reserved.isEmpty)
        #expect(!one.newPieces[0].baseIDs.isEmpty)
    }

    @Test("Hangul detection for pieces and byte-level pieces")
    func hangulRules() {
        #expect(VocabularyExtender.holdsHangul(Array("▁법률".utf8)))
        #expect(VocabularyExtender.holdsHangul(Array("ㄱ".utf8)))
        #expect(!VocabularyExtender.holdsHangul(Array("▁law".utf8)))
        #expect(!VocabularyExtender.holdsHangul(Array("法".utf8)))
        #expect(VocabularyExtender.holdsHangulStart(Array("한".utf8).prefix(2).map { $0 }))
        #expect(VocabularyExtender.holdsHangulStart([0x20] + Array("힣".utf8)))
        #expect(!VocabularyExtender.holdsHangulStart(Array("法".utf8)))
        #expect(!VocabularyExtender.holdsHangulStart(Array("é—".utf8)))
        #expect(!VocabularyExtender.holdsHangulStart(Array("한".utf8).suffix(2).map { $0 }))
    }
}
