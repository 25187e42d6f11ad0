import Dispatch
import Foundation

/// The cores this process may use.
let availableCores = ProcessInfo.processInfo.activeProcessorCount

/// Cuts `0..<count` into contiguous ranges — at most `threads` of them and at most one per
/// `grain` items — and runs `body` on each, concurrently (one range per worker, so a worker
/// can keep its own scratch memory). One range runs on the calling thread.
///
/// `body` runs on several threads at once: it must only write state no other range touches.
/// Results that depend only on their own index are therefore the same for any thread count.
public func parallelRanges(_ count: Int, threads: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    parallelRanges(count, threads: threads, grain: grain) { _, range in body(range) }
}

/// ``parallelRanges(_:threads:grain:_:)`` that also tells `body` which worker (0, 1, …, in
/// range order, fewer than `threads`) runs the range, so that per-worker state kept across
/// calls (caches, tallies) can be indexed by it.
public func parallelRanges(_ count: Int, threads: Int, grain: Int = 1, _ body: (_ worker: Int, Range<Int>) -> Void) {
    let workers = max(1, min(threads, count / max(1, grain)))
    if workers == 1 {
        if count > 0 { body(0, 0..<count) }
        return
    }
    let chunk = (count + workers - 1) / workers
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lo = w * chunk, hi = min(count, lo + chunk)
            if lo < hi { body(w, lo..<hi) }
        }
    }
}
