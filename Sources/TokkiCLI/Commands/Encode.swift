import ArgumentParser
import Dispatch
import Foundation
import Tokki

/// `tokki encode`: text → token ids, one output line per input line.
struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encode text into token ids, one output line per input line.",
        discussion: """
        Reads lines from --input, --text or stdin. Ids are separated by spaces. By
        default no BOS/EOS is added (as the reference's plain encode);
        --add-special-tokens adds the model's BOS and EOS, --add-bos / --add-eos one of
        them.

        Examples:
          tokki encode --model ko.model --text '「민법」 제3조제1항'
          tokki encode --model llama2.model --input corpus.txt --threads 1 > ids.txt
          tokki encode --model ko.model --output-format jsonl < lines.txt
          tokki encode --model llama3.tiktoken --text 'Hello, 세계'   # encode_ordinary
          tokki encode --model tokenizer.json --output-format jsonl --input ko.txt
          tokki encode --model tekken.json --text '대한민국' --add-bos

        For tokenizer.json, --add-special-tokens applies the post-processor
        (BOS/CLS/SEP…) as tokenizers' add_special_tokens=True; jsonl then also carries
        type_ids and special_tokens_mask.
        """
    )

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case ids, pieces, jsonl }

    @Option(help: "The model: a SentencePiece .model, a Hugging Face tokenizer.json, a Mistral Tekken .json or a tiktoken rank file (.tiktoken).")
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
        case .huggingFace(let hf):
            try runHuggingFace(hf)
            return
        case .tekken(let tekken):
            try runTekken(tekken)
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
                for (k, id) in e.ids.enumerated() { if k > 0 { buffer.append(0x2C) }; JSONText.appendInteger(id, to: &buffer) }
                buffer += Array("],\"pieces\":[".utf8)
                for (k, p) in e.pieces.enumerated() { if k > 0 { buffer.append(0x2C) }; JSONText.appendString(p, to: &buffer) }
                buffer += Array("],\"offsets\":[".utf8)
                for (k, r) in e.offsets.enumerated() {
                    if k > 0 { buffer.append(0x2C) }
                    buffer.append(0x5B); JSONText.appendInteger(r.lowerBound, to: &buffer); buffer.append(0x2C)
                    JSONText.appendInteger(r.upperBound, to: &buffer); buffer.append(0x5D)
                }
                buffer += Array("],\"char_offsets\":[".utf8)
                for (k, r) in e.characterOffsets.enumerated() {
                    if k > 0 { buffer.append(0x2C) }
                    buffer.append(0x5B); JSONText.appendInteger(r.lowerBound, to: &buffer); buffer.append(0x2C)
                    JSONText.appendInteger(r.upperBound, to: &buffer); buffer.append(0x5D)
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
                for (k, id) in ids.enumerated() { if k > 0 { buffer.append(0x2C) }; JSONText.appendInteger(id, to: &buffer) }
                buffer += Array("],\"pieces\":[".utf8)
                for (k, id) in ids.enumerated() { if k > 0 { buffer.append(0x2C) }; JSONText.appendString(Self.tiktokenPiece(encoding, id), to: &buffer) }
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

    /// Encodes every line of the input (or --text) with `encode` on `--threads` threads in
    /// batches, writing the rendered lines in order.
    func runLines(_ encode: @escaping @Sendable (String) throws(TokkiError) -> [UInt8]) throws {
        var out = OutputWriter()
        if let text {
            let bytes: [UInt8]
            do { bytes = try encode(text) } catch { throw fail(error) }
            try out.write(bytes)
            try out.flush()
            return
        }
        let workers = threads ?? ProcessInfo.processInfo.activeProcessorCount
        var reader = try LineReader(path: input)
        let source = reader.displayName
        let replace = invalid == .replace
        var lineNumber = 0
        var batch: [String] = []
        func flushBatch() throws(ExitCode) {
            guard !batch.isEmpty else { return }
            let lines = batch
            var outputs = [Result<[UInt8], TokkiError>](repeating: .success([]), count: lines.count)
            outputs.withUnsafeMutableBufferPointer { o in
                parallelRanges(lines.count, threads: workers) { range in
                    for k in range {
                        do throws(TokkiError) { o[k] = .success(try encode(lines[k])) } catch { o[k] = .failure(error) }
                    }
                }
            }
            for o in outputs {
                switch o {
                case .success(let bytes): try out.write(bytes)
                case .failure(let e): throw fail(e)
                }
            }
            batch.removeAll(keepingCapacity: true)
        }
        try reader.forEachLine { (line, _, offset) throws(ExitCode) in
            lineNumber += 1
            if !replace, let bad = UTF8Validation.firstInvalidOffset(in: line) {
                try flushBatch()
                try out.flush()
                throw invalidUTF8(source, line: lineNumber, lineOffset: offset, byteInLine: bad)
            }
            batch.append(String(decoding: line, as: UTF8.self))
            if batch.count >= 4096 { try flushBatch() }
        }
        try flushBatch()
        try out.flush()
    }

    /// Renders one encoding as a line in the chosen format.
    static func render(_ e: Encoding, _ format: OutputFormat, extras: Bool) -> [UInt8] {
        var buffer: [UInt8] = []
        func ints(_ name: String, _ values: [Int]) {
            buffer += Array(",\"\(name)\":[".utf8)
            for (k, v) in values.enumerated() { if k > 0 { buffer.append(0x2C) }; JSONText.appendInteger(v, to: &buffer) }
            buffer.append(0x5D)
        }
        func ranges(_ name: String, _ values: [Range<Int>]) {
            buffer += Array(",\"\(name)\":[".utf8)
            for (k, r) in values.enumerated() {
                if k > 0 { buffer.append(0x2C) }
                buffer.append(0x5B); JSONText.appendInteger(r.lowerBound, to: &buffer); buffer.append(0x2C)
                JSONText.appendInteger(r.upperBound, to: &buffer); buffer.append(0x5D)
            }
            buffer.append(0x5D)
        }
        switch format {
        case .ids:
            for (k, id) in e.ids.enumerated() { if k > 0 { buffer.append(0x20) }; JSONText.appendInteger(id, to: &buffer) }
        case .pieces:
            buffer += Array(e.pieces.joined(separator: " ").utf8)
        case .jsonl:
            buffer += Array("{\"ids\":[".utf8)
            for (k, id) in e.ids.enumerated() { if k > 0 { buffer.append(0x2C) }; JSONText.appendInteger(id, to: &buffer) }
            buffer += Array("],\"pieces\":[".utf8)
            for (k, p) in e.pieces.enumerated() { if k > 0 { buffer.append(0x2C) }; JSONText.appendString(p, to: &buffer) }
            buffer.append(0x5D)
            if !e.offsets.isEmpty || e.ids.isEmpty {
                ranges("offsets", e.offsets)
                ranges("char_offsets", e.characterOffsets)
            }
            if extras {
                ints("type_ids", e.typeIDs)
                ints("special_tokens_mask", e.specialTokensMask)
            }
            buffer.append(0x7D)
        }
        buffer.append(0x0A)
        return buffer
    }

    /// tokenizer.json files.
    func runHuggingFace(_ tokenizer: HuggingFaceTokenizer) throws {
        if addBos || addEos {
            throw fail(.usage, "tokenizer.json: use --add-special-tokens (the post-processor decides which tokens are added)")
        }
        let special = addSpecialTokens, format = outputFormat
        try runLines { (line) throws(TokkiError) in
            Self.render(try tokenizer.encode(line, addSpecialTokens: special), format, extras: true)
        }
    }

    /// Tekken files: ordinary text with optional BOS/EOS.
    func runTekken(_ tekken: TekkenTokenizer) throws {
        let bos = addSpecialTokens || addBos, eos = addSpecialTokens || addEos, format = outputFormat
        try runLines { (line) throws(TokkiError) in
            let ids = try tekken.encode(line, addBOS: bos, addEOS: eos)
            let pieces = ids.map { id in (try? tekken.decode([id], skipSpecialTokens: false)) ?? "?" }
            return Self.render(Encoding(ids: ids, pieces: pieces, offsets: [], characterOffsets: []), format, extras: false)
        }
    }

    /// A tiktoken token shown as text (bytes that are not valid UTF-8 alone become U+FFFD).
    static func tiktokenPiece(_ encoding: TiktokenTokenizer, _ id: Int) -> String {
        (try? encoding.decode([id])) ?? "?"
    }
}
