import ArgumentParser
import Foundation
import ReviewCore

/// `review config`: the effective configuration and where each value came from.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the effective configuration and where each value came from.",
        discussion: """
            Sources, later winning: [tool.review] in pyproject.toml, .review.toml (at the \
            repository root), REVIEW_* environment variables, flags.
            """
    )

    @Option(name: .customShort("C"), help: "Run as if started in <path>.")
    var directory: String?

    @OptionGroup var settings: ReviewSettings

    func run() throws {
        let start = directory ?? FileManager.default.currentDirectoryPath
        let configuration = try settings.configuration(root: Project.find(start)?.root)
        Output.write("[tool.review]\n" + configuration.describe())
    }
}
