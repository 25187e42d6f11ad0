import ArgumentParser
import Foundation
import Tokki

/// `tokki encode`: text → token ids, one output line per input line.
struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
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
        type_ids and special_tokens_mask. Padding and truncation stored in the file are
        applied as tokenizers applies them; --no-padding / --no-truncation give plain
        ids:
          tokki encode --model tokenizer.json --no-padding --no-truncation < in.txt
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

    @OptionGroup var threading: ThreadOptions
    @OptionGroup var invalidInput: InvalidUTF8Options

    @Flag(help: "tokenizer.json: ignore the padding the file stores (by default it is applied, as tokenizers does).")
    var noPadding = false

    @Flag(help: "tokenizer.json: ignore the truncation the file stores (by default it is applied, as tokenizers does).")
    var noTruncation = false

    @OptionGroup var lineLimit: LineLimitOptions

    func validate() throws {
        if text != nil && input != nil { throw ValidationError("give either --text or --input, not both") }
    }

    func run() throws {
        let tokenizer = try loadModel(model, pattern: pattern, storedTruncation: !noTruncation, storedPadding: !noPadding)
        switch tokenizer.specialTokenPolicy {
        case .none where addSpecialTokens || addBos || addEos:
            throw fail(.usage, "this model defines no BOS/EOS (tiktoken rank file); drop --add-special-tokens/--add-bos/--add-eos")
        case .postProcessor where addBos || addEos:
            throw fail(.usage, "tokenizer.json: use --add-special-tokens (the post-processor decides which tokens are added)")
        default:
            break
        }
        let options = EncodeOptions(addSpecialTokens: addSpecialTokens, addBOS: addBos, addEOS: addEos)
        let format = outputFormat
        // Type ids and the special-tokens mask come from a post-processor (tokenizer.json).
        let extras = tokenizer.specialTokenPolicy == .postProcessor
        // Decimal text of every id, so the hot loop only copies bytes.
        let idText = Self.decimalTexts(format == .ids ? tokenizer.vocabularySize : 0)
        // A tokenizer that maps malformed bytes itself (SentencePiece) gets the bytes as they
        // are; the others get lines repaired or refused as --invalid says.
        let repairing = !tokenizer.acceptsMalformedUTF8
        try encodeLines(repairing: repairing, makeWorker: { tokenizer.makeIDEncoder(options: options) }) { (line, worker, buffer) throws(TokkiError) in
            if format == .ids {
                // The ids-only path (same ids as `encode`), with this worker's caches.
                try worker.encode(line)
                Self.appendIDs(worker.ids, idText, to: &buffer)
                buffer.append(0x0A)
            } else {
                buffer += Self.render(try tokenizer.encode(bytes: line, options: options), format, extras: extras)
            }
        }
    }

    /// The decimal text of every id below `count` (at most 10,000,000), packed for
    /// ``appendIDs(_:_:to:)``: up to 7 ASCII digits in the low bytes (first digit lowest),
    /// the digit count in the top byte.
    static func decimalTexts(_ count: Int) -> [UInt64] {
        [UInt64](unsafeUninitializedCapacity: min(count, 10_000_000)) { out, initialized in
            // The running id's text, incremented in place: its last digit is byte `digits - 1`.
            var v: UInt64 = 1 << 56 | 0x30
            for id in 0..<out.count {
                out[id] = v
                let digits = Int(v >> 56)
                var k = digits - 1
                while true {
                    let shift = UInt64(8 * k)
                    if (v >> shift) & 0xFF < 0x39 { v += 1 << shift; break }
                    v = v & ~(0xFF << shift) | 0x30 << shift  // a 9 becomes 0 and carries
                    if k == 0 {
                        // 99…9 + 1: a leading 1, the zeros one byte up, one more digit.
                        v = UInt64(digits + 1) << 56 | (v & 0x00FF_FFFF_FFFF_FFFF) << 8 | 0x31
                        break
                    }
                    k -= 1
                }
            }
            initialized = out.count
        }
    }

    /// Appends `ids` separated by spaces: ids with a packed text are copied 8 bytes at a time
    /// (the bytes past the digits are overwritten next or cut at the end), others written
    /// digit by digit.
    static func appendIDs(_ ids: [Int32], _ idText: [UInt64], to buffer: inout [UInt8]) {
        guard !ids.isEmpty else { return }
        let start = buffer.count
        // Each id takes at most 8 bytes (7 digits and a space) plus an 8-byte store's slack.
        let reserved = ids.count * 8 + 8
        buffer.append(contentsOf: repeatElement(0, count: reserved))
        var used = 0
        var fallback = false
        buffer.withUnsafeMutableBufferPointer { b in
            let out = UnsafeMutableRawPointer(b.baseAddress! + start)
            idText.withUnsafeBufferPointer { table in
                for (k, id) in ids.enumerated() {
                    guard id >= 0 && Int(id) < table.count else { fallback = true; return }
                    if k > 0 {
                        assert(start + used < b.count)
                        out.storeBytes(of: 0x20, toByteOffset: used, as: UInt8.self); used += 1
                    }
                    let v = table[Int(id)]
                    // `used` ≤ 8k here (≤ 7 + 8(k - 1) before the space), so the store ends within the reserved 8(k + 1) bytes.
                    assert(start + used + 8 <= b.count)
                    out.storeBytes(of: v.littleEndian, toByteOffset: used, as: UInt64.self)
                    used += Int(v >> 56)
                }
            }
        }
        if fallback {
            buffer.removeSubrange(start...)
            for (k, id) in ids.enumerated() {
                if k > 0 { buffer.append(0x20) }
                if id >= 0 && Int(id) < idText.count {
                    let v = idText[Int(id)]
                    for d in 0..<Int(v >> 56) { buffer.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(d)))) }
                } else {
                    JSONText.appendInteger(Int(id), to: &buffer)
                }
            }
            return
        }
        buffer.removeSubrange((start + used)...)
    }

    /// Encodes the input's lines (or --text) on `--threads` workers, in batches of 4096 lines,
    /// and writes the rendered lines in order. `render` appends one output line, newline
    /// included. Each thread keeps its ``TokenIDEncoder`` (and so its word caches) across batches
    /// and renders its lines into one buffer.
    ///
    /// Malformed UTF-8 stops with exit 65 naming the line and byte, unless --invalid replace:
    /// then, with `repairing`, the line is repaired (U+FFFD) before `render` sees it.
    func encodeLines(repairing: Bool, makeWorker: () -> TokenIDEncoder,
                     render: @escaping @Sendable (UnsafeBufferPointer<UInt8>, TokenIDEncoder, inout [UInt8]) throws(TokkiError) -> Void) throws {
        var out = OutputWriter()
        let replace = invalidInput.replace
        if let text {
            let worker = makeWorker()
            var buffer: [UInt8] = []
            var s = text
            let r: Result<Void, TokkiError> = s.withUTF8 { b in
                do throws(TokkiError) { try render(b, worker, &buffer); return .success(()) } catch { return .failure(error) }
            }
            if case .failure(let e) = r { throw fail(e) }
            try out.write(buffer)
            try out.flush()
            return
        }
        let workers = max(1, threading.workers)
        nonisolated(unsafe) let pool = (0..<workers).map { _ in makeWorker() }
        // Each batch is encoded on the workers (validating UTF-8 there) while the next one is
        // read; the outputs are written in order.
        // The lines before a failure are written (a read error comes out of `run` after them).
        defer { try? out.flush() }
        try LinePipeline.run(inputs: [input], maxLineBytes: lineLimit.maxLineBytes.value, workers: workers, process: { (batch, w) -> ([UInt8], LineFailure?) in
            var buffer: [UInt8] = []
            for k in 0..<batch.count {
                let failure: LineFailure? = batch.withLine(k) { line -> LineFailure? in
                    if let bad = UTF8Validation.firstInvalidOffset(in: line) {
                        guard replace else { return LineFailure(line: k, error: nil, invalidByte: bad) }
                        if repairing {
                            var fixed = Array(String(decoding: line, as: UTF8.self).utf8)
                            return fixed.withUnsafeMutableBufferPointer { f in
                                do throws(TokkiError) { try render(UnsafeBufferPointer(f), pool[w], &buffer); return nil }
                                catch { return LineFailure(line: k, error: error, invalidByte: 0) }
                            }
                        }
                    }
                    do throws(TokkiError) { try render(line, pool[w], &buffer); return nil }
                    catch { return LineFailure(line: k, error: error, invalidByte: 0) }
                }
                if let failure { return (buffer, failure) }
            }
            return (buffer, nil)
        }, consume: { (batch, output) throws(ExitCode) in
            try out.write(output.0)
            if let failure = output.1 {
                try out.flush()
                throw failure.exit(batch)
            }
        })
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
}
