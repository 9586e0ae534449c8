import ReviewReport

/// The output formats, by the names `--format` takes.
public enum OutputFormat: String, CaseIterable, Sendable {
    case text, json, markdown, patch, sarif, rdjsonl, github

    /// The formatter; `color` applies to `text`, `templates` (a directory that overrides the
    /// shipped templates file by file) to `markdown`.
    func formatter(color: Bool = false, templates: String? = nil) -> any ReviewFormatter {
        switch self {
        case .text: return TextFormatter(color: color)
        case .json: return JSONFormatter()
        case .markdown: return MarkdownFormatter(overrides: templates, shipped: ShippedResources.templates)
        case .patch: return PatchFormatter()
        case .sarif: return SARIFFormatter()
        case .rdjsonl: return RDJSONLFormatter()
        case .github: return GitHubAnnotationsFormatter()
        }
    }
}
