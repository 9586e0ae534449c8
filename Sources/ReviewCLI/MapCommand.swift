import ArgumentParser
import Foundation
import ReviewCore

/// `review map export FILE` / `review map import FILE`: move impact maps between machines.
struct MapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map",
        abstract: "Move the impact maps of a repository (<git dir>/review/maps) between machines.",
        discussion: """
            A map records which tests run which functions. It follows the branch: a review of a \
            later base re-records only the tests whose code changed. A CI cache of \
            <git dir>/review carries it between jobs; export and import do the same by hand.
            """,
        subcommands: [MapExportCommand.self, MapImportCommand.self]
    )
}

/// `review map export FILE`.
struct MapExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write every impact map of the repository into one file.")

    @Argument(help: "The file to write.")
    var file: String

    @Option(name: .customShort("C"), help: "Run as if started in <path>.")
    var directory: String?

    func run() throws {
        let project = try Project.open(directory ?? FileManager.default.currentDirectoryPath)
        let store = ImpactMapStore(gitDirectory: project.commonDirectory)
        let (count, notes) = try store.export(to: file)
        for note in notes { Output.error(note) }
        Output.error("exported \(count) impact map(s) from \(store.directory) into \(file)")
    }
}

/// `review map import FILE`.
struct MapImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Keep the impact maps of a file written by `review map export` (replacing maps of the same environment).")

    @Argument(help: "The file to read.")
    var file: String

    @Option(name: .customShort("C"), help: "Run as if started in <path>.")
    var directory: String?

    func run() throws {
        let project = try Project.open(directory ?? FileManager.default.currentDirectoryPath)
        let store = ImpactMapStore(gitDirectory: project.commonDirectory)
        let count = try store.importMaps(from: file)
        Output.error("imported \(count) impact map(s) into \(store.directory)")
    }
}
