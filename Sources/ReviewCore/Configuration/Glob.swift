#if canImport(Glibc)
import Glibc
#endif

/// Path patterns as in `.gitignore`-style configs: `*`, `?` and `[...]` within one path
/// segment, `**` for any number of segments. A pattern without `/` matches the last
/// segment anywhere (`*_pb2.py`); patterns are relative to the repository root.
public struct Glob: Hashable, Sendable, CustomStringConvertible {
    public let pattern: String
    private let segments: [String]
    private let anchored: Bool

    /// Creates a glob from its text.
    public init(_ pattern: String) {
        self.pattern = pattern
        var text = pattern
        if text.hasPrefix("./") { text.removeFirst(2) }
        if text.hasPrefix("/") { text.removeFirst() }
        if text.hasSuffix("/") { text += "**" }
        anchored = text.contains("/")
        segments = text.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    public var description: String { pattern }

    /// Whether a repository-relative path matches.
    public func matches(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if !anchored {
            guard let last = parts.last, let only = segments.first else { return false }
            return Glob.segmentMatches(only, last) || parts.dropLast().contains { Glob.segmentMatches(only, $0) }
        }
        return Glob.match(segments[...], parts[...])
    }

    private static func match(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
        guard let head = pattern.first else { return path.isEmpty }
        if head == "**" {
            let rest = pattern.dropFirst()
            var remaining = path
            while true {
                if match(rest, remaining) { return true }
                guard !remaining.isEmpty else { return false }
                remaining = remaining.dropFirst()
            }
        }
        guard let first = path.first, segmentMatches(head, first) else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }

    static func segmentMatches(_ pattern: String, _ segment: String) -> Bool {
        fnmatch(pattern, segment, 0) == 0
    }
}
