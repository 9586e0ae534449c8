import Foundation
import ReviewGit
import ReviewReport

/// Installs and removes the pre-push hook in the hooks directory git uses.
public enum HookInstaller {
    /// The line that marks a hook as review's own.
    static let marker = "review pre-push hook"

    /// The hooks directory: `core.hooksPath` (relative to the worktree root) or `.git/hooks`.
    public static func hooksDirectory(repositoryAt directory: String) throws(ReviewFailure) -> String {
        let repository: Repository
        do {
            repository = try Repository.discover(from: directory)
        } catch {
            throw ReviewFailure(error)
        }
        if let configured = repository.configValue("core.hooksPath"), !configured.isEmpty {
            var path = configured
            if path.hasPrefix("~/") { path = NSHomeDirectory() + String(path.dropFirst()) }
            if !path.hasPrefix("/") {
                let root = repository.workingDirectory ?? repository.gitDirectory
                path = (root.hasSuffix("/") ? root : root + "/") + path
            }
            return path
        }
        return repository.commonDirectory + "hooks"
    }

    /// The hook script shipped with review: `$REVIEW_HOOKS`, `share/review/hooks` beside the
    /// installed binary, or `Hooks/` of the source tree.
    static func script() throws(ReviewFailure) -> String {
        let directories = ShippedResources.hooks
        for directory in directories {
            if let text = try? String(contentsOfFile: directory + "/pre-push", encoding: .utf8) { return text }
        }
        throw ReviewFailure(
            "the pre-push hook script was not found (looked in \(directories.joined(separator: ", "))); install review with 'make install'",
            status: .infrastructure)
    }

    /// Installs the hook; an existing hook that is not review's is kept as `pre-push.local`
    /// and chained, but only with `force`.
    ///
    /// - Returns: a sentence for the user.
    public static func install(repositoryAt directory: String, force: Bool) throws(ReviewFailure) -> String {
        let hooks = try hooksDirectory(repositoryAt: directory)
        let target = hooks + "/pre-push"
        let text = try script()
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: hooks, withIntermediateDirectories: true)
            var note = "installed the review pre-push hook in \(hooks)"
            if let existing = try? String(contentsOfFile: target, encoding: .utf8) {
                if existing.contains(marker) {
                    note = "updated the review pre-push hook in \(hooks)"
                } else {
                    guard force else {
                        throw ReviewFailure(
                            "\(target) exists and was not written by review; rerun with --force to keep it as pre-push.local and chain it",
                            status: .usage)
                    }
                    let local = hooks + "/pre-push.local"
                    if manager.fileExists(atPath: local) {
                        throw ReviewFailure("\(local) exists already; move it away first", status: .usage)
                    }
                    try manager.moveItem(atPath: target, toPath: local)
                    note += "; the previous hook is kept as pre-push.local and runs first"
                }
            }
            let temporary = target + ".review-new"
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
            chmod(temporary, 0o755)
            guard rename(temporary, target) == 0 else {
                throw ReviewFailure("cannot write \(target): \(String(cString: strerror(errno)))", status: .infrastructure)
            }
            return note
        } catch let failure as ReviewFailure {
            throw failure
        } catch {
            throw ReviewFailure("cannot install the hook in \(hooks): \(error.localizedDescription)", status: .infrastructure)
        }
    }

    /// Removes review's hook and puts a chained `pre-push.local` back.
    public static func uninstall(repositoryAt directory: String) throws(ReviewFailure) -> String {
        let hooks = try hooksDirectory(repositoryAt: directory)
        let target = hooks + "/pre-push"
        let manager = FileManager.default
        guard let existing = try? String(contentsOfFile: target, encoding: .utf8) else {
            return "no pre-push hook is installed in \(hooks)"
        }
        guard existing.contains(marker) else {
            throw ReviewFailure("\(target) was not written by review; leaving it alone", status: .usage)
        }
        do {
            try manager.removeItem(atPath: target)
            if manager.fileExists(atPath: hooks + "/pre-push.local") {
                try manager.moveItem(atPath: hooks + "/pre-push.local", toPath: target)
                return "removed the review pre-push hook; restored the previous one"
            }
        } catch {
            throw ReviewFailure("cannot remove \(target): \(error.localizedDescription)", status: .infrastructure)
        }
        return "removed the review pre-push hook"
    }
}
