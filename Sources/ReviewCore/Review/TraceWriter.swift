import Foundation
import ReviewJSON
import ReviewAgent
import ReviewModel
import ReviewReport

/// Writes `--trace-dir` files: one JSON-lines file per task with its steps (built-in and
/// model) and the model conversation. Nothing else goes in: no environment, no API key.
public enum TraceWriter {
    /// Writes the traces of a review into `directory` (created).
    public static func write(_ result: ReviewResult, to directory: String) throws(ReviewFailure) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for task in result.results {
                var lines: [String] = []
                for step in task.steps {
                    lines.append(
                        JSONValue.object([
                            ("type", .string("step")), ("node", .string(step.node.rawValue)), ("content", .string(step.content)),
                            ("result", .optional(step.result)), ("seconds", .double((step.seconds * 1000).rounded() / 1000)),
                        ]).rendered(pretty: false))
                }
                for message in result.conversations[task.task.path] ?? [] {
                    lines.append(
                        JSONValue.object([
                            ("type", .string("message")), ("role", .string(message.role)), ("content", .string(message.content)),
                        ]).rendered(pretty: false))
                }
                let name = task.task.path.replacingOccurrences(of: "/", with: "__") + ".jsonl"
                try Data((lines.joined(separator: "\n") + "\n").utf8).write(
                    to: URL(fileURLWithPath: directory).appendingPathComponent(name))
            }
        } catch {
            throw ReviewFailure("cannot write traces to \(directory): \(error.localizedDescription)", status: .infrastructure)
        }
    }
}
