import Foundation

/// Finds where in a changed file a failure happened, from Python tracebacks and pytest's
/// short `path:line:` lines.
public enum TracebackLocator {
    /// The deepest (last) line of `file` mentioned in `text`, or `nil`.
    ///
    /// - Parameters:
    ///   - file: the path relative to the project root.
    ///   - sourceRoot: where the project is mounted in the sandbox.
    public static func deepestLine(in text: String, file: String, sourceRoot: String) -> Int? {
        var found: Int?
        let absolute = "File \"\(sourceRoot)/\(file)\", line "
        let relative = "File \"\(file)\", line "
        let short = "\(file):"
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            for marker in [absolute, relative] {
                if let range = line.range(of: marker) {
                    let digits = line[range.upperBound...].prefix { $0.isNumber }
                    if let number = Int(digits) { found = number }
                }
            }
            if line.hasPrefix(short) || line.hasPrefix(sourceRoot + "/" + short) {
                let rest = line.hasPrefix(short) ? line.dropFirst(short.count) : line.dropFirst(sourceRoot.count + 1 + short.count)
                let digits = rest.prefix { $0.isNumber }
                if !digits.isEmpty, rest.dropFirst(digits.count).hasPrefix(":"), let number = Int(digits) {
                    found = number
                }
            }
        }
        return found
    }

    /// The last `limit` lines of `text`, with a note when lines were dropped.
    public static func tail(_ text: String, limit: Int = 40) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > limit else { return text }
        return "[... \(lines.count - limit) earlier lines omitted ...]\n" + lines.suffix(limit).joined(separator: "\n")
    }
}
