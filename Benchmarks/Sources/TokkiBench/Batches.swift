// tokki-bench mlm|span ROWS [--batch B] [--repeat N]: collator throughput on pre-tokenized rows.
//
// ROWS has one row per line, ids separated by spaces (MLM rows include <s> … </s>; span rows
// hold 568 raw tokens). Rows are cut into batches of B (32) and each batch is built on one
// thread: MLM pads to 512 and masks (15%, 80/10/10, Bernoulli, as HF's collator); span
// corruption builds 512-token inputs and 114-token targets. Prints samples/s (best and median of
// N passes over all rows) and a machine-parsable line
//   RESULT objective=mlm|span rows=R batch=B repeat=N best_sps=X median_sps=Y tokens=T
// The reference side is scripts/bench/bench_collators_reference.py; scripts/bench/bench_batches.sh runs both.
import Foundation
import Tokki
import TokkiObjectives

func readRows(_ path: String) -> [[Int32]] {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)", 66) }
    return lines(of: [UInt8](data)).compactMap { line -> [Int32]? in
        let row = line.split(separator: 0x20).compactMap { Int32(String(decoding: $0, as: UTF8.self)) }
        return row.isEmpty ? nil : row
    }
}

/// The default Tokki vocabulary's special ids (Vocab/tokki-ko-bpe-16k.model).
func benchTokens() -> SpecialTokens {
    SpecialTokens(vocabularySize: 16000, special: Set((0...104).map { Int32($0) }), pad: 3, bos: 1, eos: 2, mask: 4,
                  lookup: { name in
                      if name.hasPrefix("<extra_id_"), let k = Int(name.dropFirst(10).dropLast()), k < 100 { return Int32(5 + k) }
                      return nil
                  })
}

func runBatches(objective: String, file: String, batch: Int, repeatCount: Int) {
    let rows = readRows(file)
    guard !rows.isEmpty else { fail("\(file) holds no rows", 65) }
    let tokens = rows.reduce(0) { $0 + $1.count }
    var sps: [Double] = []
    var sink: Int32 = 0
    switch objective {
    case "mlm":
        guard let mlm = try? MaskedLanguageModeling(.init(), tokens: benchTokens()) else { fail("bad MLM settings", 64) }
        for pass in 0..<repeatCount {
            let t0 = now()
            var start = 0
            while start < rows.count {
                let end = min(rows.count, start + batch)
                let b = mlm.batch(Array(rows[start..<end]), firstSample: UInt64(pass * rows.count + start), width: 512)
                sink &+= b.tensors[2].values[0]
                start = end
            }
            sps.append(Double(rows.count) / (now() - t0))
        }
    case "span":
        guard let span = try? SpanCorruption(.init(), tokens: benchTokens()) else { fail("bad span settings", 64) }
        for pass in 0..<repeatCount {
            let t0 = now()
            var start = 0
            while start < rows.count {
                let end = min(rows.count, start + batch)
                let b = span.batch(Array(rows[start..<end]), firstSample: UInt64(pass * rows.count + start))
                sink &+= b.tensors[2].values[0]
                start = end
            }
            sps.append(Double(rows.count) / (now() - t0))
        }
    default:
        fail(usage, 64)
    }
    if sink == 123_456_789 { print("") }
    sps.sort()
    let best = sps.last!, median = sps[sps.count / 2]
    print("tokki \(objective) collator: \(rows.count) rows in batches of \(batch), one thread; best \(String(format: "%.0f", best)) samples/s, median \(String(format: "%.0f", median))")
    print("RESULT objective=\(objective) rows=\(rows.count) batch=\(batch) repeat=\(repeatCount) best_sps=\(String(format: "%.1f", best)) median_sps=\(String(format: "%.1f", median)) tokens=\(tokens)")
}
