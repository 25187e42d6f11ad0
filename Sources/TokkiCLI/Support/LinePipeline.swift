import ArgumentParser
import Foundation
import Tokki

/// Lines read into batches, each batch one contiguous buffer (no array per line), processed
/// on worker threads (``OrderedWorkers``) while the next batches are read; the results are
/// consumed on the calling thread in input order. With one worker nothing runs beside the
/// caller (`--threads 1` uses one core).
final class LineBatch: @unchecked Sendable {
    // Written once per line: the writes are not checked for exclusive access at run time (a
    // check costs more than the append). A batch is filled by the reading thread alone, then
    // only read by one worker, and no access to these arrays overlaps another.
    /// The lines' bytes back to back; line `k` is `bytes[starts[k] ..< starts[k + 1]]`.
    @exclusivity(unchecked) private(set) var bytes: [UInt8] = []
    @exclusivity(unchecked) private(set) var starts: [Int] = [0]
    /// The input byte offset of each line's first byte.
    @exclusivity(unchecked) private(set) var offsets: [Int] = []
    /// The 1-based number of the batch's first line in its input.
    var firstLine = 1
    /// The name of the input, for messages.
    var source = ""

    var count: Int { offsets.count }

    func append(_ line: UnsafeBufferPointer<UInt8>, offset: Int) {
        bytes.append(contentsOf: line)
        starts.append(bytes.count)
        offsets.append(offset)
    }

    func reset(firstLine: Int, source: String) {
        bytes.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        starts.append(0)
        offsets.removeAll(keepingCapacity: true)
        self.firstLine = firstLine
        self.source = source
    }

    /// Calls `body` with line `k`.
    @inline(__always)
    func withLine<R>(_ k: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let s = starts[k], e = starts[k + 1]
        return bytes.withUnsafeBufferPointer { b in body(UnsafeBufferPointer(rebasing: b[s..<e])) }
    }
}

/// Why a worker stopped inside a batch: the line it stopped at (its output covers the lines
/// before) and the error.
struct LineFailure: Sendable {
    var line: Int
    var error: TokkiError?
    /// Invalid UTF-8 at this byte of the line (when `error` is nil).
    var invalidByte: Int

    /// The exit for this failure in `batch`.
    func exit(_ batch: LineBatch) -> ExitCode {
        if let error { return fail(error) }
        let text = line + 1 < batch.starts.count ? Array(batch.bytes[batch.starts[line]..<batch.starts[line + 1]]) : nil
        return invalidUTF8(batch.source, line: batch.firstLine + line, lineOffset: batch.offsets[line], byteInLine: invalidByte, text: text)
    }
}

/// Jobs run on `workers` threads that stay up for the whole run and take the next queued
/// job as soon as they finish one; the results come back on the submitting thread, in
/// submission order. At most `depth` jobs are queued or running (memory stays bounded); the
/// submitting thread blocks only while that many are pending. With one worker each job runs
/// at once on the submitting thread and no thread is started (`--threads 1` uses one core).
///
/// Workers never wait for each other between jobs (there is no barrier per batch): a barrier
/// leaves a core idle at every batch end, and a sleeping worker, once woken, is often put on
/// the busy core, where it waits for the scheduler's next balancing tick.
final class OrderedWorkers<R>: @unchecked Sendable {
    typealias Job = @Sendable (_ worker: Int) -> R

    let workers: Int
    private let depth: Int
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var queue: [(sequence: Int, job: Job)] = []
    private var head = 0
    /// Finished results, at `sequence % depth` (fewer than `depth` are ever pending).
    private var finished: [R?]
    private var submitted = 0
    private var delivered = 0
    private var closed = false
    private var alive = 0

    init(workers: Int, depth: Int? = nil) {
        self.workers = max(1, workers)
        self.depth = max(2, depth ?? 4 * self.workers)
        finished = [R?](repeating: nil, count: self.depth)
        guard self.workers > 1 else { return }
        alive = self.workers
        for w in 0..<self.workers {
            let thread = Thread { [self] in work(w) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Queues `job` and returns the results that are ready, in order (waiting first while
    /// `depth` jobs are pending).
    func submit(_ job: @escaping Job) -> [R] {
        if workers == 1 { return [job(0)] }
        condition.lock()
        defer { condition.unlock() }
        queue.append((submitted, job))
        submitted += 1
        condition.broadcast()
        var ready: [R] = []
        takeReady(into: &ready)
        while submitted - delivered >= depth {
            condition.wait()
            takeReady(into: &ready)
        }
        return ready
    }

    /// Waits for every queued job and returns the results not yet returned, in order.
    func finish() -> [R] {
        guard workers > 1 else { return [] }
        condition.lock()
        defer { condition.unlock() }
        var ready: [R] = []
        takeReady(into: &ready)
        while delivered < submitted {
            condition.wait()
            takeReady(into: &ready)
        }
        return ready
    }

    /// Stops the threads: queued jobs not yet started are dropped; returns once every
    /// thread has ended. Call it once, when done (also after an error).
    func close() {
        guard workers > 1 else { return }
        condition.lock()
        closed = true
        condition.broadcast()
        while alive > 0 { condition.wait() }
        condition.unlock()
    }

    /// Moves the results due next into `ready`. Called with the lock held.
    private func takeReady(into ready: inout [R]) {
        while delivered < submitted, let r = finished[delivered % depth] {
            finished[delivered % depth] = nil
            ready.append(r)
            delivered += 1
        }
    }

    private func work(_ w: Int) {
        condition.lock()
        while true {
            while head == queue.count && !closed { condition.wait() }
            if closed { break }
            let (sequence, job) = queue[head]
            head += 1
            if head == queue.count { queue.removeAll(keepingCapacity: true); head = 0 }
            condition.unlock()
            let r = job(w)
            condition.lock()
            // `sequence` is below `delivered + depth` (submit waits for that), so its slot is free.
            assert(finished[sequence % depth] == nil)
            finished[sequence % depth] = r
            condition.broadcast()
        }
        alive -= 1
        condition.broadcast()
        condition.unlock()
    }
}

enum LinePipeline {
    /// A batch — one job for one worker — ends after this many lines or bytes: small enough
    /// that the last batch leaves the other workers idle only briefly, large enough that
    /// handing it over costs nothing measurable.
    static let batchLines = 2048
    static let batchBytes = 1 << 18

    /// Reads the lines of `inputs` (nil: stdin) in batches; `process(batch, worker)` runs on
    /// each batch on one of `workers` threads (the worker index lets per-worker state such
    /// as encoders and tallies be kept) while the next batches are read, and `consume` gets
    /// each batch with its result on the calling thread, in order. A read error (a line over
    /// the limit) is thrown after every batch before it has been consumed.
    static func run<R>(inputs: [String?], maxLineBytes: Int, workers: Int,
                       process: @escaping @Sendable (LineBatch, _ worker: Int) -> R,
                       consume: (LineBatch, R) throws(ExitCode) -> Void) throws {
        let pool = OrderedWorkers<(LineBatch, R)>(workers: workers)
        defer { pool.close() }
        // The state is a struct with mutating methods, not local variables shared by nested
        // functions and the line closure: those would be boxed and every access checked for
        // exclusivity at run time, several times per line.
        var feed = Feed<R>()
        do {
            for path in inputs {
                var reader = try LineReader.open(path, maxLineBytes: maxLineBytes)
                let source = reader.displayName
                feed.lineNumber = 0
                feed.filling.reset(firstLine: 1, source: source)
                try reader.forEachLine { (line, _, offset) throws(ExitCode) in
                    feed.lineNumber += 1
                    feed.filling.append(line, offset: offset)
                    if feed.filling.count >= batchLines || feed.filling.bytes.count >= batchBytes {
                        try feed.submit(pool, process, consume)
                        feed.filling.reset(firstLine: feed.lineNumber + 1, source: source)
                    }
                }
                try feed.submit(pool, process, consume)
                feed.filling.reset(firstLine: feed.lineNumber + 1, source: source)
            }
            try feed.consumeAll(pool.finish(), consume)
        } catch {
            // A read error (a line over the limit): the lines read before it are still
            // processed and consumed, in order, then the error is reported.
            if !feed.consumerFailed {
                try feed.submit(pool, process, consume)
                try feed.consumeAll(pool.finish(), consume)
            }
            throw error
        }
    }

    /// The reading side of ``run(inputs:maxLineBytes:workers:process:consume:)``: the batch
    /// being filled, spare batches to reuse, and the line count.
    private struct Feed<R> {
        var filling = LineBatch()
        var spare: [LineBatch] = []
        var consumerFailed = false
        var lineNumber = 0

        mutating func consumeAll(_ done: [(LineBatch, R)], _ consume: (LineBatch, R) throws(ExitCode) -> Void) throws(ExitCode) {
            for (batch, result) in done {
                do { try consume(batch, result) } catch { consumerFailed = true; throw error }
                spare.append(batch)
            }
        }

        /// Hands the filled batch to the workers and consumes the results that are ready.
        mutating func submit(_ pool: OrderedWorkers<(LineBatch, R)>, _ process: @escaping @Sendable (LineBatch, _ worker: Int) -> R,
                             _ consume: (LineBatch, R) throws(ExitCode) -> Void) throws(ExitCode) {
            guard filling.count > 0 else { return }
            let batch = filling
            filling = spare.popLast() ?? LineBatch()
            try consumeAll(pool.submit { w in (batch, process(batch, w)) }, consume)
        }
    }
}
