import ArgumentParser
import Dispatch
import Foundation
import Tokki

/// `tokki encode`: text → token ids, one output line per input line.
struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encode text into token ids, one output line per input line.",
        discussion: """
        Reads lines from --input, --text or stdin. Ids are separated by spaces. By default no
        BOS/EOS is added (as the reference's plain encode); --add-special-tokens adds the
        model's BOS and EOS, --add-bos / --add-eos one of them.

        Examples:
          tokki encode --model ko.model --text '「민법」 제3조제1항'
          tokki encode --model llama2.model --input corpus.txt --threads 1 > ids.txt
          tokki encode --model ko.model --output-format jsonl < lines.txt
          tokki encode --model llama3.tiktoken --text 'Hello, 세계'   (tiktoken encode_ordinary)
        """
    )

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case ids, pieces, jsonl }

    @Option(help: "The model: a SentencePiece .model or a tiktoken rank file (.tiktoken).")
    var model: String?

    @Option(help: "tiktoken only: the pre-tokenization pattern, a name (r50k, p50k, cl100k, o200k, llama3) or a regular expression (default: from the file name).")
    var pattern: String?

    @Option(help: "Input file (default: stdin).")
    var input: String?

    @Option(help: "Encode this text instead of reading lines.")
    var text: String?

    @Option(help: "ids (space-separated), pieces (space-separated), or jsonl (ids, pieces, byte and character offsets).")
    var outputFormat: OutputFormat = .ids

    @Flag(help: "Add the model's BOS and EOS ids.")
    var addSpecialTokens = false

    @Flag(help: "Add the model's BOS id.")
    var addBos = false

    @Flag(help: "Add the model's EOS id.")
    var addEos = false

    @Option(help: "Worker threads (default: all cores; 1 = one core).")
    var threads: Int?

    @Option(help: "What to do with invalid UTF-8: error (stop, exit 65) or replace (U+FFFD, as the reference does).")
    var invalid: Normalize.InvalidPolicy = .error

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if text != nil && input != nil { throw ValidationError("give either --text or --input, not both") }
    }

    func run() throws {
        let loaded = try loadModel(model, pattern: pattern)
        let tokenizer: SentencePieceTokenizer
        switch loaded {
        case .tiktoken(let encoding):
            try runTiktoken(encoding)
            return
        case .sentencePiece(let t):
            tokenizer = t
        }
        let bos = addSpecialTokens || addBos, eos = addSpecialTokens || addEos
        let workers = threads ?? ProcessInfo.processInfo.activeProcessorCount
        var out = OutputWriter()
        let format = outputFormat
        // Decimal text of every id, so the hot loop only copies bytes.
        let idText: [[UInt8]] = (0..<tokenizer.vocabularySize).map { Array(String($0).utf8) }
        let render: @Sendable (UnsafeBufferPointer<UInt8>, inout SentencePieceTokenizer.Scratch, inout [Int32], inout [UInt8]) -> Void = {
            line, scratch, ids, buffer in
            switch format {
            case .ids:
                ids.removeAll(keepingCapacity: true)
                tokenizer.encodeIDs(line, into: &ids, scratch: &scratch, addBOS: bos, addEOS: eos)
                for (k, id) in ids.enumerated() {
                    if k > 0 { buffer.append(0x20) }
                    buffer.append(contentsOf: idText[Int(id)])
                }
            case .pieces:
                let e = tokenizer.encode(bytes: line, addBOS: bos, addEOS: eos)
                buffer += Array(e.pieces.joined(separator: " ").utf8)
            case .jsonl:
                let e = tokenizer.encode(bytes: line, addBOS: bos, addEOS: eos)
                buffer += Array("{\"ids\":[".utf8)
                for (k, id) in e.ids.enumerated() { if k > 0 { buffer.append(0x2C) }; appendInt(id, to: &buffer) }
                buffer += Array("],\"pieces\":[".utf8)
                for (k, p) in e.pieces.enumerated() { if k > 0 { buffer.append(0x2C) }; appendJSONString(p, to: &buffer) }
                buffer += Array("],\"offsets\":[".utf8)
                for (k, r) in e.offsets.enumerated() {
                    if k > 0 { buffer.append(0x2C) }
                    buffer.append(0x5B); appendInt(r.lowerBound, to: &buffer); buffer.append(0x2C)
                    appendInt(r.upperBound, to: &buffer); buffer.append(0x5D)
                }
                buffer += Array("],\"char_offsets\":[".utf8)
                for (k, r) in e.characterOffsets.enumerated() {
                    if k > 0 { buffer.append(0x2C) }
                    buffer.append(0x5B); appendInt(r.lowerBound, to: &buffer); buffer.append(0x2C)
                    appendInt(r.upperBound, to: &buffer); buffer.append(0x5D)
                }
                buffer += Array("]}".utf8)
            }
            buffer.append(0x0A)
        }

        if let text {
            var scratch = SentencePieceTokenizer.Scratch()
            var ids: [Int32] = []
            var buffer: [UInt8] = []
            var s = text
            s.withUTF8 { render($0, &scratch, &ids, &buffer) }
            try out.write(buffer)
            try out.flush()
            return
        }

        var reader = try LineReader(path: input)
        let source = reader.displayName
        let replace = invalid == .replace
        var batch: [[UInt8]] = []
        var lineNumber = 0
        let batchSize = 4096

        func flushBatch(_ batch: inout [[UInt8]], _ out: inout OutputWriter) throws(ExitCode) {
            guard !batch.isEmpty else { return }
            let lines = batch
            var outputs = [[UInt8]](repeating: [], count: lines.count)
            let n = min(workers, lines.count)
            if n <= 1 {
                var scratch = SentencePieceTokenizer.Scratch(); var ids: [Int32] = []
                for k in lines.indices { lines[k].withUnsafeBufferPointer { render($0, &scratch, &ids, &outputs[k]) } }
            } else {
                outputs.withUnsafeMutableBufferPointer { o in
                    nonisolated(unsafe) let o = o
                    let chunk = (lines.count + n - 1) / n
                    DispatchQueue.concurrentPerform(iterations: n) { w in
                        var scratch = SentencePieceTokenizer.Scratch(); var ids: [Int32] = []
                        let lo = w * chunk, hi = min(lines.count, lo + chunk)
                        guard lo < hi else { return }
                        for k in lo..<hi { lines[k].withUnsafeBufferPointer { render($0, &scratch, &ids, &o[k]) } }
                    }
                }
            }
            for o in outputs { try out.write(o) }
            batch.removeAll(keepingCapacity: true)
        }

        try reader.forEachLine { (line, _, offset) throws(ExitCode) in
            lineNumber += 1
            if !replace, let bad = UTF8Validation.firstInvalidOffset(in: line) {
                try flushBatch(&batch, &out)
                try out.flush()
                throw invalidUTF8(source, line: lineNumber, lineOffset: offset, byteInLine: bad)
            }
            batch.append(Array(line))
            if batch.count >= batchSize { try flushBatch(&batch, &out) }
        }
        try flushBatch(&batch, &out)
        try out.flush()
    }

    /// tiktoken files: `encode_ordinary` line by line (special-token text is ordinary text).
    func runTiktoken(_ encoding: TiktokenTokenizer) throws {
        if addSpecialTokens || addBos || addEos {
            throw fail(.usage, "tiktoken rank files define no BOS/EOS; drop --add-special-tokens/--add-bos/--add-eos")
        }
        var out = OutputWriter()
        let format = outputFormat
        func render(_ text: String) throws(ExitCode) {
            let ids: [Int]
            do { ids = try encoding.encodeOrdinary(text) } catch { throw fail(error) }
            var buffer: [UInt8] = []
            switch format {
            case .ids:
                buffer += Array(ids.map(String.init).joined(separator: " ").utf8)
            case .pieces:
                buffer += Array(ids.map { Self.tiktokenPiece(encoding, $0) }.joined(separator: " ").utf8)
            case .jsonl:
                buffer += Array("{\"ids\":[".utf8)
                for (k, id) in ids.enumerated() { if k > 0 { buffer.append(0x2C) }; appendInt(id, to: &buffer) }
                buffer += Array("],\"pieces\":[".utf8)
                for (k, id) in ids.enumerated() { if k > 0 { buffer.append(0x2C) }; appendJSONString(Self.tiktokenPiece(encoding, id), to: &buffer) }
                buffer += Array("]}".utf8)
            }
            buffer.append(0x0A)
            try out.write(buffer)
        }
        if let text {
            try render(text)
            try out.flush()
            return
        }
        var reader = try LineReader(path: input)
        let source = reader.displayName
        let replace = invalid == .replace
        var lineNumber = 0
        try reader.forEachLine { (line, _, offset) throws(ExitCode) in
            lineNumber += 1
            if let bad = UTF8Validation.firstInvalidOffset(in: line) {
                guard replace else {
                    try out.flush()
                    throw invalidUTF8(source, line: lineNumber, lineOffset: offset, byteInLine: bad)
                }
            }
            try render(String(decoding: line, as: UTF8.self))
        }
        try out.flush()
    }

    /// A tiktoken token shown as text (bytes that are not valid UTF-8 alone become U+FFFD).
    static func tiktokenPiece(_ encoding: TiktokenTokenizer, _ id: Int) -> String {
        (try? encoding.decode([id])) ?? "?"
    }
}
