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
