import Foundation
import ReviewGit

/// Writes one revision's files into a directory: the work behind `review export`.
public enum RevisionExporter {
    /// Resolves `revision` (or the worktree) in the repository around `repositoryPath`
    /// and writes its files into `directory`, which must be empty or not exist yet.
    ///
    /// - Returns: the number of entries written.
    /// - Throws: ``ReviewFailure`` (2 for input errors, 3 for git or file-system failures).
    public static func export(
        from repositoryPath: String, revision: String?, into directory: String
    ) throws(ReviewFailure) -> Int {
        let manager = FileManager.default
        if let existing = try? manager.contentsOfDirectory(atPath: directory), !existing.isEmpty {
            throw ReviewFailure("'\(directory)' is not empty; export writes into an empty directory", status: .usage)
        }
        do {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ReviewFailure("cannot create '\(directory)': \(error.localizedDescription)", status: .infrastructure)
        }
        do {
            let repository = try Repository.discover(from: repositoryPath)
            let side: Revision
            if let revision {
                side = .commit(try repository.commitID(of: revision))
            } else {
                side = .worktree
                _ = try repository.resolve(.worktree)
            }
            return try repository.export(side, into: directory)
        } catch {
            throw ReviewFailure(error)
        }
    }
}
