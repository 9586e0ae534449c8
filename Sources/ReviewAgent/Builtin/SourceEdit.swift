/// Line-level edits of Python source: reverting one hunk, and the unified diff for it.
public enum SourceEdit {
    /// Splits text into lines that keep their `\n` (the last one may lack it).
    public static func lines(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if character == "\n" {
                result.append(current)
                current = ""
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// The head text with one hunk put back to its base form.
    ///
    /// - Parameters:
    ///   - head: the file's lines at head.
    ///   - base: the file's lines at base.
    ///   - hunk: a zero-context hunk between them.
    /// - Returns: the reverted lines, and where the replacement starts (0-based) and what it
    ///   removes and inserts.
    public static func revert(head: [String], base: [String], hunk: ChangedRange) -> Replacement {
        let headStart = hunk.newLines == 0 ? hunk.newStart : hunk.newStart - 1
        let baseStart = hunk.oldLines == 0 ? hunk.oldStart : hunk.oldStart - 1
        let clampedHead = min(max(0, headStart), head.count)
        let removed = Array(head[clampedHead..<min(head.count, clampedHead + hunk.newLines)])
        let clampedBase = min(max(0, baseStart), base.count)
        let inserted = Array(base[clampedBase..<min(base.count, clampedBase + hunk.oldLines)])
        var result = Array(head[..<clampedHead])
        result += inserted
        result += head[min(head.count, clampedHead + hunk.newLines)...]
        return Replacement(original: head, start: clampedHead, removed: removed, inserted: inserted, result: result)
    }

    /// One contiguous replacement in a file.
    public struct Replacement: Hashable, Sendable {
        /// The lines before the edit.
        public var original: [String]
        /// Index (0-based) of the first replaced line.
        public var start: Int
        /// The lines taken out.
        public var removed: [String]
        /// The lines put in.
        public var inserted: [String]
        /// The lines after the edit.
        public var result: [String]

        /// The text after the edit.
        public var text: String { result.joined() }

        /// A unified diff with three lines of context that `git apply` accepts.
        public func unifiedDiff(path: String) -> String {
            let context = 3
            let before = max(0, start - context)
            let afterEnd = min(original.count, start + removed.count + context)
            let leading = Array(original[before..<start])
            let trailing = Array(original[(start + removed.count)..<afterEnd])
            let oldCount = leading.count + removed.count + trailing.count
            let newCount = leading.count + inserted.count + trailing.count
            let oldStart = oldCount == 0 ? before : before + 1
            let newStart = newCount == 0 ? before : before + 1
            var out = "--- a/\(path)\n+++ b/\(path)\n"
            out += "@@ -\(Self.range(oldStart, oldCount)) +\(Self.range(newStart, newCount)) @@\n"
            // Lines without a final newline can only be last; mark them as git does.
            func emit(_ prefix: String, _ line: String) {
                if line.hasSuffix("\n") {
                    out += prefix + line
                } else {
                    out += prefix + line + "\n\\ No newline at end of file\n"
                }
            }
            for line in leading { emit(" ", line) }
            // When the old side's last line lacks a newline but the new side adds lines after
            // it, the markers must follow each side's own last line.
            for line in removed { emit("-", line) }
            for line in inserted { emit("+", line) }
            for line in trailing { emit(" ", line) }
            return out
        }

        private static func range(_ start: Int, _ count: Int) -> String {
            count == 1 ? "\(start)" : "\(start),\(count)"
        }
    }
}

extension SourceEdit {
    /// Applies a unified diff (one file's hunks) to `lines`, strictly: every context and
    /// removed line must match where the hunk says. `nil` when it does not apply.
    public static func apply(diff: String, to lines: [String]) -> [String]? {
        var result = lines
        var offset = 0
        var applied = 0
        let diffLines = diff.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var index = 0
        while index < diffLines.count {
            let header = diffLines[index]
            guard header.hasPrefix("@@ -") else {
                index += 1
                continue
            }
            let numbers = header.dropFirst(4).split(separator: " ")
            guard let oldPart = numbers.first, let oldStart = Int(oldPart.split(separator: ",")[0]) else { return nil }
            index += 1
            var old: [String] = []
            var new: [String] = []
            while index < diffLines.count, !diffLines[index].hasPrefix("@@") {
                let line = diffLines[index]
                if line.hasPrefix("--- ") || line.hasPrefix("+++ ") || line.hasPrefix("diff ") { break }
                // The text after the final newline is not a line.
                if line.isEmpty && index == diffLines.count - 1 { break }
                if line.hasPrefix("\\") {
                    // "\ No newline at end of file": the previous line had no newline.
                    if let last = old.last, new.last == last { new[new.count - 1].removeLast() }
                    if var last = old.popLast() {
                        if last.hasSuffix("\n") { last.removeLast() }
                        old.append(last)
                    }
                } else if line.hasPrefix(" ") || line.isEmpty {
                    let text = String(line.dropFirst()) + "\n"
                    old.append(text)
                    new.append(text)
                } else if line.hasPrefix("-") {
                    old.append(String(line.dropFirst()) + "\n")
                } else if line.hasPrefix("+") {
                    new.append(String(line.dropFirst()) + "\n")
                }
                index += 1
            }
            let start = (old.isEmpty ? oldStart : oldStart - 1) + offset
            guard start >= 0, start + old.count <= result.count,
                Array(result[start..<(start + old.count)]).elementsEqual(old, by: { $0 == $1 || $0 + "\n" == $1 })
            else { return nil }
            result.replaceSubrange(start..<(start + old.count), with: new)
            offset += new.count - old.count
            applied += 1
        }
        return applied > 0 ? result : nil
    }

    /// The single replacement that turns `original` into `edited` (common prefix and
    /// suffix kept), for rendering a patch of the change.
    public static func replacement(from original: [String], to edited: [String]) -> Replacement {
        var prefix = 0
        while prefix < original.count, prefix < edited.count, original[prefix] == edited[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < original.count - prefix, suffix < edited.count - prefix,
            original[original.count - 1 - suffix] == edited[edited.count - 1 - suffix]
        {
            suffix += 1
        }
        return Replacement(
            original: original, start: prefix, removed: Array(original[prefix..<(original.count - suffix)]),
            inserted: Array(edited[prefix..<(edited.count - suffix)]), result: edited)
    }
}
