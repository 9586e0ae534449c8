import ReviewFindings

/// The built-in policy's checks of the changed file itself: byte-compile it, import its
/// module. Each runs at head and, when it fails there, at base.
enum FileCheck {
    case compile, importModule

    /// What runs for the check on one side.
    func request(_ task: ReviewTask, _ side: Side) -> ExecutionRequest {
        switch (self, side) {
        case (.compile, .head): return .compile(file: task.path, side: .head)
        case (.compile, .base): return .compile(file: task.basePath ?? task.path, side: .base)
        case (.importModule, .head): return .importModule(task.module ?? "", side: .head, overrides: [])
        case (.importModule, .base): return .importModule(task.baseModule ?? "", side: .base, overrides: [])
        }
    }

    /// Why the check runs, for the transcript.
    func note(_ side: Side) -> String {
        switch (self, side) {
        case (.compile, .head): return "does it compile?"
        case (.compile, .base): return "did it compile before?"
        case (.importModule, .head): return "does it import?"
        case (.importModule, .base): return "did it import before?"
        }
    }

    /// Whether base has the file (or module) to run the check on.
    func existsAtBase(_ task: ReviewTask) -> Bool {
        (self == .compile ? task.basePath : task.baseModule) != nil
    }

    /// The Reflect after the check failed at head with `reason`.
    func reflection(_ task: ReviewTask, _ reason: String) -> String {
        switch self {
        case .compile:
            return "`\(task.path)` does not compile at head (\(reason)). Checking whether `\(task.basePath ?? task.path)` compiled at base."
        case .importModule:
            return "`\(task.module ?? "")` does not import at head (\(reason)). Checking whether `\(task.baseModule ?? "")` imported at base."
        }
    }

    /// The finding for a failure at head; `preExisting` when it failed at base too.
    func failure(_ outcome: ExecutionOutcome, preExisting: Bool, _ make: BuiltinFindings) -> Finding {
        switch self {
        case .compile: return make.compileFailure(outcome, preExisting: preExisting)
        case .importModule: return make.importFailure(outcome, preExisting: preExisting)
        }
    }
}
