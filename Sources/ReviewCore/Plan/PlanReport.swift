import Foundation
import ReviewJSON
import ReviewAgent
import ReviewFindings
import ReviewGit
import ReviewReport

/// What `review --plan` shows: the resolved range and its change set, as text or JSON.
///
/// The JSON shape is a contract that later outputs extend and never break:
/// `{"base", "head", "files": [{"path", "oldPath", "status", "similarity", "binary",
/// "oldMode", "newMode", "oldId", "newId", "hunks": [{"oldStart", "oldLines", "newStart",
/// "newLines"}]}]}`. Paths that are not valid UTF-8 appear in git's quoted form.
public struct PlanReport: Sendable {
    /// The change set being planned.
    public var changeSet: ChangeSet
    /// The review tasks, when they were computed.
    public var tasks: [ReviewTask]?
    /// Changed files that will not be reviewed.
    public var skipped: [SkippedFile]

    /// Creates a report for a change set.
    public init(changeSet: ChangeSet, tasks: [ReviewTask]? = nil, skipped: [SkippedFile] = []) {
        self.changeSet = changeSet
        self.tasks = tasks
        self.skipped = skipped
    }

    /// The report as pretty-printed JSON with keys in documented order, ending in a newline.
    public func json() -> String {
        guard let tasks, case .object(var members) = jsonValue else { return jsonValue.rendered() + "\n" }
        members.append(("tasks", .array(tasks.map { ResultRendering.json(for: $0) })))
        members.append(
            ("skipped", .array(skipped.map { .object([("path", .string($0.path)), ("reason", .string($0.reason))]) })))
        return JSONValue.object(members).rendered() + "\n"
    }

    /// The report for a terminal: one line for the range, one per file.
    ///
    /// Each file line reads like `git diff --name-status` with line counts:
    /// `M  src/app.py  +3 -1 (2 hunks)`, `R087  old.py -> new.py`.
    public func text() -> String {
        let range = changeSet.range
        guard !changeSet.isEmpty else { return "nothing to review\n" }
        var lines: [String] = []
        let count = changeSet.files.count
        lines.append("\(range.spec): \(range.shortSides), \(count) changed file\(count == 1 ? "" : "s")")
        for file in changeSet.files {
            var code = String(file.status.letter)
            if let similarity = file.similarity {
                code += String(format: "%03d", similarity)
            }
            var names = file.path.description
            if let old = file.oldPath, let new = file.newPath, old != new {
                names = "\(old) -> \(new)"
            }
            var detail: String
            if file.isBinary {
                detail = "binary"
            } else {
                let hunks = file.hunks.count
                detail = "+\(file.addedLines) -\(file.removedLines) (\(hunks) hunk\(hunks == 1 ? "" : "s"))"
            }
            if let old = file.oldMode, let new = file.newMode, old != new {
                detail += ", mode \(old.octal) -> \(new.octal)"
            }
            lines.append("\(code.padding(toLength: 5, withPad: " ", startingAt: 0)) \(names)  \(detail)")
        }
        if let tasks {
            lines.append("")
            if tasks.isEmpty { lines.append("no Python file to review") }
            for task in tasks {
                var line = "task \(task.path)"
                if let module = task.module { line += " (module \(module))" }
                lines.append(line)
                if task.tests.isEmpty { lines.append("  no related tests") }
                for test in task.tests { lines.append("  test \(test): \(task.testReasons[test] ?? "related")") }
            }
            for skipped in skipped { lines.append("skipped \(skipped.path): \(skipped.reason)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension PlanReport {
    /// The plan as a JSON value; later reports add members after these.
    public var jsonValue: JSONValue {
        .object([
            ("base", .optional(changeSet.range.base?.hex)),
            ("head", .string(changeSet.range.head.description)),
            ("files", .array(changeSet.files.map(PlanReport.json(for:)))),
        ])
    }

    static func json(for file: FileChange) -> JSONValue {
        .object([
            ("path", .string(file.path.jsonString)),
            ("oldPath", .optional(file.oldPath?.jsonString)),
            ("status", .string(file.status.rawValue)),
            ("similarity", .optional(file.similarity)),
            ("binary", .bool(file.isBinary)),
            ("oldMode", .optional(file.oldMode?.rawValue)),
            ("newMode", .optional(file.newMode?.rawValue)),
            ("oldId", .optional(file.oldID?.hex)),
            ("newId", .optional(file.newID?.hex)),
            (
                "hunks",
                .array(
                    file.hunks.map { hunk in
                        .object([
                            ("oldStart", .int(hunk.oldStart)), ("oldLines", .int(hunk.oldLines)),
                            ("newStart", .int(hunk.newStart)), ("newLines", .int(hunk.newLines)),
                        ])
                    })
            ),
        ])
    }
}

extension GitPath {
    /// The path for JSON: the UTF-8 text itself, or git's quoted form when it is not UTF-8.
    var jsonString: String {
        string ?? quoted
    }
}
