import Foundation
import ReviewGit

/// Review results kept between runs, under `<common git dir>/review/cache/`.
///
/// The common git directory is shared by every linked worktree, so a range reviewed from
/// one worktree is cached for all of them. Each entry is one file named by the digest of
/// its key. Its first line holds the format version, the key digest and a digest of the
/// payload. A reader checks all three and discards (with a warning) an entry that does not
/// match: a truncated or altered entry is never trusted.
///
/// Writers write a temporary file in the same directory and rename it into place, so
/// concurrent runs see an old entry or a new one, never half of one. A hit refreshes the
/// entry's modification time; when the directory grows past its bound, the entries used
/// least recently are removed first.
public final class ResultCache: @unchecked Sendable {
    /// The directory that holds the entries.
    public let directory: String
    /// The most bytes the entries may take.
    public let maxBytes: Int
    private let lock = NSLock()
    private var pendingWarnings: [String] = []
    private static let header = "review-cache 1"

    /// Opens (creating if needed) the cache of a repository.
    ///
    /// - Parameters:
    ///   - gitDirectory: the repository's common git directory.
    ///   - maxBytes: the size bound; least recently used entries go first.
    /// - Returns: `nil` when the directory cannot be created (a read-only repository).
    public init?(gitDirectory: String, maxBytes: Int) {
        let base = gitDirectory.hasSuffix("/") ? gitDirectory : gitDirectory + "/"
        directory = base + "review/cache"
        self.maxBytes = maxBytes
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            return nil
        }
        guard access(directory, W_OK) == 0 else { return nil }
    }

    /// Warnings gathered since the last call (corrupt entries, failed writes).
    public func takeWarnings() -> [String] {
        lock.lock()
        defer { lock.unlock() }
        let taken = pendingWarnings
        pendingWarnings = []
        return taken
    }

    /// The entry for `key`, or `nil` when there is none or it is corrupt (then it is
    /// removed and a warning recorded).
    public func load<Value: Decodable>(_ type: Value.Type, key: CacheKey) -> Value? {
        let path = entryPath(key)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let bytes = [UInt8](data)
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else {
            return discard(path, reason: "no header")
        }
        let header = String(decoding: bytes[..<newline], as: UTF8.self).split(separator: " ")
        let payload = Array(bytes[(newline + 1)...])
        guard header.count == 4, "\(header[0]) \(header[1])" == Self.header else {
            return discard(path, reason: "unknown format")
        }
        guard header[2] == key.digest else { return discard(path, reason: "key mismatch") }
        guard header[3] == ObjectID.blob(hashing: payload).hex else {
            return discard(path, reason: "checksum mismatch")
        }
        let value: Value
        do {
            value = try JSONDecoder().decode(Value.self, from: Data(payload))
        } catch {
            return discard(path, reason: "unreadable payload")
        }
        // Least recently used: a hit counts as a use.
        utimes(path, nil)
        return value
    }

    /// Stores `value` under `key`, atomically. A failure to write only costs the entry.
    public func store<Value: Encodable>(_ value: Value, key: CacheKey) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let payload = try? encoder.encode(value) else { return }
        let bytes = [UInt8](payload)
        var file = Array("\(Self.header) \(key.digest) \(ObjectID.blob(hashing: bytes).hex)\n".utf8)
        file += bytes
        guard Self.replace(entryPath(key), with: Data(file), in: directory) else {
            warn("warning: cannot write the result cache in \(directory); results are not kept")
            return
        }
    }

    /// Writes `data` to a temporary file in `directory` and renames it to `path`, so readers
    /// see the old file or the new one, never half of one; whether it worked.
    static func replace(_ path: String, with data: Data, in directory: String) -> Bool {
        let temporary = directory + "/.tmp-\(getpid())-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: temporary, contents: data), rename(temporary, path) == 0 else {
            unlink(temporary)
            return false
        }
        return true
    }

    /// Removes the least recently used entries while the cache is over its bound (down to
    /// 80 % of it, so that eviction does not run on every store), and temporary files that
    /// a killed run left behind.
    public func evict() {
        let now = Date().timeIntervalSince1970
        let all = files()
        for file in all where file.temporary && now - file.used > 3600 { unlink(file.path) }
        let entries = all.filter { !$0.temporary }
        var total = entries.map(\.size).reduce(0, +)
        guard total > maxBytes else { return }
        let target = maxBytes / 5 * 4
        for entry in entries.sorted(by: { $0.used < $1.used }) {
            if total <= target { break }
            if unlink(entry.path) == 0 || errno == ENOENT { total -= entry.size }
        }
    }

    /// The number of entries and their total size in bytes.
    public func usage() -> (entries: Int, bytes: Int) {
        let entries = files().filter { !$0.temporary }
        return (entries.count, entries.map(\.size).reduce(0, +))
    }

    /// The directory's files: entries, and temporary files of writes in progress (or of
    /// killed runs), with size and last use (modification time).
    private func files() -> [(path: String, size: Int, used: Double, temporary: Bool)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.compactMap { name in
            let path = directory + "/" + name
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            let used = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
            return (path, Int(info.st_size), used, name.hasPrefix(".tmp-"))
        }
    }

    /// The file of an entry.
    public func entryPath(_ key: CacheKey) -> String {
        directory + "/" + key.digest
    }

    private func discard<Value>(_ path: String, reason: String) -> Value? {
        unlink(path)
        warn("warning: discarded a corrupt result cache entry (\(reason)): \(path)")
        return nil
    }

    private func warn(_ message: String) {
        lock.lock()
        if !pendingWarnings.contains(message) { pendingWarnings.append(message) }
        lock.unlock()
    }
}

/// What a cached result depends on, as text; entries are named by its digest.
public struct CacheKey: Hashable, Sendable {
    /// The key's text: one `name value` line per thing the result depends on.
    public let text: String
    /// The git blob id of the text.
    public let digest: String

    /// Creates a key from its lines.
    public init(_ lines: [String]) {
        text = lines.joined(separator: "\n")
        digest = ObjectID.blob(hashing: Array(text.utf8)).hex
    }

    /// This key with more lines (a task's key extends its run's key).
    public func adding(_ lines: [String]) -> CacheKey {
        CacheKey([text] + lines)
    }
}
