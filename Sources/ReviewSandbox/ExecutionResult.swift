/// What happened when a command ran.
public struct ExecutionResult: Hashable, Sendable {
    /// The exit code, or `nil` when the process was killed by a signal.
    public var exitCode: Int32?
    /// The signal that killed it, if any.
    public var signal: Int32?
    /// Whether the wall-clock limit was reached (the process tree was then killed).
    public var timedOut: Bool
    /// Standard output, decoded as UTF-8 (invalid bytes replaced), capped.
    public var stdout: String
    /// Standard error, decoded as UTF-8, capped.
    public var stderr: String
    /// Whether stdout or stderr was cut at the cap.
    public var outputTruncated: Bool
    /// Wall-clock duration in seconds.
    public var duration: Double
    /// Whether the process was killed for writing far more than the output cap
    /// (16 times it), which only a runaway program does.
    public var outputLimitExceeded: Bool = false

    /// Creates a result.
    public init(
        exitCode: Int32?, signal: Int32?, timedOut: Bool, stdout: String, stderr: String, outputTruncated: Bool,
        duration: Double
    ) {
        self.exitCode = exitCode
        self.signal = signal
        self.timedOut = timedOut
        self.stdout = stdout
        self.stderr = stderr
        self.outputTruncated = outputTruncated
        self.duration = duration
    }

    /// Whether it exited with status 0.
    public var succeeded: Bool { exitCode == 0 && !timedOut }

    /// A one-line account: "exit 1", "killed by signal 9 (SIGKILL)", "timed out after 120 s".
    public var statusDescription: String {
        if timedOut { return "timed out after \(Int(duration.rounded())) s" }
        if outputLimitExceeded { return "killed after writing more than 16 times the output limit" }
        if let signal { return "killed by signal \(signal)\(ExecutionResult.signalName(signal).map { " (\($0))" } ?? "")" }
        return "exit \(exitCode ?? -1)"
    }

    static func signalName(_ signal: Int32) -> String? {
        switch signal {
        case 6: return "SIGABRT"
        case 9: return "SIGKILL"
        case 11: return "SIGSEGV"
        case 15: return "SIGTERM"
        case 24: return "SIGXCPU"
        case 25: return "SIGXFSZ"
        default: return nil
        }
    }
}
