import Foundation
import Synchronization

/// A value computed on a thread of its own; ``wait()`` blocks until it is there.
final class Background<Value: Sendable>: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let value = Mutex<Value?>(nil)

    init(_ work: @escaping @Sendable () -> Value) {
        Thread.detachNewThread { [self] in
            let computed = work()
            value.withLock { $0 = computed }
            done.signal()
        }
    }

    /// Whether the value is there (never blocks).
    var isDone: Bool { value.withLock { $0 != nil } }

    /// The value, once computed (any number of callers).
    func wait() -> Value {
        done.wait()
        done.signal()
        return value.withLock { $0! }
    }
}
