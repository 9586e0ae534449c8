import Foundation
import ReviewAgent
import ReviewFindings
import ReviewGit
import ReviewModel
import ReviewSandbox

/// Makes the sandbox a review runs code in, for the configured mode and interpreter. A test
/// can pass its own (wrapping the real one) to watch what runs.
public typealias SandboxFactory = @Sendable (SandboxMode, Interpreter) throws(ReviewFailure) -> any Sandbox

/// Makes the client of the model server. A test can wrap the real one.
public typealias ChatClientFactory = @Sendable (ModelSettings) -> any ChatClient

/// What to review and how.
public struct ReviewOptions: Sendable {
    /// The range.
    public var request: RangeRequest
    /// The effective configuration (files, environment and flags merged).
    public var configuration: Configuration
    /// The model server, when the model-driven agent should work the tasks too.
    public var model: ModelSettings?
    /// When the model server fails: keep reviewing with the built-in policy (with a
    /// warning) instead of exiting 3.
    public var modelFallback = false
    /// Reuse and keep results in the result cache (`--no-cache` turns it off).
    public var useCache = true
    /// Review only this share of the tasks (`review ci --shard I/N`).
    public var shard: Shard?
    /// The sandbox: bubblewrap, or none when the configuration says so.
    public var sandbox: SandboxFactory = ReviewOptions.standardSandbox
    /// The model client: OpenAI-compatible over HTTP, with `apiKey` (never sent to the sandbox).
    public var chatClient: ChatClientFactory?

    /// Creates options.
    public init(request: RangeRequest, configuration: Configuration) {
        self.request = request
        self.configuration = configuration
    }

    /// Bubblewrap (or no isolation for `--sandbox none`).
    public static let standardSandbox: SandboxFactory = { (mode, interpreter) throws(ReviewFailure) -> any Sandbox in
        switch mode {
        case .bubblewrap:
            do {
                return try BubblewrapSandbox(interpreter: interpreter)
            } catch {
                throw ReviewFailure(String(describing: error), status: .infrastructure)
            }
        case .none:
            return UnsandboxedRunner()
        }
    }

    /// The OpenAI-compatible client over libcurl, sending `apiKey` as a bearer token.
    public static func standardChatClient(apiKey: String?) -> ChatClientFactory {
        { settings in
            var client = OpenAICompatibleClient(baseURL: settings.url, apiKey: apiKey)
            client.requestTimeout = settings.requestTimeout
            return client
        }
    }

    /// The API key for the model server from the environment (`REVIEW_API_KEY`, then
    /// `OPENAI_API_KEY`), read by the caller that owns the environment.
    public static func apiKey(from environment: [String: String]) -> String? {
        OpenAICompatibleClient.apiKey(from: environment)
    }
}

/// Events during a review, for progress lines and traces.
public enum ReviewEvent: Sendable {
    /// Something the user should know (printed as `review: note`).
    case note(String)
    /// A task is starting.
    case taskStarted(index: Int, total: Int, path: String)
    /// A task recorded a step.
    case step(path: String, AgentStep)
    /// A phase of the run ended, with its wall time (for `--trace`).
    case phase(String, seconds: Double)
}

/// Everything a review produced.
public struct ReviewResult: Sendable {
    public var changeSet: ChangeSet
    public var tasks: [ReviewTask] = []
    public var skipped: [SkippedFile] = []
    public var results: [TaskResult] = []
    /// All findings, deduplicated and in report order.
    public var findings: [Finding] = []
    public var seconds: Double = 0
    /// `bubblewrap` or `none`; `nil` when nothing ran.
    public var sandbox: String?
    /// The interpreter used, when something ran.
    public var python: String?
    /// `pytest` or `unittest`.
    public var testRunner: String?
    public var notes: [String] = []
    /// Model calls and tokens, when a model worked the tasks.
    public var modelCalls = 0
    public var modelTokens = 0
    /// The model conversation of each task, by path (for `--trace-dir`).
    public var conversations: [String: [ChatMessage]] = [:]
    /// How many task results came from the result cache.
    public var cachedTasks = 0
    /// The share of the tasks this run reviewed, when sharded.
    public var shard: Shard?

    /// An empty result for a change set.
    init(changeSet: ChangeSet, shard: Shard?) {
        self.changeSet = changeSet
        self.shard = shard
    }

    /// Counts by severity.
    public func count(_ severity: Severity) -> Int { findings.filter { $0.severity == severity }.count }

    /// Adds the tasks' outcomes in task order, and the findings in report order.
    mutating func add(_ outcomes: [TaskOutcome]) {
        for outcome in outcomes {
            results.append(outcome.result)
            modelCalls += outcome.calls
            modelTokens += outcome.tokens
            if !outcome.messages.isEmpty { conversations[outcome.result.task.path] = outcome.messages }
            if outcome.cached { cachedTasks += 1 }
        }
        findings = Self.reportFindings(results)
    }

    /// A `not-tested` warning for each changed file that a budget (max-files, the time
    /// budget) left out of the review: no test ran for it, and a clean report must not hide that.
    mutating func addUntestedBudgetFiles() {
        let reviewed = Set(tasks.map(\.path))
        let left = skipped.filter { $0.isBudget && !reviewed.contains($0.path) }
        guard !left.isEmpty else { return }
        findings += left.map {
            Finding(
                severity: .warning, kind: .notTested, file: $0.path, line: 1, endLine: 1,
                message: "no test ran for `\($0.path)`: it was not reviewed (\($0.reason)); raise the budget or review fewer files at once")
        }
        findings.sort(by: Finding.reportOrder)
    }

    /// All findings of the tasks, deduplicated and in report order; a package missing from
    /// the interpreter is reported once for the run, however many files need it.
    static func reportFindings(_ results: [TaskResult]) -> [Finding] {
        var seen = Set<String>()
        return results.flatMap(\.findings).sorted(by: Finding.reportOrder).filter {
            seen.insert($0.reportKey).inserted
        }
    }
}
