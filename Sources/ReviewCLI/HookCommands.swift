import ArgumentParser
import Foundation
import ReviewCore

/// `review hook pre-push <remote> <url>`: what the installed hook runs, with git's stdin.
struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "Run as a git hook (called by Hooks/pre-push; reads git's stdin).",
        discussion: """
            For each pushed ref: a deleted ref is skipped; an existing remote ref is reviewed \
            from its old commit; a new branch from its merge base with the remote's default \
            branch (refs/remotes/<remote>/HEAD, else main or master), else from the first \
            commit on no remote-tracking ref. Several refs with the same range are reviewed \
            once. The report goes to stderr; exit 1 blocks the push. REVIEW_SKIP=1 or \
            `git push --no-verify` skips the review.
            """
    )

    @Argument(help: "pre-push (git's hook), or pre-commit (the pre-commit framework's hook).")
    var name: String

    @Argument(help: "The remote's name, as git passes it.")
    var remote: String = "origin"

    @Argument(help: "The remote's URL, as git passes it.")
    var url: String = ""

    @OptionGroup var settings: ReviewSettings

    func validate() throws {
        guard name == "pre-push" || name == "pre-commit" else {
            throw ValidationError("unknown hook '\(name)'; use pre-push or pre-commit")
        }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        if environment["REVIEW_SKIP"] == "1" {
            Output.error("skipped (REVIEW_SKIP=1)")
            return
        }
        let project = try Project.open(FileManager.default.currentDirectoryPath)
        var configuration = try settings.configuration(root: project.root)
        // A hook that takes a minute gets uninstalled: 60 s unless configured.
        if !configuration.isSet(.budgetSeconds) {
            try configuration.set(.budgetSeconds, text: "60", origin: "pre-push default")
        }
        // Recording an impact map runs the whole suite once: not in a hook; use one if CI or
        // an earlier review recorded it.
        if !configuration.isSet(.impactMap) {
            try configuration.set(.impactMap, text: "existing", origin: "pre-push default")
        }
        // Behaviour review runs each changed function at base and head: CI's job, not a push's.
        if !configuration.isSet(.probe) {
            try configuration.set(.probe, text: "off", origin: "pre-push default")
        }
        let entries: [PushRanges.Entry]
        let notes: [String]
        if name == "pre-commit" {
            // The pre-commit framework gives the pushed range in PRE_COMMIT_FROM_REF and
            // PRE_COMMIT_TO_REF; run at commit time, it reviews the staged and unstaged changes.
            (entries, notes) = (try PushReview.preCommitRange(environment, in: project), [])
        } else {
            let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            (entries, notes) = PushReview.ranges(input, remote: remote, in: project)
        }
        for note in notes { Output.error(note) }
        var worst = ExitStatus.clean
        let color = Terminal.wantsColor(FileHandle.standardError)
        for entry in entries {
            var options = ReviewOptions(request: entry.request, configuration: configuration)
            options.useCache = !settings.noCache
            let result = try Reviewer().review(options, in: project)
            let rendering = ResultRendering(result: result, failOn: configuration.failOn)
            if !result.tasks.isEmpty {
                var text = try rendering.render(.text, color: color)
                text = "review of \(entry.refs.joined(separator: ", ")) (from \(entry.basis)):\n" + text
                FileHandle.standardError.write(Data(text.utf8))
            }
            if rendering.exitStatus.rawValue > worst.rawValue { worst = rendering.exitStatus }
        }
        if worst == .findings {
            Output.error("push blocked: fix the errors above, or push with --no-verify (or REVIEW_SKIP=1) to skip the review")
            throw ExitCode(worst.rawValue)
        }
    }
}

/// `review install-hook [--force]`.
struct InstallHookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install-hook",
        abstract: "Install the pre-push hook into the hooks directory git uses (core.hooksPath or .git/hooks).",
        discussion: "A hook that review did not write is left alone unless --force; then it is kept as pre-push.local and runs first."
    )

    @Flag(help: "Replace a foreign pre-push hook, keeping it as pre-push.local and chaining it.")
    var force = false

    @Option(name: .customShort("C"), help: "Run as if started in <path>.")
    var directory: String?

    func run() throws {
        let note = try HookInstaller.install(
            repositoryAt: directory ?? FileManager.default.currentDirectoryPath, force: force)
        Output.error(note)
    }
}

/// `review uninstall-hook`.
struct UninstallHookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall-hook", abstract: "Remove review's pre-push hook (restoring a chained pre-push.local).")

    @Option(name: .customShort("C"), help: "Run as if started in <path>.")
    var directory: String?

    func run() throws {
        Output.error(try HookInstaller.uninstall(repositoryAt: directory ?? FileManager.default.currentDirectoryPath))
    }
}
