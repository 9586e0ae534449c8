import Foundation

/// Where the files review ships beside its binary are found: the Markdown templates and
/// the pre-push hook script.
public enum ShippedResources {
    /// The directories to look in, in order: `$<variable>`, then `share/review/<installed>`
    /// beside the installed binary (`make install`), then `<source>` in the source tree this
    /// binary was built from.
    public static func directories(variable: String, installed: String, source: String) -> [String] {
        var directories: [String] = []
        if let explicit = ProcessInfo.processInfo.environment[variable], !explicit.isEmpty {
            directories.append(explicit)
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        directories.append(
            executable.deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("share/review/\(installed)").path)
        // This file is Sources/ReviewReport/ShippedResources.swift: three levels below the root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        directories.append(root.appendingPathComponent(source).path)
        return directories
    }
}
