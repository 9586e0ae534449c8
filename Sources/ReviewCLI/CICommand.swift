import ArgumentParser
import Foundation
import ReviewCore
import ReviewReport

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
            to stdout; elsewhere the text report does. Exit codes as for review.
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

    @Option(name: .customShort("C"), help: "Run as if started in <path>.")
    var directory: String?

    @OptionGroup var settings: ReviewSettings

    func run() throws {
        let start = directory ?? FileManager.default.currentDirectoryPath
        let environment = ProcessInfo.processInfo.environment
        let resolved = try CIRange.resolve(base: base, environment: environment, directory: start)
        Output.error("reviewing \(resolved.origin)")
        let configuration = try settings.configuration(root: RepositoryRoot.find(from: start))
        let result = try Reviewer(onEvent: { event in
            if case .note(let text) = event { Output.error(text) }
        }).review({
            var options = ReviewOptions(directory: start, request: resolved.request, configuration: configuration)
            options.useCache = !settings.noCache
            (options.model, options.modelFallback) = try settings.modelSettings(configuration)
            return options
        }())
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
