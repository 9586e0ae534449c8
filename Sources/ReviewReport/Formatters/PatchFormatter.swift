/// All verified suggestions as one unified diff that `git apply` accepts on head.
///
/// Suggestions for the same file are merged into one file section with their hunks in
/// line order; overlapping suggestions keep the first.
public struct PatchFormatter: ReviewFormatter {
    /// Creates the formatter.
    public init() {}

    public func format(_ report: ReviewReport) -> String {
        var byFile: [String: [(start: Int, end: Int, hunk: String)]] = [:]
        var order: [String] = []
        var created: [String: String] = [:]
        for finding in report.verifiedSuggestions {
            guard let suggestion = finding.suggestion else { continue }
            // A new file (a pinned test) is its own section, once per path.
            if let path = suggestion.newFile {
                if created[path] == nil { created[path] = suggestion.patch }
                continue
            }
            let lines = suggestion.patch.split(separator: "\n", omittingEmptySubsequences: false)
            // Drop the file header (--- / +++); keep the hunk.
            guard let hunkStart = lines.firstIndex(where: { $0.hasPrefix("@@") }) else { continue }
            let hunk = lines[hunkStart...].joined(separator: "\n")
            if byFile[finding.file] == nil { order.append(finding.file) }
            let overlaps = byFile[finding.file, default: []].contains {
                !(suggestion.endLine + 3 < $0.start || suggestion.startLine > $0.end + 3)
            }
            if !overlaps {
                byFile[finding.file, default: []].append((suggestion.startLine, suggestion.endLine, hunk))
            }
        }
        var out = ""
        for file in order {
            out += "diff --git a/\(file) b/\(file)\n--- a/\(file)\n+++ b/\(file)\n"
            for entry in byFile[file]!.sorted(by: { $0.start < $1.start }) {
                out += entry.hunk
                if !out.hasSuffix("\n") { out += "\n" }
            }
        }
        for path in created.keys.sorted() {
            out += created[path]!
            if !out.hasSuffix("\n") { out += "\n" }
        }
        return out
    }
}
