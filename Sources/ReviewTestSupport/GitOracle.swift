import Foundation

/// What the git CLI says about one changed file, parsed from `git diff --raw -z` and `-U0`.
public struct OracleFile: Equatable, CustomStringConvertible {
    /// One-letter status (`A`, `M`, `D`, `R`, `C`, `T`).
    public var status: Character
    /// Similarity for `R`/`C`, else `nil`.
    public var score: Int?
    /// Old and new modes as octal strings (`000000` when absent).
    public var oldMode: String
    public var newMode: String
    /// Old and new ids (all zeros when absent).
    public var oldID: String
    public var newID: String
    /// The path (the old path for renames and copies) and the new path for renames/copies.
    public var path: [UInt8]
    public var newPath: [UInt8]?
    /// Whether `git diff --numstat` counts no lines for it (`-\t-`): a side is binary.
    public var binary: Bool
    /// `(oldStart, oldLines, newStart, newLines)` of each hunk.
    public var hunks: [[Int]]

    /// Creates an entry (used to render the code under test in the oracle's form).
    public init(
        status: Character, score: Int?, oldMode: String, newMode: String, oldID: String, newID: String, path: [UInt8],
        newPath: [UInt8]?, binary: Bool, hunks: [[Int]]
    ) {
        self.status = status
        self.score = score
        self.oldMode = oldMode
        self.newMode = newMode
        self.oldID = oldID
        self.newID = newID
        self.path = path
        self.newPath = newPath
        self.binary = binary
        self.hunks = hunks
    }

    public var description: String {
        let name = String(decoding: path, as: UTF8.self)
        let target = newPath.map { " -> " + String(decoding: $0, as: UTF8.self) } ?? ""
        return "\(status)\(score.map(String.init) ?? "") \(oldMode)->\(newMode) \(name)\(target) binary=\(binary) \(hunks)"
    }
}

/// Runs the git CLI as the independent oracle for change sets.
public enum GitOracle {
    /// The id of git's empty tree, the base of a root commit.
    public static let emptyTree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

    /// `git diff -M --raw -z`, `--numstat -z` (binary) and `-U0` (hunks) between two
    /// revisions, joined per file.
    public static func diff(_ repository: TemporaryRepository, base: String?, head: String) throws -> [OracleFile] {
        let from = base ?? emptyTree
        let raw = try repository.gitData(["diff", "-M", "--raw", "-z", "--abbrev=40", "--no-ext-diff", from, head])
        var files = parseRaw([UInt8](raw))
        let patch = try repository.gitData([
            "-c", "core.quotepath=false", "diff", "-M", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", from, head,
        ])
        let sections = splitSections([UInt8](patch))
        // A type change is printed as two sections: the deletion and the addition.
        let expected = files.reduce(0) { $0 + ($1.status == "T" ? 2 : 1) }
        guard sections.count == expected else {
            throw TestSupportError("git printed \(files.count) raw entries but \(sections.count) patch sections")
        }
        var next = 0
        for index in files.indices {
            let parts = files[index].status == "T" ? 2 : 1
            for section in sections[next..<(next + parts)] {
                files[index].hunks += parseSection(section).1
            }
            next += parts
        }
        let numstat = try repository.gitData(["diff", "-M", "--numstat", "-z", "--no-ext-diff", from, head])
        let binary = parseNumstatBinary([UInt8](numstat))
        guard binary.count == files.count else {
            throw TestSupportError("git printed \(files.count) raw entries but \(binary.count) numstat entries")
        }
        for index in files.indices { files[index].binary = binary[index] }
        return files
    }

    /// Per entry of `--numstat -z`: whether git counted no lines (`-\t-`), which it does
    /// when either side is binary, whether or not the content changed.
    static func parseNumstatBinary(_ bytes: [UInt8]) -> [Bool] {
        let fields = bytes.split(separator: 0, omittingEmptySubsequences: false).map(Array.init)
        var result: [Bool] = []
        var index = 0
        while index < fields.count {
            let field = fields[index]
            guard !field.isEmpty else {
                index += 1
                continue
            }
            let columns = field.split(separator: 0x09, maxSplits: 2, omittingEmptySubsequences: false)
            result.append(columns.count >= 2 && columns[0] == [0x2D] && columns[1] == [0x2D])
            // A rename or copy has an empty path column, then the old and new paths.
            index += columns.count == 3 && columns[2].isEmpty ? 3 : 1
        }
        return result
    }

    static func parseRaw(_ bytes: [UInt8]) -> [OracleFile] {
        let fields = bytes.split(separator: 0, omittingEmptySubsequences: false).map(Array.init)
        var files: [OracleFile] = []
        var index = 0
        while index < fields.count {
            let header = String(decoding: fields[index], as: UTF8.self)
            guard header.hasPrefix(":") else {
                index += 1
                continue
            }
            let parts = header.dropFirst().split(separator: " ").map(String.init)
            let statusField = parts[4]
            let status = statusField.first!
            let score = statusField.count > 1 ? Int(statusField.dropFirst()) : nil
            var file = OracleFile(
                status: status, score: score, oldMode: parts[0], newMode: parts[1], oldID: parts[2], newID: parts[3],
                path: fields[index + 1], newPath: nil, binary: false, hunks: [])
            index += 2
            if status == "R" || status == "C" {
                file.newPath = fields[index]
                index += 1
            }
            files.append(file)
        }
        return files
    }

    static func splitSections(_ bytes: [UInt8]) -> [[[UInt8]]] {
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        let marker = Array("diff --git ".utf8)
        var sections: [[[UInt8]]] = []
        for line in lines {
            if line.starts(with: marker) {
                sections.append([line])
            } else if !sections.isEmpty {
                sections[sections.count - 1].append(line)
            }
        }
        return sections
    }

    static func parseSection(_ lines: [[UInt8]]) -> (Bool, [[Int]]) {
        var binary = false
        var hunks: [[Int]] = []
        for line in lines {
            if line.starts(with: Array("Binary files ".utf8)) { binary = true }
            guard line.starts(with: Array("@@ -".utf8)) else { continue }
            let text = String(decoding: line, as: UTF8.self)
            let parts = text.split(separator: " ")
            func numbers(_ part: Substring) -> (Int, Int) {
                let body = part.dropFirst()
                let pieces = body.split(separator: ",")
                let start = Int(pieces[0]) ?? 0
                let count = pieces.count > 1 ? Int(pieces[1]) ?? 0 : 1
                return (start, count)
            }
            let old = numbers(parts[1])
            let new = numbers(parts[2])
            hunks.append([old.0, old.1, new.0, new.1])
        }
        return (binary, hunks)
    }
}
