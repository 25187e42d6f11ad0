// tokki-bench: throughput of Tokki's normalizers, side by side, in one run.
//
//   tokki-bench normalize FILE... [--repeat N]
//
// For each file it normalizes every line (as the CLI does) with raw ICU NFC, raw ICU NFKC
// and the Korean preset, repeats N times, and prints the best and median MB/s per mode on
// one core, plus the Korean/NFKC ratio.
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

let args = Array(CommandLine.arguments.dropFirst())
guard args.first == "normalize" else {
    FileHandle.standardError.write(Data("usage: tokki-bench normalize FILE... [--repeat N]\n".utf8))
    exit(64)
}
var files: [String] = []
var repeatCount = 7
var i = 1
while i < args.count {
    if args[i] == "--repeat", i + 1 < args.count, let n = Int(args[i + 1]) { repeatCount = n; i += 2; continue }
    files.append(args[i]); i += 1
}

let modes: [(String, any Normalizer)] = [
    ("icu-nfc", try ICUNormalizer(.nfc)),
    ("icu-nfkc", try ICUNormalizer(.nfkc)),
    ("korean", KoreanNormalizer()),
]
print("ICU \(UnicodeNames.icuVersion), Unicode \(UnicodeNames.unicodeVersion); one core; best/median of \(repeatCount) runs")
print("file                         MB     mode        best MB/s  median MB/s")
for file in files {
    guard let data = FileManager.default.contents(atPath: file) else {
        FileHandle.standardError.write(Data("cannot read \(file)\n".utf8)); exit(66)
    }
    let all = lines(of: Array(data))
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
}
