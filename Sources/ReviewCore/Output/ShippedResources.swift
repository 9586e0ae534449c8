import Foundation

/// Where the files review ships beside its binary are found: the Markdown templates and
/// the pre-push hook script.
enum ShippedResources {
    /// The shipped Markdown templates: `$REVIEW_TEMPLATES`, then `share/review/templates`
    /// beside the installed binary, then `Templates/` of the source tree.
    static var templates: [String] {
        directories(variable: "REVIEW_TEMPLATES", installed: "templates", source: "Templates")
    }

    /// The shipped hook scripts: `$REVIEW_HOOKS`, then `share/review/hooks`, then `Hooks/`.
    static var hooks: [String] {
        directories(variable: "REVIEW_HOOKS", installed: "hooks", source: "Hooks")
    }

    /// The directories to look in, in order: `$<variable>`, then `share/review/<installed>`
    /// beside the installed binary (`make install`), then `<source>` in the source tree this
    /// binary was built from.
    static func directories(variable: String, installed: String, source: String) -> [String] {
        var directories: [String] = []
        if let explicit = ProcessInfo.processInfo.environment[variable], !explicit.isEmpty {
            directories.append(explicit)
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        directories.append(
            executable.deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("share/review/\(installed)").path)
        // This file is Sources/ReviewCore/Output/ShippedResources.swift: four levels below the root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        directories.append(root.appendingPathComponent(source).path)
        return directories
    }
}
