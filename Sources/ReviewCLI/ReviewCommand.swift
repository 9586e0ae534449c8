import ArgumentParser
import Foundation
import ReviewCore

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
        subcommands: [
            RunCommand.self, CICommand.self, MergeCommand.self, HookCommand.self, InstallHookCommand.self, UninstallHookCommand.self, ExportCommand.self, MapCommand.self,
            SandboxCommandLine.self, ConfigCommand.self, DemoCommand.self,
        ],
        defaultSubcommand: RunCommand.self
    )
}

extension OutputFormat: ExpressibleByArgument {}

extension FailLevel: ExpressibleByArgument {}
extension SandboxMode: ExpressibleByArgument {}
extension ImpactMapMode: ExpressibleByArgument {}
extension ProbeMode: ExpressibleByArgument {}
extension OnRegression: ExpressibleByArgument {}
extension MapFollows: ExpressibleByArgument {}

/// Options shared by the commands that review: configuration and execution settings.
struct ReviewSettings: ParsableArguments {
    @Option(help: "Lowest severity that makes review exit 1: error, warning, info or none (default: error).")
    var failOn: FailLevel?

    @Option(help: "Python interpreter for the sandbox (default: the project's .venv, python3, /usr/bin/python3).")
    var python: String?

    @Option(help: "Where code runs: bubblewrap (default) or none (no isolation; only when you trust the code).")
    var sandbox: SandboxMode?

    @Option(help: "Seconds before one execution is killed (default 120).")
    var timeout: Int?

    @Option(help: "The most changed files reviewed in one run (default 50).")
    var maxFiles: Int?

    @Option(help: "The most related test files run per changed file (default 50).")
    var maxTests: Int?

    @Option(help: "Tasks worked at the same time (default: the number of cores).")
    var jobs: Int?

    @Option(help: "Start no new file after this many seconds; the report lists what was not reviewed (default: none; the pre-push hook: 60).")
    var budgetSeconds: Int?

    @Option(help: "Read the configuration from this file instead of pyproject.toml and .review.toml.")
    var config: String?

    @Flag(help: "Neither reuse nor keep results in the result cache (<git dir>/review/cache).")
    var noCache = false

    @Option(help: "Test selection by an impact map recorded at base: auto (record when missing), existing (never record; the pre-push default) or off (import graph only).")
    var impactMap: ImpactMapMode?

    @Option(help: "Behaviour review: call each changed function at base and at head on inputs recorded from its tests and derived from the change, and report differences with a verified pinned test: auto or off (the pre-push default).")
    var probe: ProbeMode?

    @Option(help: "Seconds that copying the calls for behaviour review may take in a test session (default: 20).")
    var probeSeconds: Int?

    @Option(help: "What the test session at head does once a failing test is proven a regression (it passes at base and fails again at head): stop (the default, except in `review ci`; the report says how many selected tests did not run) or run-all (the `review ci` default).")
    var onRegression: OnRegression?

    @Option(help: "Which revision the impact map is brought to after a review: base (the default, for repeated reviews of one base) or head (for a branch reviewed commit by commit: the `review ci` default on pushes; beside the review, the tests its change made stale are recorded again at head).")
    var mapFollows: MapFollows?

    @Option(help: "An OpenAI-compatible server for the model-driven agent, e.g. http://127.0.0.1:8080/v1 (or REVIEW_MODEL_URL).")
    var modelUrl: String?

    @Option(help: "The model name sent to the server (or REVIEW_MODEL; default: seed).")
    var model: String?

    @Option(help: "When the model server fails: 'builtin' keeps reviewing without the model (with a warning); default: exit 3.")
    var modelFallback: String?

    @Flag(help: "Send a GBNF grammar that forces the reply shape (llama.cpp servers).")
    var constrained = false

    @Option(help: "Seconds for one model request, generation included (default 120).")
    var modelTimeout: Double?

    @Option(help: "Model tokens (prompt and completion) for the whole run; then the model stops (default 200000).")
    var maxTokens: Int?

    /// The model flags, merged by ReviewCore with the configuration and the environment.
    var modelFlags: ModelFlags {
        var flags = ModelFlags()
        flags.url = modelUrl
        flags.model = model
        flags.fallback = modelFallback
        flags.constrained = constrained
        flags.timeout = modelTimeout
        flags.maxTokens = maxTokens
        return flags
    }

    /// Sets the cache switch and the model of a review's options (with the API key from the
    /// environment, which only the CLI reads).
    func configure(_ options: inout ReviewOptions) throws {
        options.useCache = !noCache
        try modelFlags.apply(to: &options, environment: ProcessInfo.processInfo.environment)
    }

    /// The configuration: files, then REVIEW_* variables, then these flags.
    func configuration(root: String?) throws -> Configuration {
        var configuration = try Configuration.load(root: root, explicitFile: config)
        if let failOn { try configuration.set(.failOn, text: failOn.rawValue, origin: "flag --fail-on") }
        if let python { try configuration.set(.python, text: python, origin: "flag --python") }
        if let sandbox { try configuration.set(.sandbox, text: sandbox.rawValue, origin: "flag --sandbox") }
        if let timeout { try configuration.set(.timeout, text: String(timeout), origin: "flag --timeout") }
        if let maxFiles { try configuration.set(.maxFiles, text: String(maxFiles), origin: "flag --max-files") }
        if let maxTests { try configuration.set(.maxTests, text: String(maxTests), origin: "flag --max-tests") }
        if let jobs { try configuration.set(.jobs, text: String(jobs), origin: "flag --jobs") }
        if let impactMap { try configuration.set(.impactMap, text: impactMap.rawValue, origin: "flag --impact-map") }
        if let probe { try configuration.set(.probe, text: probe.rawValue, origin: "flag --probe") }
        if let onRegression {
            try configuration.set(.onRegression, text: onRegression.rawValue, origin: "flag --on-regression")
        }
        if let mapFollows { try configuration.set(.mapFollows, text: mapFollows.rawValue, origin: "flag --map-follows") }
        if let probeSeconds {
            try configuration.set(.probeSeconds, text: String(probeSeconds), origin: "flag --probe-seconds")
        }
        if let budgetSeconds {
            try configuration.set(.budgetSeconds, text: String(budgetSeconds), origin: "flag --budget-seconds")
        }
        return configuration
    }
}

/// `review [<rev-range>]`: review the range by running it, or show the plan.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Review a revision range (the default command).",
        discussion: """
            Range forms: A..B, A...B (from the merge base), X (X's first parent..X), A.., ..B, \
            @{u}, HEAD~3, tags and (abbreviated) SHAs. Without a range: @{upstream}..HEAD. \
            Each changed Python file is byte-compiled, imported and its related tests run at \
            head in a bubblewrap sandbox; failures are rerun at base (regression or \
            pre-existing?), rerun at head (flaky?) and bisected to the culprit hunk.
            """
    )

    @Argument(help: "The revision range to review (default: @{upstream}..HEAD).")
    var range: String?

    @Flag(help: "Show the change set and the review tasks with their related tests; run nothing.")
    var plan = false

    @Flag(help: "Review uncommitted changes (index, worktree and untracked files) against HEAD.")
    var worktree = false

    @OptionGroup var outputs: ReportOutputs

    @Flag(help: "Print each task's Plan/Execute/Reflect/Finish transcript on stderr.")
    var trace = false

    @Option(help: "Write each task's steps and model conversation as JSON lines into DIR (no secrets).")
    var traceDir: String?

    @Option(name: .customShort("C"), help: "Run as if started in <path>.")
    var directory: String?

    @OptionGroup var settings: ReviewSettings

    func validate() throws {
        if worktree && range != nil {
            throw ValidationError("--worktree takes no range; it reviews the uncommitted changes against HEAD")
        }
        if plan, let bad = outputs.format.first(where: { $0 != .text && $0 != .json }) {
            throw ValidationError("--plan writes text or json, not \(bad.rawValue)")
        }
    }

    func run() throws {
        let project = try Project.open(directory ?? FileManager.default.currentDirectoryPath)
        let configuration = try settings.configuration(root: project.root)
        var options = ReviewOptions(
            request: worktree ? .worktree : range.map { .revisions($0) } ?? .upstream, configuration: configuration)
        if plan {
            let planned = try ChangePlanner.plan(in: project, for: options.request, configuration: configuration)
            let report = PlanReport(changeSet: planned.changeSet, tasks: planned.tasks, skipped: planned.skipped)
            let planFormat = outputs.format.first ?? .text
            let text = planFormat == .json ? report.json() : report.text()
            if planFormat == .json && planned.changeSet.isEmpty { Output.error("nothing to review") }
            if let file = outputs.output.first { try Output.writeAtomically(text, to: file) } else { Output.write(text) }
            return
        }
        let progress = Progress(enabled: Terminal.isInteractive(FileHandle.standardError), trace: trace)
        let reviewer = Reviewer(onEvent: { event in progress.handle(event) })
        try settings.configure(&options)
        let result = try reviewer.review(options, in: project)
        progress.finish()
        if let traceDir { try TraceWriter.write(result, to: traceDir) }
        let rendering = ResultRendering(result: result, failOn: configuration.failOn)
        try outputs.plan.write(rendering)
        if rendering.exitStatus != .clean { throw ExitCode(rendering.exitStatus.rawValue) }
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
        Output.write("Branch 'feature' has a benign refactor and a regression on top of 'main';\n")
        Output.write("tests/test_tax.py has a test that already failed on 'main'.\n")
        Output.write("$ review main..feature\n\n")
        let configuration = try Configuration.load(root: path)
        let result = try Reviewer().review(
            ReviewOptions(request: .revisions("main..feature"), configuration: configuration), in: try Project.open(path))
        let rendering = ResultRendering(result: result, failOn: configuration.failOn)
        Output.write(try rendering.render(.text, color: Terminal.wantsColor(FileHandle.standardOutput)))
        Output.write("\nLook around: cd \(path) && git log --oneline main..feature\n")
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

/// `review sandbox -- <command>`: run a command in review's sandbox (diagnostics, benchmarks).
struct SandboxCommandLine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run a command in the sandbox review uses, to check it works on this machine.",
        discussion: """
            The command sees a read-only system, its own /tmp, no network and, with --source, \
            DIR read-only at /review/src (its working directory). `python3` means the interpreter \
            review would use. Exits with the command's exit code (128+N when killed by signal N).
            """
    )

    @Option(help: "A directory to show read-only at /review/src.")
    var source: String?

    @Flag(help: "Print the complete bubblewrap argv, one argument per line, instead of running.")
    var printArgv = false

    @OptionGroup var settings: ReviewSettings

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments (after --).")
    var command: [String] = []

    func validate() throws {
        if command.filter({ $0 != "--" }).isEmpty { throw ValidationError("give a command to run, after --") }
    }

    func run() throws {
        let argv = command.first == "--" ? Array(command.dropFirst()) : command
        let configuration = try settings.configuration(root: nil)
        if printArgv {
            let arguments = try SandboxDiagnostics.invocation(argv, source: source, configuration: configuration)
            Output.write(arguments.joined(separator: "\n") + "\n")
            return
        }
        let result = try SandboxDiagnostics.run(argv, source: source, configuration: configuration)
        Output.write(result.stdout)
        FileHandle.standardError.write(Data(result.stderr.utf8))
        if let signal = result.signal { throw ExitCode(128 + signal) }
        if let code = result.exitCode, code != 0 { throw ExitCode(code) }
    }
}

/// `--format`, `--output` and `--template`: which reports a command writes, and where.
struct ReportOutputs: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Output format: text, json, markdown, patch, sarif, rdjsonl or github (repeatable).",
            discussion: "Pair each --format with an --output FILE, in order; a format without one goes to stdout."))
    var format: [OutputFormat] = []

    @Option(help: "Write the matching --format to FILE (atomically: a temporary file, then a rename).")
    var output: [String] = []

    @Option(help: "A directory of Mustache templates that override the shipped Markdown templates file by file.")
    var template: String?

    func validate() throws {
        if output.count > max(1, format.count) {
            throw ValidationError("each --output needs its own --format before it")
        }
        if format.count - output.count > 1 {
            throw ValidationError("only one --format can go to stdout; give the others an --output FILE")
        }
    }

    var plan: OutputPlan { OutputPlan(formats: format, outputs: output, template: template) }
}
