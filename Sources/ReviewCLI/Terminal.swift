import Foundation
import ReviewCore

/// Terminal facts: whether a stream is a TTY, whether colour is wanted.
enum Terminal {
    /// Whether the stream is a terminal.
    static func isInteractive(_ handle: FileHandle) -> Bool {
        isatty(handle.fileDescriptor) == 1
    }

    /// Colour only on a terminal, and never when `NO_COLOR` is set (https://no-color.org).
    static func wantsColor(_ handle: FileHandle) -> Bool {
        let environment = ProcessInfo.processInfo.environment
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
        if environment["TERM"] == "dumb" { return false }
        return isInteractive(handle)
    }
}

/// The live progress line on stderr (TTY only) and the `--trace` transcript.
final class Progress: @unchecked Sendable {
    private let enabled: Bool
    private let trace: Bool
    private let lock = NSLock()
    private var task = ""
    private var counter = ""
    private var shown = false
    private var taskStarted = Date()
    private var steps = 0

    init(enabled: Bool, trace: Bool) {
        self.enabled = enabled
        self.trace = trace
    }

    func handle(_ event: ReviewEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .note(let text):
            clear()
            Output.error(text)
        case .taskStarted(let index, let total, let path):
            task = path
            counter = "[\(index)/\(total)]"
            taskStarted = Date()
            steps = 0
            if trace {
                clear()
                FileHandle.standardError.write(Data("== \(path)\n".utf8))
            }
            show("starting")
        case .phase(let name, let seconds):
            if trace {
                clear()
                FileHandle.standardError.write(Data(String(format: "-- %@: %.0f ms\n", name, seconds * 1000).utf8))
            }
        case .step(_, let step):
            steps += 1
            if trace {
                clear()
                var text = "\(step.node.rawValue): " + step.content.replacingOccurrences(of: "\n", with: "\n    ")
                if let result = step.result { text += "\n    -> \(result)" }
                FileHandle.standardError.write(Data((text + "\n").utf8))
            }
            show(step.node.rawValue)
        }
    }

    private func show(_ node: String) {
        guard enabled else { return }
        let elapsed = String(format: "%.1f", Date().timeIntervalSince(taskStarted))
        let line = "\(counter) \(task): \(node), step \(steps), \(elapsed) s"
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(line.prefix(120))".utf8))
        shown = true
    }

    private func clear() {
        guard enabled, shown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
        shown = false
    }

    func finish() {
        lock.lock()
        clear()
        lock.unlock()
    }
}
