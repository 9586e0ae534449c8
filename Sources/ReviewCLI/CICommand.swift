import ArgumentParser
import Foundation
import ReviewCore

/// `review ci`: the review step of a CI job.
struct CICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ci",
        abstract: "Review the range of a CI job (GitHub Actions, GitLab CI, or --base).",
        discussion: """
            GitHub Actions: pull_request reviews from the merge base of the base branch and the \
            PR head; push reviews the pushed commits (a new branch: from its merge base with the \
            default branch). GitLab CI: CI_MERGE_REQUEST_DIFF_BASE_SHA, else CI_COMMIT_BEFORE_SHA. \
            On GitHub the Markdown report is appended to GITHUB_STEP_SUMMARY and annotations go \
            to stdout; elsewhere the text report does. With --shard I/N the job reviews a \
            deterministic, cost-balanced share of the tasks; `review merge` joins the shards' \
            JSON reports. Exit codes as for review.
            """
    )

    @Option(help: "Review from the merge base of REV and HEAD, whatever the CI system.")
    var base: String?

    @Option(help: "Also write SARIF 2.1.0 to FILE (for code scanning upload).")
    var sarif: String?

    @Option(help: "Also write the Markdown report to FILE (e.g. to post as a comment).")
    var markdown: String?

    @Option(help: "Also write the JSON report to FILE.")
    var json: String?

    @Option(
        help: ArgumentHelp(
            "Review only share I of N of the tasks (a CI matrix job); join the shards' --json reports with review merge.",
            valueName: "I/N"))
    var shard: String?

    @Option(name: .customShort("C"), help: "Run as if started in <path>.")
    var directory: String?

    func validate() throws {
        if let shard, Shard(shard) == nil {
            throw ValidationError("--shard takes I/N with 1 <= I <= N, e.g. --shard 2/4")
        }
    }

    @OptionGroup var settings: ReviewSettings

    func run() throws {
        let project = try Project.open(directory ?? FileManager.default.currentDirectoryPath)
        let environment = ProcessInfo.processInfo.environment
        let resolved = try CIRange.resolve(base: base, environment: environment, in: project)
        Output.error("reviewing \(resolved.origin)")
        var configuration = try settings.configuration(root: project.root)
        // CI's report is the record a team reads: every failing test, not the first proof.
        if !configuration.isSet(.onRegression) {
            try configuration.set(.onRegression, text: OnRegression.runAll.rawValue, origin: "review ci default")
        }
        // On a push, this head is the next push's base: the map follows it there.
        if resolved.isPush && !configuration.isSet(.mapFollows) {
            try configuration.set(.mapFollows, text: MapFollows.head.rawValue, origin: "review ci default on a push")
        }
        var options = ReviewOptions(request: resolved.request, configuration: configuration)
        options.shard = shard.flatMap(Shard.init)
        try settings.configure(&options)
        let result = try Reviewer(onEvent: { event in
            if case .note(let text) = event { Output.error(text) }
        }).review(options, in: project)
        let rendering = ResultRendering(result: result, failOn: configuration.failOn)
        if let sarif { try Output.writeAtomically(try rendering.render(.sarif), to: sarif) }
        if let markdown { try Output.writeAtomically(try rendering.render(.markdown), to: markdown) }
        if let json { try Output.writeAtomically(try rendering.render(.json), to: json) }
        if resolved.onGitHub {
            if let summary = environment["GITHUB_STEP_SUMMARY"], !summary.isEmpty {
                try Output.append(try rendering.render(.markdown), to: summary)
            }
            Output.write(try rendering.render(.github))
        } else {
            Output.write(try rendering.render(.text, color: Terminal.wantsColor(FileHandle.standardOutput)))
        }
        if rendering.exitStatus != .clean { throw ExitCode(rendering.exitStatus.rawValue) }
    }
}

/// `review merge FILE...`: one report from the JSON reports of a sharded review.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the JSON reports of sharded reviews (review ci --shard I/N --json FILE) into one report.",
        discussion: """
            The reports must be of the same range; when they are shards, every shard of the \
            split must be given exactly once. Findings are deduplicated and ordered as one \
            review orders them; the time is the slowest shard's. Exit codes as for review: 1 \
            when a finding reaches --fail-on, 2 for reports that do not fit together.
            """
    )

    @Argument(help: "The JSON reports (review --format json, review ci --json).")
    var files: [String] = []

    @OptionGroup var outputs: ReportOutputs

    @Option(help: "Lowest severity that makes review exit 1: error, warning, info or none (default: error).")
    var failOn: FailLevel = .error

    func validate() throws {
        if files.isEmpty { throw ValidationError("give the JSON reports to merge") }
    }

    func run() throws {
        var documents: [(name: String, text: String)] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ReviewFailure("cannot read \(file)", status: .usage)
            }
            documents.append((file, String(decoding: data, as: UTF8.self)))
        }
        let rendering = ResultRendering(report: try ReportMerger.merge(documents), failOn: failOn)
        try outputs.plan.write(rendering)
        if rendering.exitStatus != .clean { throw ExitCode(rendering.exitStatus.rawValue) }
    }
}
