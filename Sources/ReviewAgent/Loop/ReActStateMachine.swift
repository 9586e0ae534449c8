/// The ReAct protocol as a pure state machine: which node may follow which, and the bounds.
///
/// Start -> Plan -> Execute -> (failed -> Reflect -> Execute)* -> Finish. Finish must follow
/// a successful Execute, unless a bound was reached (then the task ends with what was proven).
/// In *strict* mode (a model's replies) Reflect must follow a failed Execute; the built-in
/// policy, whose Executes are investigations, may also reflect on a successful one and
/// finish on a concluding Reflect. It performs no I/O; ``AgentLoop`` drives it.
public struct ReActStateMachine: Hashable, Sendable {
    /// Where the loop is.
    public enum State: Hashable, Sendable {
        case start
        case planned
        case executed(succeeded: Bool)
        case reflected
        case finished

        /// The node the state stands at, as the seed model's turns name it (`当前状态:Plan`).
        public var node: String {
            switch self {
            case .start: return "Start"
            case .planned: return AgentNode.plan.rawValue
            case .executed: return AgentNode.execute.rawValue
            case .reflected: return AgentNode.reflect.rawValue
            case .finished: return AgentNode.finish.rawValue
            }
        }
    }

    /// Why a transition is refused.
    public enum Violation: Error, Hashable, Sendable, CustomStringConvertible {
        case notAllowed(from: State, to: AgentNode)
        case stepLimit(Int)
        case reflectLimit(Int)

        public var description: String {
            switch self {
            case .notAllowed(let from, let to): return "\(to.rawValue) may not follow \(from)"
            case .stepLimit(let limit): return "the step limit (\(limit)) is reached"
            case .reflectLimit(let limit): return "the reflect limit (\(limit)) is reached"
            }
        }
    }

    public private(set) var state: State = .start
    public private(set) var steps = 0
    public private(set) var reflects = 0
    public let maxSteps: Int
    public let maxReflects: Int
    public let strict: Bool

    /// Creates a machine with its bounds.
    public init(maxSteps: Int = 40, maxReflects: Int = 8, strict: Bool = true) {
        self.maxSteps = maxSteps
        self.maxReflects = maxReflects
        self.strict = strict
    }

    /// Whether a bound is reached, so the next step must be Finish.
    public var mustFinish: Bool { steps >= maxSteps - 1 || reflects >= maxReflects }

    /// Whether `node` may come next.
    public func allows(_ node: AgentNode) -> Bool {
        switch (state, node) {
        case (.start, .plan): return true
        case (.planned, .execute), (.reflected, .execute), (.executed, .execute): return !mustFinish
        case (.executed(false), .reflect): return reflects < maxReflects && steps < maxSteps - 1
        case (.executed(true), .reflect): return !strict && reflects < maxReflects && steps < maxSteps - 1
        case (.executed(true), .finish): return true
        case (.reflected, .finish): return !strict || mustFinish
        case (.finished, _): return false
        case (_, .finish): return mustFinish
        default: return false
        }
    }

    /// Moves to `node`.
    ///
    /// - Throws: ``Violation`` when the protocol forbids it.
    public mutating func enter(_ node: AgentNode) throws(Violation) {
        guard allows(node) else {
            if node != .finish && steps >= maxSteps - 1 { throw .stepLimit(maxSteps) }
            if node == .reflect && reflects >= maxReflects { throw .reflectLimit(maxReflects) }
            throw .notAllowed(from: state, to: node)
        }
        steps += 1
        switch node {
        case .plan: state = .planned
        case .execute: state = .executed(succeeded: false)
        case .reflect:
            reflects += 1
            state = .reflected
        case .finish: state = .finished
        }
    }

    /// Records whether the last Execute succeeded (exit code 0).
    public mutating func executionFinished(succeeded: Bool) {
        if case .executed = state { state = .executed(succeeded: succeeded) }
    }
}
