import Foundation
import Synchronization

/// Runs jobs on worker threads of their own, at most `jobs` at a time, and returns their
/// results in job order, whatever order they finished in.
///
/// Own threads, not `concurrentPerform` (which caps at the core count): review tasks mostly
/// wait on sandboxes and model servers, so `jobs` may exceed the cores.
enum TaskPool {
    static func run<Result: Sendable>(count: Int, jobs: Int, _ work: @escaping @Sendable (Int) -> Result) -> [Result] {
        let shared = Shared<Result>(count: count)
        let group = DispatchGroup()
        for _ in 0..<max(1, min(jobs, count)) {
            group.enter()
            Thread.detachNewThread {
                while let index = shared.take() { shared.put(work(index), at: index) }
                group.leave()
            }
        }
        group.wait()
        return shared.results()
    }

    /// The next job index and the results, shared by the workers.
    private final class Shared<Result: Sendable>: Sendable {
        private let count: Int
        private let next = Mutex(0)
        private let slots: Mutex<[Result?]>

        init(count: Int) {
            self.count = count
            slots = Mutex(Array(repeating: nil, count: count))
        }

        func take() -> Int? {
            next.withLock { next in
                guard next < count else { return nil }
                next += 1
                return next - 1
            }
        }

        func put(_ result: Result, at index: Int) {
            slots.withLock { $0[index] = result }
        }

        func results() -> [Result] {
            slots.withLock { $0.map { $0! } }
        }
    }
}
