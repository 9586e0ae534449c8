import Foundation
import ReviewGit

/// What `review --plan` shows: the resolved range and its change set, as text or JSON.
///
/// The JSON shape is a contract that later outputs extend and never break:
/// `{"base", "head", "files": [{"path", "oldPath", "status", "similarity", "binary",
/// "oldMode", "newMode", "oldId", "newId", "hunks": [{"oldStart", "oldLines", "newStart",
/// "newLines"}]}]}`. Paths that are not valid UTF-8 appear in git's quoted form.
public struct PlanReport: Sendable {
    /// The change set being planned.
    public var changeSet: ChangeSet

    /// Creates a report for a change set.
    public init(changeSet: ChangeSet) {
        self.changeSet = changeSet
    }

    /// The report as pretty-printed JSON, ending in a newline.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain value types with string keys cannot fail.
        guard let data = try? encoder.encode(PlanJSON(changeSet)) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// The report for a terminal: one line for the range, one per file.
    ///
    /// Each file line reads like `git diff --name-status` with line counts:
    /// `M  src/app.py  +3 -1 (2 hunks)`, `R087  old.py -> new.py`.
    public func text() -> String {
        let range = changeSet.range
        guard !changeSet.isEmpty else { return "nothing to review\n" }
        var lines: [String] = []
        let base = range.base.map(\.short) ?? "(empty tree)"
        let head: String
        switch range.head {
        case .commit(let id): head = id.short
        case .worktree: head = "worktree"
        }
        let count = changeSet.files.count
        lines.append("\(range.spec): \(base)..\(head), \(count) changed file\(count == 1 ? "" : "s")")
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
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The JSON encoding of a plan, with keys in documented order and explicit nulls.
struct PlanJSON: Encodable {
    let changeSet: ChangeSet

    init(_ changeSet: ChangeSet) {
        self.changeSet = changeSet
    }

    enum Keys: String, CodingKey {
        case base, head, files
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(changeSet.range.base?.hex, forKey: .base)
        try container.encode(changeSet.range.head.description, forKey: .head)
        try container.encode(changeSet.files.map(FileJSON.init), forKey: .files)
    }
}

/// One file of the plan JSON.
struct FileJSON: Encodable {
    let file: FileChange

    enum Keys: String, CodingKey {
        case path, oldPath, status, similarity, binary, oldMode, newMode, oldId, newId, hunks
    }

    enum HunkKeys: String, CodingKey {
        case oldStart, oldLines, newStart, newLines
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(file.path.jsonString, forKey: .path)
        try container.encode(file.oldPath?.jsonString, forKey: .oldPath)
        try container.encode(file.status.rawValue, forKey: .status)
        try container.encode(file.similarity, forKey: .similarity)
        try container.encode(file.isBinary, forKey: .binary)
        try container.encode(file.oldMode?.rawValue, forKey: .oldMode)
        try container.encode(file.newMode?.rawValue, forKey: .newMode)
        try container.encode(file.oldID?.hex, forKey: .oldId)
        try container.encode(file.newID?.hex, forKey: .newId)
        var hunks = container.nestedUnkeyedContainer(forKey: .hunks)
        for hunk in file.hunks {
            var item = hunks.nestedContainer(keyedBy: HunkKeys.self)
            try item.encode(hunk.oldStart, forKey: .oldStart)
            try item.encode(hunk.oldLines, forKey: .oldLines)
            try item.encode(hunk.newStart, forKey: .newStart)
            try item.encode(hunk.newLines, forKey: .newLines)
        }
    }
}

extension GitPath {
    /// The path for JSON: the UTF-8 text itself, or git's quoted form when it is not UTF-8.
    var jsonString: String {
        string ?? quoted
    }
}
