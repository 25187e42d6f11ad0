import ArgumentParser
import Dispatch
import Foundation
import Tokki

/// `tokki stats`: how a vocabulary fits a corpus.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tokens per character and per eojeol, unknown and byte-fallback rates, vocabulary usage.",
        discussion: """
        Encodes every line of the inputs (or stdin) and prints, for comparing
        vocabularies: tokens per character (Unicode scalars, newlines excluded), tokens
        per eojeol (space-separated word), the share of unknown tokens, the share of
        byte-fallback tokens, and how much of the vocabulary is used.

        Examples:
          tokki stats --model ko8k.model --input heldout.txt
          tokki stats --model tokenizer.json --input a.txt --input b.txt
        """
    )

    @Option(help: "The model (.model, tokenizer.json, Tekken .json or .tiktoken).")
    var model: String?

    @Option(help: "Input file (repeatable; default: stdin).")
    var input: [String] = []

    @Option(help: "tiktoken only: the pre-tokenization pattern.")
    var pattern: String?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func run() throws {
        let loaded = try loadModel(model, pattern: pattern)
        let encode: @Sendable (String) throws(TokkiError) -> [Int]
        var unknown: Set<Int> = []
        var bytePieces: Set<Int> = []
        switch loaded {
        case .sentencePiece(let t):
            encode = { t.encodeIDs($0) }
            unknown = [t.model.unknownID]
            bytePieces = Set(t.model.pieces.indices.filter { t.model.pieces[$0].type == .byte })
        case .huggingFace(let t):
            encode = { (s) throws(TokkiError) in try t.encode(s, addSpecialTokens: false).ids }
            for name in ["<unk>", "[UNK]", "<|unk|>"] { if let id = t.id(for: name) { unknown.insert(id) } }
            for id in 0..<t.vocabularySize {
                if let s = t.token(for: id), s.utf8.count == 6, s.hasPrefix("<0x"), s.hasSuffix(">") { bytePieces.insert(id) }
            }
        case .tiktoken(let t):
            encode = { (s) throws(TokkiError) in try t.encodeOrdinary(s) }
        case .tekken(let t):
            encode = { (s) throws(TokkiError) in try t.encode(s) }
        }
        var lines: [String] = []
        for path in input.isEmpty ? [nil] : input.map(Optional.some) {
            var reader = try LineReader(path: path)
            let source = reader.displayName
            var n = 0
            try reader.forEachLine { (line, _, offset) throws(ExitCode) in
                n += 1
                if let bad = UTF8Validation.firstInvalidOffset(in: line) {
                    throw invalidUTF8(source, line: n, lineOffset: offset, byteInLine: bad)
                }
                lines.append(String(decoding: line, as: UTF8.self))
            }
        }
        let texts = lines
        let workers = max(1, min(threads ?? ProcessInfo.processInfo.activeProcessorCount, texts.count))
        var results = [Result<[Int], TokkiError>](repeating: .success([]), count: texts.count)
        results.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            let chunk = (texts.count + workers - 1) / max(1, workers)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let lo = w * chunk, hi = min(texts.count, lo + chunk)
                guard lo < hi else { return }
                for k in lo..<hi {
                    do throws(TokkiError) { out[k] = .success(try encode(texts[k])) } catch { out[k] = .failure(error) }
                }
            }
        }
        var tokens = 0, unknowns = 0, bytes = 0, chars = 0, eojeols = 0
        var used = Set<Int>()
        for (k, r) in results.enumerated() {
            let ids: [Int]
            switch r {
            case .success(let v): ids = v
            case .failure(let e): throw fail(e)
            }
            tokens += ids.count
            for id in ids {
                used.insert(id)
                if unknown.contains(id) { unknowns += 1 }
                if bytePieces.contains(id) { bytes += 1 }
            }
            chars += lines[k].unicodeScalars.count
            eojeols += lines[k].split(whereSeparator: { $0 == " " || $0 == "\t" }).count
        }
        func ratio(_ a: Int, _ b: Int) -> String { b == 0 ? "n/a" : String(format: "%.4f", Double(a) / Double(b)) }
        func percent(_ a: Int, _ b: Int) -> String { b == 0 ? "n/a" : String(format: "%.3f%%", 100 * Double(a) / Double(b)) }
        var s = ""
        s += "model: \(model ?? "")\n"
        s += "lines: \(lines.count), characters: \(chars), eojeols: \(eojeols), tokens: \(tokens)\n"
        s += "tokens per character: \(ratio(tokens, chars))\n"
        s += "tokens per eojeol: \(ratio(tokens, eojeols))\n"
        s += "unknown tokens: \(unknowns) (\(percent(unknowns, tokens)))\n"
        s += "byte-fallback tokens: \(bytes) (\(percent(bytes, tokens)))\n"
        s += "vocabulary used: \(used.count) of \(loaded.vocabularySize) (\(percent(used.count, loaded.vocabularySize)))\n"
        var out = OutputWriter()
        try out.write(s)
        try out.flush()
    }
}
