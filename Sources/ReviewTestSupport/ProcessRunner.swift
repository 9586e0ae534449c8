import Foundation

/// The outcome of a finished child process.
public struct ProcessOutput: Sendable {
    /// The exit status (or 128 + signal number when it was killed).
    public var status: Int32
    /// Everything it wrote to stdout.
    public var stdout: Data
    /// Everything it wrote to stderr.
    public var stderr: Data

    /// stdout decoded as UTF-8 (invalid bytes replaced).
    public var out: String { String(decoding: stdout, as: UTF8.self) }
    /// stderr decoded as UTF-8 (invalid bytes replaced).
    public var err: String { String(decoding: stderr, as: UTF8.self) }
}

/// Errors of the test helpers.
public struct TestSupportError: Error, CustomStringConvertible {
    /// What failed.
    public var description: String

    /// Creates an error with a message.
    public init(_ description: String) {
        self.description = description
    }
}

/// Runs programs for tests: argv only, never a shell string.
public enum ProcessRunner {
    /// Runs `executable` with `arguments` and waits for it.
    ///
    /// - Parameters:
    ///   - executable: an absolute path, or a name looked up in `PATH`.
    ///   - arguments: the arguments, without the program name.
    ///   - directory: the working directory.
    ///   - environment: the complete environment; `nil` inherits this process's.
    ///   - input: bytes written to the child's stdin (then closed).
    public static func run(
        _ executable: String, _ arguments: [String], in directory: String? = nil,
        environment: [String: String]? = nil, input: Data? = nil
    ) throws -> ProcessOutput {
        let process = Process()
        if executable.hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        let stdout = Pipe()
        let stderr = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin
        try process.run()
        // Drain both pipes concurrently so a chatty child never blocks on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            outData = stdout.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            errData = stderr.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        if let input { stdin.fileHandleForWriting.write(input) }
        try? stdin.fileHandleForWriting.close()
        process.waitUntilExit()
        group.wait()
        let status =
            process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return ProcessOutput(status: status, stdout: outData, stderr: errData)
    }
}

extension ProcessRunner {
    /// Runs `count` bodies at the same time on their own threads and returns their
    /// results in order (for tests of concurrent runs).
    public static func parallel<Value: Sendable>(
        _ count: Int, _ body: @escaping @Sendable (Int) throws -> Value
    ) throws -> [Value] {
        let results = ParallelResults<Value>()
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            Thread.detachNewThread {
                let outcome = Result { try body(index) }
                results.lock.lock()
                results.values[index] = outcome
                results.lock.unlock()
                group.leave()
            }
        }
        group.wait()
        return try (0..<count).map { try results.values[$0]!.get() }
    }
}

/// The results of ``ProcessRunner/parallel(_:_:)``, filled from several threads.
final class ParallelResults<Value>: @unchecked Sendable {
    let lock = NSLock()
    var values: [Int: Result<Value, any Error>] = [:]
}
