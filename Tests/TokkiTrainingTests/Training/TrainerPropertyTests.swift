import Foundation
import Testing
import Tokki
@testable import TokkiTraining
import TokkiTestSupport

/// Property tests of the trainers (issue #14): vocabulary sizes from 1 to more than the corpus
/// allows, on tiny and degenerate corpora. Every combination either trains a model that loads
/// and round-trips its corpus, or throws a `TrainingError` that names the problem.
@Suite("Property: trainers on tiny and degenerate corpora")
struct TrainerPropertyTests {
    static let corpora: [(name: String, text: String)] = [
        ("empty", ""),
        ("one character", "가"),
        ("one character, newline", "가\n"),
        ("one repeated character", String(repeating: "가", count: 40) + "\n" + String(repeating: "가", count: 7) + "\n"),
        ("only spaces", "     \n   \n"),
        ("only newlines", "\n\n\n\n"),
        ("CRLF", "대한민국\r\n민주공화국\r\n\r\n가 나 다\r\n"),
        ("ASCII and Hangul", "a b c\nab ab abc 가나 가나다\n제1조 ① 목적\n"),
        ("tabs and NUL", "가\t나\u{0}다\n\t\t\n"),
    ]

    static let sizes = [1, 2, 3, 4, 5, 8, 13, 30, 60, 257, 258, 300, 1000, 100_000]

    enum Kind: String, CaseIterable, Sendable { case bpe, unigram, byteBPE }

    struct Case: CustomTestStringConvertible, Sendable {
        let kind: Kind
        let corpus: Int
        var testDescription: String { "\(kind.rawValue) on \(TrainerPropertyTests.corpora[corpus].name)" }
    }

    static let cases: [Case] = Kind.allCases.flatMap { k in corpora.indices.map { Case(kind: k, corpus: $0) } }

    static func file(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "tokki-trainer-props-\(UUID().uuidString).txt"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The text without whitespace, NUL and the unknown piece's ⁇.
    static func visible(_ s: String) -> String { String(s.unicodeScalars.filter { !$0.properties.isWhitespace && $0 != "\u{0}" && $0 != "⁇" }) }

    @Test(arguments: cases)
    func everyVocabularySizeTrainsOrThrows(_ c: Case) throws {
        let (name, text) = Self.corpora[c.corpus]
        let path = try Self.file(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let corpus = CorpusOptions(inputs: [path])
        let lines = text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
        var trained = 0
        var minimum: Int? = nil, maximum: Int? = nil
        // Trains at `size`: true when a model came out (and was checked), false on an expected error.
        func attempt(_ size: Int) throws -> Bool {
            let label = "\(c.kind.rawValue), vocabulary \(size), \(name)"
            do {
                switch c.kind {
                case .bpe, .unigram:
                    var base = TrainerConfiguration()
                    base.vocabularySize = size
                    base.threads = size % 2 + 1
                    let model: SentencePieceModel
                    if c.kind == .bpe {
                        model = try BPETrainer(base).train(corpus).model
                    } else {
                        model = try UnigramTrainer(base).train(corpus).model
                    }
                    #expect(model.pieces.count == size, "\(label): \(model.pieces.count) pieces")
                    let reloaded = try SentencePieceModel(serialized: try model.serialized())
                    #expect(reloaded.pieces == model.pieces, "\(label)")
                    let tokenizer = try SentencePieceTokenizer(model: model)
                    for line in lines {
                        let normalized = try KoreanNormalizer().normalize(line)
                        let ids = tokenizer.encodeIDs(line)
                        #expect(ids.allSatisfy { $0 >= 0 && $0 < size }, "\(label): ids \(ids)")
                        // Every character of these corpora is covered: decoding gives the text
                        // back (spaces as SentencePiece folds them).
                        let decoded = try tokenizer.decode(ids)
                        // Up to whitespace and NUL (never a piece: the unknown piece ⁇; the
                        // model's compiled charsmap and KoreanNormalizer treat tab and NUL differently).
                        #expect(Self.visible(decoded) == Self.visible(normalized),
                                "\(label): \(line.debugDescription) → \(decoded.debugDescription)")
                    }
                case .byteBPE:
                    var b = ByteLevelBPETrainer.Configuration()
                    b.vocabularySize = size
                    b.specialTokens = ["<|endoftext|>"]
                    b.threads = size % 2 + 1
                    let r = try ByteLevelBPETrainer(b).train(corpus)
                    #expect(r.tokens.count <= size && r.tokens.count >= 257, "\(label): \(r.tokens.count) tokens")
                    let tokenizer = try HuggingFaceTokenizer(json: r.json)
                    for line in lines {
                        let ids = try tokenizer.encode(line, addSpecialTokens: false).ids
                        #expect(ids.allSatisfy { $0 >= 0 && $0 < r.tokens.count }, "\(label)")
                        let decoded = try tokenizer.decode(ids), normalized = try KoreanNormalizer().normalize(line)
                        #expect(Self.visible(decoded) == Self.visible(normalized), "\(label): \(line.debugDescription) → \(decoded.debugDescription), normalized \(normalized.debugDescription)")
                    }
                }
                return true
            } catch let error as TrainingError {
                switch error {
                case .emptyCorpus:
                    // Only corpora without a word may be empty.
                    #expect(text.allSatisfy { $0.isWhitespace }, "\(label): \(error)")
                case let .vocabularyTooSmall(requested, least):
                    #expect(requested == size && least > size, "\(label): \(error)")
                    minimum = least
                case let .vocabularyTooLarge(requested, most):
                    #expect(requested == size && most < size, "\(label): \(error)")
                    maximum = most
                default:
                    Issue.record("\(label): unexpected \(error)")
                }
                #expect(!error.description.isEmpty)
                return false
            }
        }
        for size in Self.sizes where try attempt(size) { trained += 1 }
        // The sizes the errors name as the limits train.
        if let minimum, let maximum, c.kind != .byteBPE {
            #expect(minimum <= maximum, "\(c): smallest \(minimum) above largest \(maximum)")
            if minimum <= maximum {
                #expect(try attempt(minimum), "\(c): the named minimum \(minimum) does not train")
                #expect(try attempt(maximum), "\(c): the named maximum \(maximum) does not train")
                trained += 1
            }
        }
        // Some size trains on every corpus that has a word.
        if !text.allSatisfy({ $0.isWhitespace }) { #expect(trained > 0, "\(c): nothing trained") }
    }
}
