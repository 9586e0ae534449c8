import Foundation

/// An OpenAI-compatible chat server on 127.0.0.1 (an ephemeral port) that replays a
/// scenario and records every request it receives, for end-to-end tests of the model
/// client and agent. It is a small Python program (Python is already in the stack).
public final class ScriptedModelServer: @unchecked Sendable {
    /// One scripted answer.
    public struct Step: Sendable {
        /// The assistant's reply text (wrapped in a chat completion).
        public var reply: String?
        /// An HTTP status other than 200 (with an error body).
        public var status: Int = 200
        /// Extra response headers.
        public var headers: [String: String] = [:]
        /// Seconds to wait before answering.
        public var delay: Double = 0
        /// Accept the request and never answer.
        public var hang = false
        /// Answer with this many bytes of padding in the reply.
        public var padding = 0

        /// A normal reply.
        public static func reply(_ text: String) -> Step { Step(reply: text) }
        /// An HTTP error, optionally with a `Retry-After`.
        public static func error(_ status: Int, retryAfter: Int? = nil) -> Step {
            Step(reply: nil, status: status, headers: retryAfter.map { ["Retry-After": String($0)] } ?? [:])
        }
    }

    /// The base URL (`http://127.0.0.1:PORT/v1`).
    public let url: String
    private let process: Process
    private let directory: String

    /// Starts the server with a scenario; after the last step the last one repeats.
    public init(_ steps: [Step]) throws {
        directory = try TemporaryRepository.makeDirectory()
        let scenario = steps.map { step -> [String: Any] in
            ["reply": step.reply as Any, "status": step.status, "headers": step.headers, "delay": step.delay,
             "hang": step.hang, "padding": step.padding]
        }
        try JSONSerialization.data(withJSONObject: scenario).write(to: URL(fileURLWithPath: directory + "/scenario.json"))
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Self.scriptPath, directory + "/scenario.json", directory + "/requests.jsonl"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            throw TestSupportError("the scripted server did not start: \(line)")
        }
        url = "http://127.0.0.1:\(port)/v1"
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Stops the server.
    public func stop() {
        if process.isRunning {
            // SIGKILL: a test process that materialized a snapshot ignores SIGTERM (review
            // handles it to clean up), and children inherit an ignored signal.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The requests received so far: headers and JSON body of each.
    public var requests: [(headers: [String: String], body: [String: Any])] {
        guard let text = try? String(contentsOfFile: directory + "/requests.jsonl", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                return nil
            }
            return (object["headers"] as? [String: String] ?? [:], object["body"] as? [String: Any] ?? [:])
        }
    }

    /// The server program, shared with the benchmarks.
    static var scriptPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Benchmarks/scripted_model_server.py").path
    }
}
