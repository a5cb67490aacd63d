import Foundation

/// Each job's class in a trace: jobs whose requests are the same but for the time limit, from the same
/// account, share one (they wait in one bucket, `WaitQueue.Key`). Classes are numbered in the order they
/// first appear in the trace, so the numbering is the same on every run.
///
/// A replay looks an arrival's bucket up by its class, without hashing or comparing its request (a request
/// has fifteen fields). The classes are worked out in chunks, in trace order, by whoever gets to a chunk
/// first: the event loop, when it reads a job whose chunk is not done (`of`), or work the caller runs beside
/// the loop on a thread of its own (`workAhead`, through `Simulator.run`'s `beside` on a long trace), which
/// keeps ahead of the loop since the loop does far more work per job. One chunk is worked at a time, so
/// either way a job's class is the same. The type starts no thread: the loop waits only for a chunk that is
/// being worked out, never for one that no one has begun, so it makes progress whether or not, and however
/// late, the work beside it runs.
final class ArrivalClasses: @unchecked Sendable {
    /// Traces of at least this many jobs are worth working out ahead of the loop.
    static let aheadThreshold = 65_536
    /// Jobs worked out at a time.
    static let chunk = 8_192

    private let jobs: [SimulatedJob]
    private let classes: UnsafeMutableBufferPointer<Int32>
    /// Each class seen so far, by key (changed only by the one working on a chunk: `working`).
    private var number: [WaitQueue.Key: Int32] = [:]
    /// The number of jobs, from the first, whose classes are written, and whether a chunk is being worked out
    /// (both guarded by `lock`; the loop reads `done` through `known`, its own copy).
    private var done = 0
    private var working = false
    /// The replay is over: work ahead stops after its chunk (guarded by `lock`).
    private var finished = false
    private let lock = NSCondition()
    /// The loop's copy of `done`, renewed only when it asks for a job beyond it.
    private var known = 0

    /// The classes of `jobs`' jobs, worked out as they are asked for (`of`) or ahead (`workAhead`).
    init(jobs: [SimulatedJob]) {
        self.jobs = jobs
        classes = .allocate(capacity: max(jobs.count, 1))
    }

    deinit { classes.deallocate() }

    /// Job `index`'s class: if its chunk is not done yet, the caller works it out (and those before it),
    /// or waits while someone else works one out.
    func of(_ index: Int) -> Int {
        if index >= known {
            lock.lock()
            while done <= index {
                if working {
                    lock.wait()
                } else {
                    workNextChunk()
                }
            }
            known = done
            lock.unlock()
        }
        return Int(classes[index])
    }

    /// Works out every chunk not yet begun, in order, and returns once none is left or the replay is over
    /// (`finish`); meant for a thread beside the event loop. Reads of `of` meanwhile are answered as soon as
    /// their chunk is done.
    func workAhead() {
        lock.lock()
        while done < jobs.count && !finished {
            if working {
                lock.wait()
            } else {
                workNextChunk()
            }
        }
        lock.unlock()
    }

    /// The replay no longer reads classes: work ahead stops (a replay that ends early, or fails, leaves the
    /// rest of a long trace unclassified).
    func finish() {
        lock.lock()
        finished = true
        lock.unlock()
    }

    /// Works out the chunk after `done`, outside the lock (held on entry and on return), and wakes whoever
    /// waits for it.
    private func workNextChunk() {
        working = true
        let from = done
        let to = min(from + Self.chunk, jobs.count)
        lock.unlock()
        // (The dictionary is worked on as a local, moved out and back: a class's property would be checked for
        // exclusive access on every use.)
        var number: [WaitQueue.Key: Int32] = [:]
        swap(&number, &self.number)
        for i in from..<to {
            let key = WaitQueue.Key(job: jobs[i].request, account: jobs[i].account, nice: 0)
            let next = Int32(number.count)
            classes[i] = number[key, default: next]
            if classes[i] == next { number[key] = next }
        }
        swap(&number, &self.number)
        lock.lock()
        done = to
        working = false
        lock.broadcast()
    }
}
