import Foundation
import Testing
@testable import Tokki
import TokkiTestSupport

/// Models with the shapes that broke earlier releases, built here (no download): a unigram
/// `.model` of 262,144 pieces with 26,089 control pieces and byte fallback, and a tiktoken
/// rank file of 200,000 entries. Each is written out, loaded back the way a user loads it, and
/// its encodings are checked against an oracle written here: the highest-scoring segmentation
/// (unigram) and tiktoken's merge rule applied naively (rank file).
@Suite("Large model shapes")
struct LargeShapeTests {
    /// Korean-looking text from a fixed generator: syllables from a small set (so that pieces
    /// of several syllables occur), spaces, and now and then digits and Latin letters.
    static func text(_ rng: inout SplitMix64, words: Int) -> String {
        var s = ""
        for w in 0..<words {
            if w > 0 { s += " " }
            let length = 1 + Int(rng.next() % 5)
            for _ in 0..<length {
                switch rng.next() % 20 {
                case 0: s += String(rng.next() % 10)
                case 1: s += String(UnicodeScalar(UInt8(0x61 + rng.next() % 26)))
                default: s += String(UnicodeScalar(0xAC00 + UInt32(rng.next() % 64) * 28)!)
                }
            }
        }
        return s
    }

    static let unigramSize = 262_144
    static let controlCount = 26_089

    /// `<unk>`, `<s>`, `</s>`, the control pieces, the 256 byte pieces, every Hangul syllable
    /// with and without `▁`, digits and Latin letters, then generated words up to the size.
    static func unigramPieces() -> [SentencePieceModel.Piece] {
        var rng = SplitMix64(seed: 262_144)
        var pieces: [SentencePieceModel.Piece] = [
            .init(piece: "<unk>", score: 0, type: .unknown), .init(piece: "<s>", score: 0, type: .control),
            .init(piece: "</s>", score: 0, type: .control),
        ]
        for k in 0..<(controlCount - 2) { pieces.append(.init(piece: "<ctrl_\(k)>", score: 0, type: .control)) }
        for b in 0..<256 { pieces.append(.init(piece: String(format: "<0x%02X>", b), score: 0, type: .byte)) }
        var seen = Set(pieces.map(\.piece))
        func add(_ p: String) {
            guard seen.insert(p).inserted else { return }
            pieces.append(.init(piece: p, score: -2 - Float(rng.next() % 1000) / 100))
        }
        for c in 0..<11_172 {
            let syllable = String(UnicodeScalar(0xAC00 + UInt32(c))!)
            add(syllable); add("▁" + syllable)
        }
        for d in 0..<10 { add(String(d)); add("▁" + String(d)) }
        for l in 0..<26 { let c = String(UnicodeScalar(UInt8(0x61 + l))); add(c); add("▁" + c) }
        add("▁")
        while pieces.count < unigramSize {
            let word = text(&rng, words: 1)
            add(rng.next() % 2 == 0 ? "▁" + word : word)
        }
        return pieces
    }

    @Test func a262kUnigramWith26kControlPiecesLoadsAndSegmentsOptimally() throws {
        let pieces = Self.unigramPieces()
        #expect(pieces.count == Self.unigramSize)
        #expect(pieces.filter { $0.type == .control }.count == Self.controlCount)
        var trainer = SentencePieceModel.TrainerSettings()
        trainer.byteFallback = true
        trainer.vocabularySize = Self.unigramSize
        let normalizer = SentencePieceModel.NormalizerSettings(name: "identity", precompiledCharsmap: [], addDummyPrefix: true,
                                                               removeExtraWhitespaces: true, escapeWhitespaces: true)
        let built = try SentencePieceModel(pieces: pieces, modelType: .unigram, normalizer: normalizer, trainer: trainer)
        // Loaded back from the bytes of a `.model` file, as a user loads one.
        let tokenizer = try SentencePieceTokenizer(serialized: built.serialized())
        #expect(tokenizer.vocabularySize == Self.unigramSize)
        #expect(tokenizer.id(for: "<ctrl_7>") == 10)

        var score: [String: Double] = [:]
        for p in pieces where p.type == .normal { score[p.piece] = Double(p.score) }
        var rng = SplitMix64(seed: 7)
        var scratch = tokenizer.makeScratch()
        for k in 0..<200 {
            // Control pieces' text in the input is plain text, never the control id.
            let text = Self.text(&rng, words: 1 + k % 12) + (k % 10 == 0 ? " <ctrl_5></s>" : "")
            var ids: [Int32] = []
            Array(text.utf8).withUnsafeBufferPointer { tokenizer.encodeIDs($0, into: &ids, scratch: &scratch) }
            #expect(ids == tokenizer.encodeIDs(text).map(Int32.init), "cached and one-shot paths agree: \(text)")
            #expect(!ids.contains { (1..<Self.controlCount).contains(Int($0)) }, "\(text)")
            #expect(try tokenizer.decode(ids.map(Int.init)) == text, "\(text)")
            guard !text.contains("<") else { continue }
            // The pieces' total score equals the best any segmentation of the normalized text
            // into normal pieces reaches (all its characters have pieces, so no unknowns).
            let normalized = "▁" + text.replacingOccurrences(of: " ", with: "▁")
            let got = ids.reduce(0.0) { $0 + (score[tokenizer.piece(for: Int($1)) ?? ""] ?? -.infinity) }
            #expect(abs(got - Self.bestScore(normalized, score)) < 1e-3, "\(text)")
        }
    }

    /// The best total score of a segmentation of `text` into pieces of `score` (dynamic
    /// programming over characters).
    static func bestScore(_ text: String, _ score: [String: Double]) -> Double {
        let chars = Array(text)
        var best = [Double](repeating: -.infinity, count: chars.count + 1)
        best[0] = 0
        for end in 1...chars.count {
            for start in max(0, end - 8)..<end where best[start] > -.infinity {
                if let s = score[String(chars[start..<end])] { best[end] = max(best[end], best[start] + s) }
            }
        }
        return best[chars.count]
    }

    @Test func a200kRankFileLoadsAndMergesAsTiktokenDoes() throws {
        // The 256 bytes, then Korean strings and their byte prefixes, ranked in order of
        // appearance, to 200,000 entries.
        var tokens: [[UInt8]] = (0..<256).map { [UInt8($0)] }
        var seen = Set(tokens)
        var rng = SplitMix64(seed: 200_000)
        while tokens.count < 200_000 {
            let word = Array((rng.next() % 3 == 0 ? " " : "").utf8) + Array(Self.text(&rng, words: 1).utf8)
            for end in stride(from: 2, through: word.count, by: 1) where tokens.count < 200_000 {
                let t = Array(word[0..<end])
                if seen.insert(t).inserted { tokens.append(t) }
            }
        }
        var file = ""
        for (rank, t) in tokens.enumerated() { file += Data(t).base64EncodedString() + " \(rank)\n" }
        let ranks = try TiktokenRanks(bytes: Array(file.utf8), path: "shape.tiktoken")
        #expect(ranks.count == 200_000)
        let tokenizer = try TiktokenTokenizer(ranks: ranks, pattern: #" ?[^\s]+|\s+"#)
        var rankOf: [[UInt8]: Int] = [:]
        for (rank, t) in tokens.enumerated() { rankOf[t] = rank }
        var scratch = HuggingFaceTokenizer.Scratch()
        for k in 0..<300 {
            let text = Self.text(&rng, words: 1 + k % 15)
            var ids: [Int32] = []
            try Array(text.utf8).withUnsafeBufferPointer { try tokenizer.encodeOrdinary($0, into: &ids, scratch: &scratch) }
            #expect(ids.map(Int.init) == Self.naiveTiktoken(text, rankOf), "\(text)")
            #expect(try tokenizer.decode(ids.map(Int.init)) == text)
        }
    }

    /// tiktoken's rule, naively: split as ` ?[^\s]+|\s+` does (the text has spaces only), then in each piece
    /// merge the adjacent pair whose concatenation has the lowest rank until none has one.
    static func naiveTiktoken(_ text: String, _ rankOf: [[UInt8]: Int]) -> [Int] {
        var pieces: [[UInt8]] = []
        let b = Array(text.utf8)
        var i = 0
        while i < b.count {
            var j = i
            if b[i] == 0x20 && i + 1 < b.count && b[i + 1] != 0x20 {
                j = i + 1
                while j < b.count && b[j] != 0x20 { j += 1 }
            } else if b[i] == 0x20 {
                while j < b.count && b[j] == 0x20 { j += 1 }
            } else {
                while j < b.count && b[j] != 0x20 { j += 1 }
            }
            pieces.append(Array(b[i..<j]))
            i = j
        }
        var ids: [Int] = []
        for piece in pieces {
            var parts = piece.map { [$0] }
            while parts.count > 1 {
                var bestRank = Int.max, at = -1
                for k in 0..<(parts.count - 1) {
                    if let r = rankOf[parts[k] + parts[k + 1]], r < bestRank { bestRank = r; at = k }
                }
                if at < 0 { break }
                parts[at] += parts[at + 1]
                parts.remove(at: at + 1)
            }
            ids += parts.map { rankOf[$0] ?? -1 }
        }
        return ids
    }
}
