import Foundation
import Synchronization

/// A value computed on a thread of its own; ``wait()`` blocks until it is there.
public final class Background<Value: Sendable>: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let value = Mutex<Value?>(nil)

    public init(_ work: @escaping @Sendable () -> Value) {
        Thread.detachNewThread { [self] in
            let computed = work()
            value.withLock { $0 = computed }
            done.signal()
        }
    }

    /// Whether the value is there (never blocks).
    public var isDone: Bool { value.withLock { $0 != nil } }

    /// The value, once computed (any number of callers).
    public func wait() -> Value {
        done.wait()
        done.signal()
        return value.withLock { $0! }
    }
}
