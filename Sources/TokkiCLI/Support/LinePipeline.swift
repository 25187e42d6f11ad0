import ArgumentParser
import Dispatch
import Synchronization
import Tokki

/// Lines read into batches, each batch one contiguous buffer (no array per line), processed
/// on worker threads while the next batch is read; the results are consumed on the calling
/// thread in input order. With one worker nothing runs beside the caller (`--threads 1` uses
/// one core).
final class LineBatch: @unchecked Sendable {
    /// The lines' bytes back to back; line `k` is `bytes[starts[k] ..< starts[k + 1]]`.
    private(set) var bytes: [UInt8] = []
    private(set) var starts: [Int] = [0]
    /// The input byte offset of each line's first byte.
    private(set) var offsets: [Int] = []
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
        return invalidUTF8(batch.source, line: batch.firstLine + line, lineOffset: batch.offsets[line], byteInLine: invalidByte)
    }
}

/// One job ahead: ``start(_:)`` waits for the job before (returning its result) and starts
/// the next, in the background when `background` (so that the caller reads on meanwhile),
/// otherwise right away; ``finish()`` returns the last job's result.
struct WorkAhead<R>: ~Copyable {
    let background: Bool
    private var pending: (DispatchGroup, TaskResult<R>)? = nil
    private var ready: R? = nil

    init(background: Bool) { self.background = background }

    mutating func start(_ work: @escaping @Sendable () -> R) -> R? {
        let previous = finish()
        if background {
            let group = DispatchGroup(), slot = TaskResult<R>()
            group.enter()
            DispatchQueue.global().async {
                slot.value = work()
                group.leave()
            }
            pending = (group, slot)
        } else {
            ready = work()
        }
        return previous
    }

    mutating func finish() -> R? {
        if let (group, slot) = pending {
            group.wait()
            pending = nil
            return slot.value
        }
        defer { ready = nil }
        return ready
    }
}

enum LinePipeline {
    static let batchLines = 4096
    static let batchBytes = 1 << 20

    /// Cuts `0..<count` into `chunkCount(count, workers)` contiguous chunks that `workers`
    /// threads take in turn as they become free (so that a slow chunk does not leave the
    /// other cores idle); `body(worker, chunk, range)` — the worker index lets per-worker
    /// state (encoders, tallies) be kept, the chunk index orders the results.
    static func chunks(_ count: Int, workers: Int, _ body: (_ worker: Int, _ chunk: Int, Range<Int>) -> Void) {
        let chunks = chunkCount(count, workers: workers)
        guard chunks > 0 else { return }
        let size = (count + chunks - 1) / chunks
        let next = Atomic<Int>(0)
        Parallelism.run(tasks: min(workers, chunks), threads: workers) { w in
            while true {
                let c = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if c >= chunks { return }
                body(w, c, (c * size)..<min(count, (c + 1) * size))
            }
        }
    }

    /// The number of chunks ``chunks(_:workers:_:)`` cuts `count` items into: 8 per worker, at
    /// least 64 items each (one chunk for a single worker).
    static func chunkCount(_ count: Int, workers: Int) -> Int {
        guard count > 0 else { return 0 }
        if workers <= 1 { return 1 }
        return max(1, min(8 * workers, count / 64))
    }

    /// Reads the lines of `inputs` (nil: stdin) in batches; `process` runs on each batch (off
    /// the calling thread when `workers` > 1, while the next batch is read) and `consume` gets
    /// each batch with its result on the calling thread, in order, one batch behind. A read error (a line over
    /// the limit) is thrown after every batch before it has been consumed.
    static func run<R>(inputs: [String?], maxLineBytes: Int, workers: Int,
                       process: @escaping @Sendable (LineBatch) -> R,
                       consume: (LineBatch, R) throws(ExitCode) -> Void) throws {
        // The batch before is waited for, the new one started, and only then the one before
        // consumed: the workers never wait for the caller's writing.
        var ahead = WorkAhead<(LineBatch, R)>(background: workers > 1)
        var spare: [LineBatch] = [LineBatch(), LineBatch()]
        var filling = spare.removeLast()
        var consumerFailed = false
        func consumeOrStop(_ done: (LineBatch, R)?) throws(ExitCode) {
            guard let (batch, result) = done else { return }
            spare.append(batch)
            do { try consume(batch, result) } catch { consumerFailed = true; throw error }
        }

        func finishPending() throws(ExitCode) {
            try consumeOrStop(ahead.finish())
        }

        func submit() throws(ExitCode) {
            guard filling.count > 0 else { return }
            let batch = filling
            let previous = ahead.start { (batch, process(batch)) }
            filling = spare.popLast() ?? LineBatch()
            try consumeOrStop(previous)
        }

        do {
            for path in inputs {
                var reader = try LineReader.open(path, maxLineBytes: maxLineBytes)
                let source = reader.displayName
                var lineNumber = 0
                filling.reset(firstLine: 1, source: source)
                try reader.forEachLine { (line, _, offset) throws(ExitCode) in
                    lineNumber += 1
                    filling.append(line, offset: offset)
                    if filling.count >= batchLines || filling.bytes.count >= batchBytes {
                        try submit()
                        filling.reset(firstLine: lineNumber + 1, source: source)
                    }
                }
                try submit()
                filling.reset(firstLine: lineNumber + 1, source: source)
            }
            try finishPending()
        } catch {
            // A read error (a line over the limit): the lines read before it are still
            // processed and consumed, in order, then the error is reported.
            if !consumerFailed {
                try submit()
                try finishPending()
            }
            throw error
        }
    }
}
