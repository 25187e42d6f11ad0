import Foundation
import TokkiData
import TokkiObjectives

/// A `BatchWriter` that hands batches to another writer on a thread of its own, so that
/// converting and writing them runs beside the building of the next ones. At most `depth`
/// batches wait (memory stays bounded). An error of the inner writer comes back from the next
/// `append` or from `finish()`; `abort()` stops the thread and aborts the inner writer.
final class BackgroundBatchWriter: BatchWriter, @unchecked Sendable {
    // `inner` is used only by the writer thread until that thread has ended, then only by the
    // caller (finish, abort). Everything else is guarded by `condition`.
    private let inner: any BatchWriter
    private let depth: Int
    private let condition = NSCondition()
    private var queue: [Batch] = []
    private var head = 0
    private var closing = false
    private var stopped = false
    private var running = true
    private var failure: DataError?
    private var producerWaiting = false
    private var consumerWaiting = false

    /// Starts the writer thread in front of `inner`.
    init(_ inner: any BatchWriter, depth: Int = 8) {
        self.inner = inner
        self.depth = max(1, depth)
        let thread = Thread { [self] in work() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func work() {
        condition.lock()
        while true {
            while head == queue.count && !closing && !stopped {
                consumerWaiting = true
                condition.wait()
                consumerWaiting = false
            }
            if stopped || head == queue.count { break }
            let batch = queue[head]
            head += 1
            if head > 64 && head * 2 > queue.count { queue.removeSubrange(0..<head); head = 0 }
            // Only a producer blocked on a full queue needs waking (a wake-up is a system call),
            // and only once half the queue is free.
            if producerWaiting && queue.count - head <= depth / 2 { condition.broadcast() }
            condition.unlock()
            var error: DataError?
            do { try inner.append(batch) } catch let e { error = e }
            condition.lock()
            if let error {
                failure = error
                stopped = true
                condition.broadcast()
                break
            }
        }
        running = false
        condition.broadcast()
        condition.unlock()
    }

    /// Queues a batch (waiting while `depth` are queued); throws an earlier batch's error.
    func append(_ batch: Batch) throws(DataError) {
        condition.lock()
        defer { condition.unlock() }
        while queue.count - head >= depth && !stopped {
            producerWaiting = true
            condition.wait()
            producerWaiting = false
        }
        if let failure { throw failure }
        queue.append(batch)
        if consumerWaiting { condition.broadcast() }
    }

    /// Waits for every queued batch, then completes the inner writer.
    func finish() throws(DataError) {
        condition.lock()
        closing = true
        condition.broadcast()
        while running { condition.wait() }
        let failure = failure
        condition.unlock()
        if let failure { throw failure }
        try inner.finish()
    }

    /// Drops the queued batches, waits for the thread and aborts the inner writer.
    func abort() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
        inner.abort()
    }
}
