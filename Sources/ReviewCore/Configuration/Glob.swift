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
    /// For `**/name/**`: the plain directory name to look for (the common case, matched
    /// without splitting the path).
    private let directoryName: String?

    /// Creates a glob from its text.
    public init(_ pattern: String) {
        self.pattern = pattern
        var text = pattern
        if text.hasPrefix("./") { text.removeFirst(2) }
        if text.hasPrefix("/") { text.removeFirst() }
        if text.hasSuffix("/") { text += "**" }
        anchored = text.contains("/")
        segments = text.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let wildcard = Set("*?[")
        if segments.count == 3, segments[0] == "**", segments[2] == "**", !segments[1].contains(where: wildcard.contains) {
            directoryName = segments[1]
        } else {
            directoryName = nil
        }
    }

    public var description: String { pattern }

    /// Whether a repository-relative path matches.
    public func matches(_ path: String) -> Bool {
        // Planning matches every changed path against every pattern, so the common shapes
        // work on the UTF-8 bytes without building substrings.
        let bytes = path.utf8
        if let directoryName {
            let name = directoryName.utf8
            return bytes.split(separator: 0x2F).dropLast().contains { $0.elementsEqual(name) }
        }
        if !anchored {
            guard let only = segments.first else { return false }
            let components = bytes.split(separator: 0x2F)
            guard let last = components.last else { return false }
            if Glob.segmentMatches(only, String(decoding: last, as: UTF8.self)) { return true }
            return components.dropLast().contains { Glob.segmentMatches(only, String(decoding: $0, as: UTF8.self)) }
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
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
