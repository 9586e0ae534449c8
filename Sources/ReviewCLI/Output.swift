import Foundation

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
}
