import Foundation

/// Each job's class in a trace: jobs whose requests are the same but for the time limit, from the same
/// account, share one (they wait in one bucket, `WaitQueue.Key`). Classes are numbered in the order they
/// first appear in the trace, so the numbering is the same on every run.
///
/// A replay looks an arrival's bucket up by its class, without hashing or comparing its request (some 400
/// instructions an arrival, on the loop's one thread). On a long trace a second thread works the classes out
/// ahead of the event loop, in chunks, and the loop reads each job's class once that job's chunk is done
/// (it waits, which it seldom has to: the loop does some ten times the work per job). On a short trace
/// they are worked out at once. Either way a job's class is the same.
final class ArrivalClasses: @unchecked Sendable {
    /// Traces of at least this many jobs get a thread of their own.
    static let backgroundThreshold = 65_536
    /// Jobs a thread works out between two reports of its progress.
    static let chunk = 8_192

    private let classes: UnsafeMutableBufferPointer<Int32>
    /// The number of jobs, from the first, whose classes are written (guarded by `lock`; read by the loop
    /// through `known`, its own copy).
    private var done = 0
    private let lock = NSCondition()
    /// The loop's copy of `done`, renewed only when it asks for a job beyond it.
    private var known = 0

    /// The classes of `jobs`' jobs, on a thread of their own if `background` (nil: when the trace is long).
    init(jobs: [SimulatedJob], background: Bool? = nil) {
        classes = .allocate(capacity: max(jobs.count, 1))
        if background ?? (jobs.count >= Self.backgroundThreshold) {
            // (The thread holds this object until it is done: its storage outlives the work.)
            let thread = Thread { [self] in work(jobs) }
            thread.stackSize = 1 << 20
            thread.start()
        } else {
            work(jobs)
            known = jobs.count
        }
    }

    deinit { classes.deallocate() }

    /// Job `index`'s class (waiting, if need be, until it is worked out).
    func of(_ index: Int) -> Int {
        if index >= known {
            lock.lock()
            while done <= index { lock.wait() }
            known = done
            lock.unlock()
        }
        return Int(classes[index])
    }

    private func work(_ jobs: [SimulatedJob]) {
        var number: [WaitQueue.Key: Int32] = [:]
        var from = 0
        while from < jobs.count {
            let to = min(from + Self.chunk, jobs.count)
            for i in from..<to {
                let key = WaitQueue.Key(job: jobs[i].request, account: jobs[i].account, nice: 0)
                let next = Int32(number.count)
                classes[i] = number[key, default: next]
                if classes[i] == next { number[key] = next }
            }
            from = to
            lock.lock()
            done = to
            lock.broadcast()
            lock.unlock()
        }
    }
}
