import Foundation

/// Builds random but reproducible git histories through `git fast-import`: adds, deletes,
/// edits, renames with and without edits, mode changes, symlinks, type changes, binary and
/// empty files, files without a final newline, unicode and non-UTF-8 names, submodules
/// (gitlinks) and merge commits.
public struct HistoryGenerator {
    /// One entry of a tree: mode and content (a link target for symlinks, a commit id for gitlinks).
    struct Entry {
        var mode: String
        var content: [UInt8]
    }

    /// A commit made by the generator.
    public struct Commit {
        /// The fast-import mark.
        public var mark: Int
        /// The commit id, known after import.
        public var id: String = ""
        /// Marks of the parents.
        public var parents: [Int]
    }

    private var random: SeededRandom
    private var states: [Int: [[UInt8]: Entry]] = [:]
    private var stream: [UInt8] = []
    private var nextMark = 1
    private var uniqueCounter = 0
    /// The commits in creation order.
    public private(set) var commits: [Commit] = []

    /// Creates a generator for one seed.
    public init(seed: UInt64) {
        random = SeededRandom(seed: seed)
    }

    private static let directories: [[UInt8]] = [
        [], Array("src/".utf8), Array("src/pkg/".utf8), Array("tests/".utf8), Array("docs and notes/".utf8),
        Array("ünïcödé/".utf8), [0x62, 0x61, 0x64, 0xFF, 0x2F],
    ]
    private static let stems: [[UInt8]] = [
        Array("module".utf8), Array("util".utf8), Array("test_core".utf8), Array("näme".utf8),
        Array("with space".utf8), Array("日本".utf8), [0x6C, 0x61, 0x74, 0x69, 0x6E, 0xE9], Array("data".utf8),
    ]
    private static let extensions: [[UInt8]] = [
        Array(".py".utf8), Array(".txt".utf8), Array(".bin".utf8), Array("".utf8), Array(".md".utf8),
    ]
    private static let words = [
        "alpha", "beta", "gamma", "delta", "return x", "def f():", "    pass", "import os", "# note", "value = 1",
        "if x > 0:", "class A:", "", "print(x)",
    ]

    /// Generates a history of about `commitCount` commits and imports it into `repository`.
    ///
    /// - Returns: the commits with their ids.
    public mutating func generate(into repository: TemporaryRepository, commitCount: Int) throws -> [Commit] {
        var mainTip: Int? = nil
        var sideTip: Int? = nil
        var state: [[UInt8]: Entry] = [:]
        for _ in 0..<commitCount {
            if let side = sideTip, let main = mainTip, random.chance(30) {
                // Merge the side branch into main: main's files plus the side's changes.
                var merged = states[main]!
                for (path, entry) in states[side]! where merged[path] == nil || random.chance(50) {
                    merged[path] = entry
                }
                mutate(&merged, operations: random.int(0...2))
                mainTip = emitCommit(merged, parents: [main, side], branch: "refs/heads/main")
                state = merged
                sideTip = nil
            } else if sideTip == nil, let main = mainTip, commits.count > 2, random.chance(25) {
                var branched = states[main]!
                mutate(&branched, operations: random.int(1...4))
                sideTip = emitCommit(branched, parents: [main], branch: "refs/heads/side")
            } else if let side = sideTip, random.chance(40) {
                var branched = states[side]!
                mutate(&branched, operations: random.int(1...4))
                sideTip = emitCommit(branched, parents: [side], branch: "refs/heads/side")
            } else {
                mutate(&state, operations: random.int(1...6))
                mainTip = emitCommit(state, parents: mainTip.map { [$0] } ?? [], branch: "refs/heads/main")
            }
        }
        let marksFile = repository.container + "/marks"
        try repository.git(
            ["fast-import", "--quiet", "--date-format=raw", "--export-marks=\(marksFile)"], input: Data(stream))
        var ids: [Int: String] = [:]
        for line in try String(contentsOfFile: marksFile, encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let mark = Int(parts[0].dropFirst()) { ids[mark] = String(parts[1]) }
        }
        for index in commits.indices {
            commits[index].id = ids[commits[index].mark] ?? ""
        }
        return commits
    }

    private mutating func emitCommit(_ state: [[UInt8]: Entry], parents: [Int], branch: String) -> Int {
        let mark = nextMark
        nextMark += 1
        var out = "commit \(branch)\nmark :\(mark)\n"
        out += "author A <a@example.invalid> \(1_700_000_000 + mark) +0000\n"
        out += "committer C <c@example.invalid> \(1_700_000_000 + mark) +0000\n"
        let message = "commit \(mark)\n"
        out += "data \(message.utf8.count)\n\(message)"
        if let first = parents.first { out += "from :\(first)\n" }
        for other in parents.dropFirst() { out += "merge :\(other)\n" }
        out += "deleteall\n"
        stream += Array(out.utf8)
        for path in state.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let entry = state[path]!
            if entry.mode == "160000" {
                stream += Array("M 160000 \(String(decoding: entry.content, as: UTF8.self)) ".utf8) + path + [0x0A]
            } else {
                stream += Array("M \(entry.mode) inline ".utf8) + path + [0x0A]
                stream += Array("data \(entry.content.count)\n".utf8) + entry.content + [0x0A]
            }
        }
        stream += [0x0A]
        states[mark] = state
        commits.append(Commit(mark: mark, parents: parents))
        return mark
    }

    private mutating func mutate(_ state: inout [[UInt8]: Entry], operations: Int) {
        for _ in 0..<operations {
            let paths = state.keys.sorted(by: { $0.lexicographicallyPrecedes($1) })
            let regular = paths.filter { ["100644", "100755"].contains(state[$0]!.mode) }
            let choice = paths.isEmpty ? 0 : random.int(0...11)
            switch choice {
            case 0, 1:
                state[newPath(avoiding: state)] = Entry(mode: random.chance(15) ? "100755" : "100644", content: text())
            case 2:
                state[random.pick(paths)] = nil
            case 3, 4, 5:
                guard let path = regular.isEmpty ? nil : random.pick(regular) else { continue }
                state[path]!.content = edit(state[path]!.content)
            case 6:
                // Pure rename.
                guard let path = regular.isEmpty ? nil : random.pick(regular) else { continue }
                let entry = state.removeValue(forKey: path)!
                state[newPath(avoiding: state)] = entry
            case 7:
                // Rename with a small edit.
                guard let path = regular.isEmpty ? nil : random.pick(regular) else { continue }
                var entry = state.removeValue(forKey: path)!
                entry.content = smallEdit(entry.content)
                state[newPath(avoiding: state)] = entry
            case 8:
                guard let path = regular.isEmpty ? nil : random.pick(regular) else { continue }
                state[path]!.mode = state[path]!.mode == "100644" ? "100755" : "100644"
            case 9:
                if random.chance(50) {
                    let target = Array("../target-\(random.int(0...9))".utf8)
                    state[newPath(avoiding: state)] = Entry(mode: "120000", content: target)
                } else if let path = regular.isEmpty ? nil : random.pick(regular) {
                    // Type change: a regular file becomes a symlink.
                    state[path] = Entry(mode: "120000", content: Array("elsewhere/\(random.int(0...9))".utf8))
                }
            case 10:
                var content = text()
                content.insert(0, at: min(content.count, random.int(0...3)))
                content += [0x00, 0xFF, 0x10]
                state[newPath(avoiding: state)] = Entry(mode: "100644", content: content)
            default:
                if random.chance(50) {
                    state[newPath(avoiding: state)] = Entry(mode: "100644", content: [])
                } else {
                    let id = (0..<40).map { _ in String(random.int(0...15), radix: 16) }.joined()
                    state[newPath(avoiding: state)] = Entry(mode: "160000", content: Array(id.utf8))
                }
            }
        }
    }

    private mutating func newPath(avoiding state: [[UInt8]: Entry]) -> [UInt8] {
        while true {
            uniqueCounter += 1
            let directory = random.pick(Self.directories)
            // A directory component must not collide with an existing file path.
            let conflicts = state.keys.contains { path in
                !directory.isEmpty && directory.starts(with: path) && directory.count > path.count
                    && directory[path.count] == 0x2F
            }
            if conflicts { continue }
            let name = directory + random.pick(Self.stems) + Array("-\(uniqueCounter)".utf8) + random.pick(Self.extensions)
            let prefixTaken = state.keys.contains { $0.starts(with: name + [0x2F]) }
            if state[name] == nil && !prefixTaken { return name }
        }
    }

    /// Text of 1 to 30 lines with a unique line, sometimes without a final newline.
    private mutating func text() -> [UInt8] {
        uniqueCounter += 1
        var lines = ["unique \(uniqueCounter) \(random.int(0...1_000_000))"]
        for _ in 0..<random.int(0...29) { lines.append(random.pick(Self.words)) }
        lines.shuffle(using: &random)
        var content = Array(lines.joined(separator: "\n").utf8)
        if !random.chance(15) { content.append(0x0A) }
        return content
    }

    private mutating func edit(_ content: [UInt8]) -> [UInt8] {
        var lines = content.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        let finalNewline = content.last == 0x0A
        if finalNewline { lines.removeLast() }
        for _ in 0..<random.int(1...4) {
            let position = lines.isEmpty ? 0 : random.int(0...lines.count)
            switch random.int(0...2) {
            case 0: lines.insert(Array(random.pick(Self.words).utf8), at: position)
            case 1: if position < lines.count { lines.remove(at: position) }
            default: if position < lines.count { lines[position] = Array("changed \(random.int(0...99))".utf8) }
            }
        }
        var result = lines.map { $0 }.joined(separator: [0x0A]).map { $0 }
        let keepNewline = random.chance(90) ? finalNewline : !finalNewline
        if keepNewline && !result.isEmpty { result.append(0x0A) }
        return result
    }

    private mutating func smallEdit(_ content: [UInt8]) -> [UInt8] {
        // One appended line keeps similarity well above git's 50 % threshold for most files.
        var result = content
        if let last = result.last, last != 0x0A { result.append(0x0A) }
        result += Array("appended \(random.int(0...99))\n".utf8)
        return result
    }
}
