// tokki-bench: throughput of Tokki's normalizers and tokenizers, side by side, in one run.
//
//   tokki-bench normalize FILE... [--repeat N]
//   tokki-bench encode MODEL FILE [--repeat N] [--check OUT]
//
// normalize: for each file it normalizes every line (as the CLI does) with raw ICU NFC, raw
// ICU NFKC and the Korean preset, repeats N times, and prints the best and median MB/s per
// mode on one core, plus the Korean/NFKC ratio.
//
// encode: loads a SentencePiece .model (load time: best of 3), then encodes every line of
// FILE (split on LF, LF not included) on one thread with the allocation-free fast path
// `encodeIDs(_:into:scratch:)`, N times; prints best and median MB/s (input line bytes per
// second) and the total token count, ending with a machine-parsable line
//   RESULT model=NAME type=unigram|bpe vocab=V lines=L bytes=B repeat=N load_s=S best_mbps=X median_mbps=Y tokens=T
// The reference side is scripts/bench/bench_sentencepiece_reference.py (same format); both are run
// by scripts/bench/bench_encode.sh. --check OUT writes the ids of each line, space-separated, one
// line per input line, for a line-by-line parity check. --fresh loads the model again (not
// timed) before every timed run, so that each run starts with empty word caches (a first pass
// over a corpus); without it, runs after the first find every word of FILE cached.
import Foundation
import Tokki

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func lines(of data: [UInt8]) -> [[UInt8]] {
    var result: [[UInt8]] = []
    var start = 0
    for i in 0..<data.count where data[i] == 0x0A {
        result.append(Array(data[start..<i]))
        start = i + 1
    }
    if start < data.count { result.append(Array(data[start...])) }
    return result
}

struct Measurement { let best: Double; let median: Double }

func measure(_ repeatCount: Int, bytes: Int, _ body: () throws -> Int) rethrows -> Measurement {
    var rates: [Double] = []
    var sink = 0
    for _ in 0..<repeatCount {
        let t0 = now()
        sink &+= try body()
        let dt = now() - t0
        rates.append(Double(bytes) / 1e6 / dt)
    }
    if sink == 42 { print("") }  // keep the work observable
    rates.sort()
    return Measurement(best: rates.last!, median: rates[rates.count / 2])
}

func fail(_ message: String, _ code: Int32) -> Never {
    FileHandle.standardError.write(Data("tokki-bench: \(message)\n".utf8))
    exit(code)
}

let usage = """
    usage: tokki-bench mlm|span ROWS [--batch B] [--repeat N]
           tokki-bench normalize FILE... [--repeat N]
           tokki-bench encode MODEL FILE [--repeat N] [--check OUT] [--pattern P] [--fresh]
    MODEL: a SentencePiece .model, a tokenizer.json, a Tekken .json or a .tiktoken file.
    """

/// Splits `args` into positional arguments and the values of `--repeat` / `--check`.
func parseOptions(_ args: ArraySlice<String>, defaultRepeat: Int) -> (positional: [String], repeatCount: Int, check: String?, pattern: String?, fresh: Bool) {
    var positional: [String] = []
    var fresh = false
    var repeatCount = defaultRepeat
    var check: String?
    var pattern: String?
    var i = args.startIndex
    while i < args.endIndex {
        switch args[i] {
        case "--repeat":
            guard i + 1 < args.endIndex, let n = Int(args[i + 1]), n > 0 else { fail("--repeat needs a positive number\n\(usage)", 64) }
            repeatCount = n; i += 2
        case "--pattern":
            guard i + 1 < args.endIndex else { fail("--pattern needs a name or regex\n\(usage)", 64) }
            pattern = args[i + 1]; i += 2
        case "--fresh":
            fresh = true; i += 1
        case "--check":
            guard i + 1 < args.endIndex else { fail("--check needs a file\n\(usage)", 64) }
            check = args[i + 1]; i += 2
        default:
            positional.append(args[i]); i += 1
        }
    }
    return (positional, repeatCount, check, pattern, fresh)
}

func readFile(_ path: String) -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)", 66) }
    return Array(data)
}

// MARK: normalize

func runNormalize(_ files: [String], repeatCount: Int) throws {
    let modes: [(String, any Normalizer)] = [
        ("icu-nfc", try ICUNormalizer(.nfc)),
        ("icu-nfkc", try ICUNormalizer(.nfkc)),
        ("korean", KoreanNormalizer()),
        ("korean+hanja", NormalizerSequence([KoreanNormalizer(), HanjaNormalizer(.hangul)])),
    ]
    // The Hanja tables are built on first use: not timed.
    _ = try HanjaNormalizer(.hangul).normalize("民法")
    print("ICU \(SystemICU.version), Unicode \(SystemICU.unicodeVersion); one core; best/median of \(repeatCount) runs")
    print("file                         MB     mode        best MB/s  median MB/s")
    for file in files {
        let all = lines(of: readFile(file))
        let total = all.reduce(0) { $0 + $1.count }
        var results: [String: Measurement] = [:]
        for (name, normalizer) in modes {
            let m = try measure(repeatCount, bytes: total) {
                var produced = 0
                for line in all {
                    produced &+= try line.withUnsafeBufferPointer { try normalizer.normalize(utf8: $0) }.normalized.count
                }
                return produced
            }
            results[name] = m
            let label = (file as NSString).lastPathComponent.padding(toLength: 28, withPad: " ", startingAt: 0)
            print("\(label) \(String(format: "%6.2f", Double(total) / 1e6)) \(name.padding(toLength: 11, withPad: " ", startingAt: 0)) \(String(format: "%9.1f", m.best))  \(String(format: "%11.1f", m.median))")
        }
        if let k = results["korean"], let n = results["icu-nfkc"] {
            print("  korean / icu-nfkc throughput ratio: \(String(format: "%.2f", k.best / n.best)) (goal: >= 0.5, i.e. within 2x)")
        }
        if let h = results["korean+hanja"], let k = results["korean"] {
            print("  korean+hanja / korean throughput ratio: \(String(format: "%.2f", h.best / k.best)) (goal on Hanja-free text: >= 0.5; on 30% Hanja: >= 50 MB/s)")
        }
    }
}

// MARK: encode

/// A loaded model as an ids-only encoder (each keeps its own scratch memory) and a label.
func loadEncoder(_ modelPath: String, pattern: String?) throws -> (encode: (UnsafeBufferPointer<UInt8>, inout [Int32]) -> Void, type: String, vocab: Int) {
    let url = URL(fileURLWithPath: modelPath)
    if modelPath.hasSuffix(".json") {
        if let hf = try? HuggingFaceTokenizer(contentsOf: url) {
            var scratch = HuggingFaceTokenizer.Scratch()
            return ({ line, ids in try! hf.encodeIDs(line, into: &ids, scratch: &scratch) }, "tokenizer.json " + hf.modelDescription.split(separator: ",")[0], hf.vocabularySize)
        }
        let tekken = try TekkenTokenizer(contentsOf: url)
        var scratch = HuggingFaceTokenizer.Scratch()
        let shift = Int32(tekken.specialTokens.count)
        return ({ line, ids in
            let start = ids.count
            try! tekken.inner.encodeOrdinary(line, into: &ids, scratch: &scratch)
            for k in start..<ids.count { ids[k] += shift }
        }, "tekken", tekken.vocabularySize)
    }
    if modelPath.hasSuffix(".tiktoken") {
        let enc = try TiktokenTokenizer(contentsOf: url, pattern: pattern)
        var scratch = HuggingFaceTokenizer.Scratch()
        return ({ line, ids in try! enc.encodeOrdinary(line, into: &ids, scratch: &scratch) }, "tiktoken", enc.vocabularySize)
    }
    let sp = try SentencePieceTokenizer(contentsOf: url)
    var scratch = SentencePieceTokenizer.Scratch()
    return ({ line, ids in sp.encodeIDs(line, into: &ids, scratch: &scratch) }, sp.model.modelType.rawValue, sp.vocabularySize)
}

func runEncode(model modelPath: String, file: String, repeatCount: Int, check: String?, pattern: String?, fresh: Bool) {
    var loaded: (encode: (UnsafeBufferPointer<UInt8>, inout [Int32]) -> Void, type: String, vocab: Int)?
    var loadBest = Double.infinity
    for _ in 0..<3 {
        let t0 = now()
        do { loaded = try loadEncoder(modelPath, pattern: pattern) } catch { fail("\(modelPath): \(error)", 65) }
        loadBest = min(loadBest, now() - t0)
    }
    var encoder = loaded!
    let all = lines(of: readFile(file))
    let total = all.reduce(0) { $0 + $1.count }

    var ids: [Int32] = []
    ids.reserveCapacity(4096)
    var tokens = 0
    var rates: [Double] = []
    for _ in 0..<repeatCount {
        var count = 0
        if fresh {
            // A new tokenizer: its word caches start empty, as on a first pass over a corpus.
            do { encoder = try loadEncoder(modelPath, pattern: pattern) } catch { fail("\(modelPath): \(error)", 65) }
        }
        let t0 = now()
        for line in all {
            ids.removeAll(keepingCapacity: true)
            line.withUnsafeBufferPointer { encoder.encode($0, &ids) }
            count &+= ids.count
        }
        let dt = now() - t0
        rates.append(Double(total) / 1e6 / dt)
        tokens = count
    }
    rates.sort()
    let best = rates.last!, median = rates[rates.count / 2]

    if let check {
        var out: [UInt8] = []
        out.reserveCapacity(tokens * 6)
        for line in all {
            ids.removeAll(keepingCapacity: true)
            line.withUnsafeBufferPointer { encoder.encode($0, &ids) }
            for (k, id) in ids.enumerated() {
                if k > 0 { out.append(0x20) }
                out.append(contentsOf: String(id).utf8)
            }
            out.append(0x0A)
        }
        guard FileManager.default.createFile(atPath: check, contents: Data(out)) else { fail("cannot write \(check)", 73) }
    }

    let name = (modelPath as NSString).lastPathComponent
    let type = encoder.type.replacingOccurrences(of: " ", with: "_")
    print("tokki \(name) (\(encoder.type), \(encoder.vocab) ids) on \((file as NSString).lastPathComponent): \(all.count) lines, \(String(format: "%.2f", Double(total) / 1e6)) MB; one thread; best/median of \(repeatCount) runs")
    print("  load \(String(format: "%.4f", loadBest)) s (best of 3); encode best \(String(format: "%.1f", best)) MB/s, median \(String(format: "%.1f", median)) MB/s; \(tokens) tokens")
    print("RESULT model=\(name) type=\(type) vocab=\(encoder.vocab) lines=\(all.count) bytes=\(total) repeat=\(repeatCount) load_s=\(String(format: "%.6f", loadBest)) best_mbps=\(String(format: "%.3f", best)) median_mbps=\(String(format: "%.3f", median)) tokens=\(tokens)")
}

// MARK: main

let args = Array(CommandLine.arguments.dropFirst())
switch args.first {
case "normalize":
    let o = parseOptions(args.dropFirst(), defaultRepeat: 7)
    guard !o.positional.isEmpty, o.check == nil else { fail(usage, 64) }
    try runNormalize(o.positional, repeatCount: o.repeatCount)
case "encode":
    let o = parseOptions(args.dropFirst(), defaultRepeat: 5)
    guard o.positional.count == 2 else { fail(usage, 64) }
    runEncode(model: o.positional[0], file: o.positional[1], repeatCount: o.repeatCount, check: o.check, pattern: o.pattern, fresh: o.fresh)
case "mlm", "span":
    var batch = 32, repeatCount = 7, positional: [String] = []
    var k = 1
    while k < args.count {
        switch args[k] {
        case "--batch": k += 1; batch = k < args.count ? Int(args[k]) ?? 32 : 32
        case "--repeat": k += 1; repeatCount = k < args.count ? Int(args[k]) ?? 7 : 7
        default: positional.append(args[k])
        }
        k += 1
    }
    guard positional.count == 1 else { fail(usage, 64) }
    runBatches(objective: args[0], file: positional[0], batch: batch, repeatCount: repeatCount)
default:
    fail(usage, 64)
}
