import Dispatch
import Foundation

/// The process-wide thread setting, and the one way Tokki runs work on several threads.
///
/// Every parallel loop in Tokki (batch encoding, loading large vocabularies, training,
/// batching, de-duplication) takes its thread count from a call's own `threads` argument or,
/// when that is nil, from ``threads``. Set it once at start-up to bound Tokki's threads in a
/// process that runs other work too — as `TOKENIZERS_PARALLELISM`/`RAYON_NUM_THREADS` do for
/// Hugging Face tokenizers.
///
/// ```swift
/// Parallelism.threads = 4          // or TOKKI_NUM_THREADS=4 in the environment
/// let encodings = try tokenizer.encodeBatch(texts)   // at most 4 threads
/// ```
///
/// Results never depend on the thread count: work is cut into contiguous ranges, and each
/// result depends only on its own index.
public enum Parallelism {
    /// The cores this process may use.
    public static let availableCores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    private static let lock = NSLock()
    nonisolated(unsafe) private static var setting: Int? = nil

    /// The default number of threads (at least 1): what was set here, else the environment
    /// variable `TOKKI_NUM_THREADS` (a positive integer) at first use, else ``availableCores``.
    public static var threads: Int {
        get {
            lock.lock(); defer { lock.unlock() }
            if let setting { return setting }
            let fromEnvironment = ProcessInfo.processInfo.environment["TOKKI_NUM_THREADS"].flatMap { Int($0) }
            let value = fromEnvironment.map { max(1, $0) } ?? availableCores
            setting = value
            return value
        }
        set {
            lock.lock(); defer { lock.unlock() }
            setting = max(1, newValue)
        }
    }

    /// `threads` when given (at least 1), else the process-wide ``threads``.
    public static func resolve(_ threads: Int?) -> Int { threads.map { max(1, $0) } ?? Self.threads }

    /// Runs `body(0)`, `body(1)`, …, `body(tasks - 1)` — at most `threads` at once (nil: the
    /// process setting, which bounds every parallel loop in Tokki) — and returns when all
    /// have finished. With one thread the tasks run in order on the calling thread.
    ///
    /// `body` runs on several threads at once: it must only write state no other task touches.
    package static func run(tasks: Int, threads: Int? = nil, _ body: (_ task: Int) -> Void) {
        if tasks <= 0 { return }
        let width = min(tasks, threads.map { max(1, $0) } ?? .max, Self.threads)
        if width == 1 {
            for task in 0..<tasks { body(task) }
            return
        }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: width) { w in
                var task = w
                while task < tasks { body(task); task += width }
            }
        }
    }

    /// Cuts `0..<count` into contiguous ranges — at most `threads` of them (nil: the process
    /// setting) and at most one per `grain` items — and runs `body` on each, concurrently (one
    /// range per worker, so a worker can keep its own scratch memory). `body` is told which
    /// worker (0, 1, …, in range order) runs the range, so per-worker state kept across calls
    /// (caches, tallies) can be indexed by it. One range runs on the calling thread.
    package static func ranges(_ count: Int, threads: Int? = nil, grain: Int = 1,
                               _ body: (_ worker: Int, Range<Int>) -> Void) {
        let workers = max(1, min(resolve(threads), count / max(1, grain)))
        if workers == 1 {
            if count > 0 { body(0, 0..<count) }
            return
        }
        let chunk = (count + workers - 1) / workers
        run(tasks: workers) { w in
            let lo = w * chunk, hi = min(count, lo + chunk)
            if lo < hi { body(w, lo..<hi) }
        }
    }

    /// Fills an array of `count` results on up to `threads` threads (nil: the process
    /// setting), each worker given one contiguous range and writing only its own elements.
    package static func map<T>(_ count: Int, threads: Int? = nil, empty: T,
                               _ work: (Range<Int>, UnsafeMutableBufferPointer<T>) -> Void) -> [T] {
        var results = [T](repeating: empty, count: count)
        results.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            ranges(count, threads: threads) { _, range in work(range, out) }
        }
        return results
    }
}

/// ``Parallelism/ranges(_:threads:grain:_:)`` without the worker index.
package func parallelRanges(_ count: Int, threads: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    Parallelism.ranges(count, threads: threads, grain: grain) { _, range in body(range) }
}

/// ``Parallelism/ranges(_:threads:grain:_:)`` with an explicit thread count.
package func parallelRanges(_ count: Int, threads: Int, grain: Int = 1, _ body: (_ worker: Int, Range<Int>) -> Void) {
    Parallelism.ranges(count, threads: threads, grain: grain, body)
}

/// A value handed from a task of ``Parallelism/run(tasks:threads:_:)`` to the caller, on the
/// heap: each task writes its own box, and the caller reads the boxes once `run` has returned
/// (which orders the writes before the reads). Stack variables captured by the tasks are
/// avoided: writing a large value into one from another thread tripped AddressSanitizer.
package final class TaskResult<T>: @unchecked Sendable {
    /// The value, once the task has stored it.
    package var value: T?
    /// An empty box.
    package init() { value = nil }
}
