import Foundation
import Testing
@testable import TokkiCLI

/// The worker pool under the line pipeline, `prepare` and `batch`: results come back in
/// submission order whatever the job durations, at most `depth` jobs are pending, every
/// worker index is in range, and closing early (after an error) ends the threads.
@Suite("Ordered workers")
struct OrderedWorkersTests {
    final class Counter: @unchecked Sendable {
        let lock = NSLock()
        var running = 0, most = 0, badWorker = false
        func enter(_ w: Int, _ workers: Int) {
            lock.lock(); defer { lock.unlock() }
            running += 1; most = max(most, running)
            if w < 0 || w >= workers { badWorker = true }
        }
        func leave() { lock.lock(); running -= 1; lock.unlock() }
    }

    @Test(arguments: [1, 2, 3, 5])
    func resultsComeBackInOrder(_ workers: Int) {
        let pool = OrderedWorkers<Int>(workers: workers, depth: 4)
        defer { pool.close() }
        let counter = Counter()
        var got: [Int] = []
        for k in 0..<300 {
            got += pool.submit { w in
                counter.enter(w, workers)
                // Uneven durations, so that later jobs often finish first.
                usleep(UInt32((k * 7919) % 5) * 100)
                counter.leave()
                return k
            }
        }
        got += pool.finish()
        #expect(got == Array(0..<300))
        #expect(!counter.badWorker)
        #expect(counter.most <= workers)
        #expect(pool.finish().isEmpty)
    }

    @Test func closingEarlyDropsQueuedJobsAndEnds() {
        let pool = OrderedWorkers<Int>(workers: 3, depth: 6)
        var got: [Int] = []
        for k in 0..<5 { got += pool.submit { _ in usleep(2000); return k } }
        pool.close()
        // Whatever had finished came back in order; nothing after close.
        #expect(got == Array(0..<got.count))
    }
}
