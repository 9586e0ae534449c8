import ArgumentParser
import Foundation
import ReviewCore
import ReviewGit

/// The root command: `review [<rev-range>]` reviews by default; subcommands add entry points.
struct ReviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Review the Python changes in a git revision range by running them.",
        discussion: """
            Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage or input error \
            (bad range, not a repository), 3 infrastructure failure (git, sandbox, model server).
            """,
        version: ReviewVersion.current,
        subcommands: [RunCommand.self, ExportCommand.self, DemoCommand.self],
        defaultSubcommand: RunCommand.self
    )
}

/// Output formats of `--plan`.
enum PlanFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// `review [<rev-range>]`: resolve the range and show (for now, with `--plan`) what would be reviewed.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Review a revision range (the default command).",
        discussion: """
            Range forms: A..B, A...B (from the merge base), X (X's first parent..X), A.., ..B, \
            @{u}, HEAD~3, tags and (abbreviated) SHAs. Without a range: @{upstream}..HEAD.
            """
    )

    @Argument(help: "The revision range to review (default: @{upstream}..HEAD).")
    var range: String?

    @Flag(help: "Show the change set that would be reviewed, run nothing.")
    var plan = false

    @Flag(help: "Review uncommitted changes (index, worktree and untracked files) against HEAD.")
    var worktree = false

    @Option(help: "Output format: text or json.")
    var format: PlanFormat = .text

    @Option(name: .customShort("C"), help: "Run as if started in <path>.")
    var directory: String?

    func validate() throws {
        if worktree && range != nil {
            throw ValidationError("--worktree takes no range; it reviews the uncommitted changes against HEAD")
        }
        if !plan {
            throw ValidationError("only --plan is available in this version; the execution review is not built yet")
        }
    }

    func run() throws {
        let request: RangeRequest
        if worktree {
            request = .worktree
        } else if let range {
            request = .revisions(range)
        } else {
            request = .upstream
        }
        let changes = try ChangePlanner.changeSet(
            in: directory ?? FileManager.default.currentDirectoryPath, for: request)
        let report = PlanReport(changeSet: changes)
        switch format {
        case .text:
            Output.write(report.text())
        case .json:
            if changes.isEmpty { Output.error("nothing to review") }
            Output.write(report.json())
        }
    }
}

/// `review demo`: build the sample repository and review it.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Create a sample Python repository with a regression and review it.",
        discussion: "The repository is kept so you can look at it; its path is printed first."
    )

    @Option(help: "Create the sample repository under this directory (default: the temp directory).")
    var directory: String?

    func run() throws {
        let path = try DemoProject.create(in: directory)
        Output.write("Sample repository: \(path)\n")
        Output.write("Branch 'feature' has a benign refactor and a regression on top of 'main'.\n")
        Output.write("$ review --plan main..feature\n\n")
        let changes = try ChangePlanner.changeSet(in: path, for: .revisions("main..feature"))
        Output.write(PlanReport(changeSet: changes).text())
        Output.write("\nThe execution review of these changes is not built yet; this shows the plan.\n")
    }
}

/// `review export <rev> <dir>`: write a revision's files as the sandbox will see them.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a revision's files into a directory, as review materializes it.",
        discussion: """
            Regular files keep their executable bit, symlinks stay symlinks, submodules become \
            empty directories. Without a revision, exports the worktree state (HEAD plus \
            staged, unstaged and untracked changes). Never touches the repository.
            """
    )

    @Argument(help: "The revision to export (default: the worktree state).")
    var revision: String?

    @Option(name: .shortAndLong, help: "The directory to write into (created; must be empty).")
    var output: String

    @Option(name: .customShort("C"), help: "Run as if started in <path>.")
    var directory: String?

    func run() throws {
        let count = try RevisionExporter.export(
            from: directory ?? FileManager.default.currentDirectoryPath, revision: revision, into: output)
        Output.error("exported \(count) entries into \(output)")
    }
}
