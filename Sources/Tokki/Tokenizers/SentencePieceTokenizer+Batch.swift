import Dispatch
import Foundation

extension SentencePieceTokenizer {
    /// Encodes many texts on `threads` threads (default: all cores). The result is the same
    /// whatever the thread count.
    public func encodeBatch(_ texts: [String], addBOS: Bool = false, addEOS: Bool = false, threads: Int? = nil) -> [Encoding] {
        Self.parallelMap(texts.count, threads: threads, empty: Encoding(ids: [], pieces: [], offsets: [], characterOffsets: [])) {
            (range, out) in
            for k in range { out[k] = encode(texts[k], addBOS: addBOS, addEOS: addEOS) }
        }
    }

    /// The ids of many texts, encoded on `threads` threads.
    public func encodeIDsBatch(_ texts: [String], addBOS: Bool = false, addEOS: Bool = false, threads: Int? = nil) -> [[Int]] {
        Self.parallelMap(texts.count, threads: threads, empty: []) { (range, out) in
            var scratch = Scratch()
            var ids: [Int32] = []
            for k in range {
                ids.removeAll(keepingCapacity: true)
                var s = texts[k]
                s.withUTF8 { encodeIDs($0, into: &ids, scratch: &scratch, addBOS: addBOS, addEOS: addEOS) }
                out[k] = ids.map(Int.init)
            }
        }
    }

    /// Fills `count` results on up to `threads` threads, each thread given one contiguous
    /// range (so per-thread scratch buffers are reused); element `k` depends only on `k`.
    static func parallelMap<T>(_ count: Int, threads: Int?, empty: T,
                               _ work: (Range<Int>, UnsafeMutableBufferPointer<T>) -> Void) -> [T] {
        var results = [T](repeating: empty, count: count)
        let workers = max(1, min(threads ?? ProcessInfo.processInfo.activeProcessorCount, count))
        results.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            let chunk = (count + workers - 1) / workers
            withoutActuallyEscaping(work) { work in
                nonisolated(unsafe) let work = work
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    let lo = w * chunk, hi = min(count, lo + chunk)
                    if lo < hi { work(lo..<hi, out) }
                }
            }
        }
        return results
    }
}
