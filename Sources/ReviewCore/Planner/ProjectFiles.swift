import Foundation
import ReviewGit

/// Read access to one revision's files, for planning: a materialized directory or the
/// git tree itself (so `review --plan` writes nothing).
public protocol ProjectFiles {
    /// Every file path, repository-relative, sorted.
    var paths: [String] { get }
    /// Whether a file exists.
    func exists(_ path: String) -> Bool
    /// The file's text (UTF-8, invalid bytes replaced), or `nil`.
    func text(_ path: String) -> String?
    /// The first bytes of a file.
    func prefix(_ path: String, count: Int) -> [UInt8]
    /// The file's bytes, or `nil`.
    func bytes(_ path: String) -> [UInt8]?
}

/// Directories planning never looks into: virtualenvs, caches, installed packages, and
/// hidden ones (`.git`, `.tox`, ...).
enum IgnoredDirectories {
    static let names: Set<String> = ["venv", "node_modules", "site-packages", "__pycache__"]

    /// Whether a path component names such a directory.
    static func contains(_ name: some StringProtocol) -> Bool {
        name.hasPrefix(".") || names.contains(String(name))
    }
}

/// Files of a directory on disk.
public struct DirectoryFiles: ProjectFiles {
    public let root: String
    public let paths: [String]

    /// Lists the files under `root` (skipping virtualenvs, caches and hidden directories).
    public init(root: String) {
        self.root = root
        var found: [String] = []
        if let enumerator = FileManager.default.enumerator(atPath: root) {
            while let entry = enumerator.nextObject() as? String {
                let name = (entry as NSString).lastPathComponent
                let isDirectory = (enumerator.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory
                if IgnoredDirectories.contains(name) {
                    if isDirectory { enumerator.skipDescendants() }
                    continue
                }
                if !isDirectory { found.append(entry) }
            }
        }
        paths = found.sorted()
    }

    public func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: root + "/" + path) }

    public func text(_ path: String) -> String? {
        FileManager.default.contents(atPath: root + "/" + path).map { String(decoding: $0, as: UTF8.self) }
    }

    public func bytes(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: root + "/" + path).map { [UInt8]($0) }
    }

    public func prefix(_ path: String, count: Int) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: root + "/" + path) else { return [] }
        defer { try? handle.close() }
        return Array((try? handle.read(upToCount: count)) ?? Data())
    }
}

/// Files of a commit, read from the object database.
public struct TreeFiles: ProjectFiles {
    let repository: Repository
    let listing: TreeListing
    public let paths: [String]

    /// Lists a commit's files.
    public init(repository: Repository, commit: ObjectID) throws(GitError) {
        self.repository = repository
        listing = try repository.listing(of: commit)
        paths = listing.entries.keys.sorted()
    }

    public func exists(_ path: String) -> Bool { listing.entries[path] != nil }

    public func text(_ path: String) -> String? {
        bytes(path).map { String(decoding: $0, as: UTF8.self) }
    }

    public func bytes(_ path: String) -> [UInt8]? {
        guard let entry = listing.entries[path], entry.mode == .regular || entry.mode == .executable else { return nil }
        return try? repository.blob(entry.id)
    }

    public func prefix(_ path: String, count: Int) -> [UInt8] {
        guard let entry = listing.entries[path], entry.mode == .regular || entry.mode == .executable,
            let bytes = try? repository.blob(entry.id)
        else { return [] }
        return Array(bytes.prefix(count))
    }
}
