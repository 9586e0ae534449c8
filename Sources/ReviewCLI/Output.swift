import Foundation
import ReviewCore

/// The CLI's only writers to stdout and stderr.
enum Output {
    /// Writes text to stdout as is.
    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Writes `review: <message>` as one line to stderr.
    static func error(_ message: String) {
        let line = message.replacingOccurrences(of: "\n", with: " ")
        FileHandle.standardError.write(Data("review: \(line)\n".utf8))
    }

    /// Writes `text` to `path` through a temporary file in the same directory and a rename,
    /// so a reader never sees half a report.
    static func writeAtomically(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).review-\(getpid())")
        do {
            try Data(text.utf8).write(to: temporary)
            if rename(temporary.path, url.path) != 0 {
                throw ReviewFailure("cannot write \(path): \(String(cString: strerror(errno)))", status: .infrastructure)
            }
        } catch let failure as ReviewFailure {
            try? FileManager.default.removeItem(at: temporary)
            throw failure
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ReviewFailure("cannot write \(path): \(error.localizedDescription)", status: .infrastructure)
        }
    }
}

extension Output {
    /// Appends text to a file (GitHub's step summary is shared by all steps of a job).
    static func append(_ text: String, to path: String) throws {
        guard let handle = FileHandle(forWritingAtPath: path) ?? {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            return FileHandle(forWritingAtPath: path)
        }() else {
            throw ReviewFailure("cannot write \(path)", status: .infrastructure)
        }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
    }
}

/// Which formats go where: each `--format` with the `--output` at the same position, the
/// last one without an output to stdout; text on stdout by default.
struct OutputPlan {
    var formats: [OutputFormat]
    var outputs: [String]
    var template: String?

    func write(_ rendering: ResultRendering) throws {
        let chosen = formats.isEmpty ? [OutputFormat.text] : formats
        for (index, format) in chosen.enumerated() {
            if index < outputs.count {
                try Output.writeAtomically(try rendering.render(format, templates: template), to: outputs[index])
            } else {
                let color = format == .text && Terminal.wantsColor(FileHandle.standardOutput)
                Output.write(try rendering.render(format, color: color, templates: template))
            }
        }
    }
}
