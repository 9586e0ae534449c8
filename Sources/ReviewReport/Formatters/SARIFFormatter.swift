import ReviewJSON
import ReviewFindings

/// SARIF 2.1.0 for GitHub code scanning and other SARIF consumers: one run, a rule per
/// finding kind, results located on the head side relative to the repository root,
/// `partialFingerprints` from the finding fingerprint, and `fixes` for verified suggestions.
public struct SARIFFormatter: ReviewFormatter {
    /// Creates the formatter.
    public init() {}

    public func format(_ report: ReviewReport) -> String {
        let kinds = FindingKind.allCases
        let rules: [JSONValue] = kinds.map { kind in
            .object([
                ("id", .string(kind.rawValue)),
                ("name", .string(kind.title.replacingSpaces())),
                ("shortDescription", .object([("text", .string(kind.title))])),
                ("fullDescription", .object([("text", .string(Self.explanation(kind)))])),
                ("defaultConfiguration", .object([("level", .string(Self.level(kind.defaultSeverity)))])),
                ("properties", .object([("tags", .array([.string("execution"), .string("python")]))])),
            ])
        }
        let results: [JSONValue] = report.findings.map { finding in
            var members: [(String, JSONValue)] = [
                ("ruleId", .string(finding.kind.rawValue)),
                ("ruleIndex", .int(kinds.firstIndex(of: finding.kind) ?? 0)),
                ("level", .string(Self.level(finding.severity))),
                ("message", .object([("text", .string(Self.message(finding)))])),
                (
                    "locations",
                    .array([
                        .object([
                            (
                                "physicalLocation",
                                .object([
                                    (
                                        "artifactLocation",
                                        .object([("uri", .string(finding.file)), ("uriBaseId", .string("%SRCROOT%"))])
                                    ),
                                    (
                                        "region",
                                        .object([("startLine", .int(finding.line)), ("endLine", .int(finding.endLine))])
                                    ),
                                ])
                            )
                        ])
                    ])
                ),
                ("partialFingerprints", .object([("reviewFinding/v1", .string(finding.fingerprint))])),
            ]
            if let suggestion = finding.suggestion, suggestion.verified {
                members.append(
                    (
                        "fixes",
                        .array([
                            .object([
                                ("description", .object([("text", .string(suggestion.summary))])),
                                (
                                    "artifactChanges",
                                    .array([
                                        .object([
                                            (
                                                "artifactLocation",
                                                .object([
                                                    ("uri", .string(suggestion.newFile ?? finding.file)),
                                                    ("uriBaseId", .string("%SRCROOT%")),
                                                ])
                                            ),
                                            (
                                                "replacements",
                                                .array([
                                                    .object([
                                                        (
                                                            "deletedRegion",
                                                            // A new file: insert at its start.
                                                            suggestion.newFile == nil
                                                                ? .object([
                                                                    ("startLine", .int(suggestion.startLine)),
                                                                    ("endLine", .int(suggestion.endLine)),
                                                                ])
                                                                : .object([("charOffset", .int(0)), ("charLength", .int(0))])
                                                        ),
                                                        ("insertedContent", .object([("text", .string(suggestion.replacement))])),
                                                    ])
                                                ])
                                            ),
                                        ])
                                    ])
                                ),
                            ])
                        ])
                    ))
            }
            return .object(members)
        }
        let document: JSONValue = .object([
            ("$schema", .string("https://json.schemastore.org/sarif-2.1.0.json")),
            ("version", .string("2.1.0")),
            (
                "runs",
                .array([
                    .object([
                        (
                            "tool",
                            .object([
                                (
                                    "driver",
                                    .object([
                                        ("name", .string("review")),
                                        ("version", .string(report.version)),
                                        ("semanticVersion", .string(report.version)),
                                        ("rules", .array(rules)),
                                    ])
                                )
                            ])
                        ),
                        ("automationDetails", .object([("id", .string("review/\(report.range)"))])),
                        ("results", .array(results)),
                    ])
                ])
            ),
        ])
        return document.rendered() + "\n"
    }

    /// SARIF levels: error, warning, note.
    static func level(_ severity: Severity) -> String {
        switch severity {
        case .error: return "error"
        case .warning: return "warning"
        case .info: return "note"
        }
    }

    static func message(_ finding: Finding) -> String {
        guard let evidence = finding.evidence else { return finding.message }
        return finding.message + "\n\nEvidence: `\(evidence.command)` at \(evidence.revision) (\(evidence.status))."
    }

    static func explanation(_ kind: FindingKind) -> String {
        switch kind {
        case .testRegression: return "A test that passes at the base revision fails at head."
        case .failingNewTest: return "A test added or changed in the range fails at head."
        case .syntaxError: return "The changed file does not compile at head."
        case .importError: return "The changed module does not import at head."
        case .crash: return "Running the code killed the process (signal or resource limit)."
        case .timeout: return "Running the code exceeded the time limit at head but not at base."
        case .flakyTest: return "A test failed at head and passed when rerun."
        case .preExistingFailure: return "A failure that already happened at the base revision."
        case .fixedTest: return "A test that failed at base passes at head."
        case .modelNote: return "A note from the model, not proven by execution."
        case .environment: return "A package the interpreter lacks, so the code that imports it could not run."
        case .undeclaredDependency: return "The change imports a package the project's metadata does not declare."
        case .notTested: return "No test ran for the changed file; the message says why and what would fix it."
        case .behaviourChange:
            return "A changed function returns, raises, prints or mutates differently at head than at base for the same input (a probe of review or code the model wrote); the message shows the call and both results, the fix a test that pins the base behaviour."
        }
    }
}

extension String {
    /// `Test regression` -> `TestRegression`.
    func replacingSpaces() -> String {
        split(separator: " ").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
