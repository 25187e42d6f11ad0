import Dispatch
import Foundation
import Tokki

/// Distinct words of a normalized corpus with their frequencies: SentencePiece's training
/// view of text (each word starts with `▁`, as `split_by_whitespace` cuts it). Memory is
/// bounded by the number of distinct words, not by the corpus.
struct WordCounts: Sendable {
    /// Word bytes by index.
    private(set) var words: [[UInt8]] = []
    /// Frequency by index.
    private(set) var counts: [Int64] = []
    private var index: [[UInt8]: Int32] = [:]

    mutating func add(_ word: [UInt8], _ count: Int64) {
        if let k = index[word] {
            counts[Int(k)] += count
        } else {
            index[word] = Int32(words.count)
            words.append(word)
            counts.append(count)
        }
    }

    mutating func merge(_ other: WordCounts) {
        for (k, w) in other.words.enumerated() { add(w, other.counts[k]) }
    }

    var isEmpty: Bool { words.isEmpty }

    /// The words sorted by bytes (a deterministic order whatever the threads did).
    func sorted() -> [(word: [UInt8], count: Int64)] {
        zip(words, counts).sorted { $0.0.lexicographicallyPrecedes($1.0) }.map { ($0.0, $0.1) }
    }

    /// Normalizes `lines` with `normalizer` on `threads` threads and adds their words.
    mutating func add(lines: [[UInt8]], normalizer: SentencePieceNormalizer, threads: Int) {
        let workers = max(1, min(threads, lines.count / 256 + 1))
        var partial = [WordCounts](repeating: WordCounts(), count: workers)
        partial.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            let chunk = (lines.count + workers - 1) / workers
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var local = WordCounts()
                var output = SentencePieceNormalizer.Output()
                let lo = w * chunk, hi = min(lines.count, lo + chunk)
                guard lo < hi else { return }
                for k in lo..<hi {
                    lines[k].withUnsafeBufferPointer { normalizer.normalize($0, into: &output) }
                    for word in Self.split(output.bytes) { local.add(word, 1) }
                }
                out[w] = local
            }
        }
        for p in partial { merge(p) }
    }

    /// Cuts normalized text before every `▁` (U+2581).
    static func split(_ text: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var start = 0
        var i = 0
        let n = text.count
        while i < n {
            if i > start && i + 2 < n && text[i] == 0xE2 && text[i + 1] == 0x96 && text[i + 2] == 0x81 {
                out.append(Array(text[start..<i]))
                start = i
            }
            i += 1
        }
        if start < n { out.append(Array(text[start..<n])) }
        return out
    }
}
