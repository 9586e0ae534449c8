import Foundation
import ReviewFindings
import ReviewReport
import ReviewTestSupport
import Testing

/// Golden files for every output format (re-record with RECORD_SNAPSHOTS=1).
@Suite("Formatters")
struct FormatterSnapshotTests {
    static let report: ReviewReport = {
        let patch = """
            --- a/shop/pricing.py
            +++ b/shop/pricing.py
            @@ -3,7 +3,7 @@
             
             def apply_discount(price, percent):
                 \"\"\"Price after a percentage discount.\"\"\"
            -    if percent < 0 or percent >= 100:
            +    if percent < 0 or percent > 100:
                     raise ValueError("percent must be between 0 and 100")
                 return round(price * (100 - percent) / 100, 2)
             

            """
        let findings = [
            Finding(
                severity: .error, kind: .testRegression, file: "shop/pricing.py", line: 6, endLine: 6,
                message: "`tests/test_pricing.py::test_free_item` passes at base but fails at head: ValueError: percent must be between 0 and 100",
                test: "tests/test_pricing.py::test_free_item",
                evidence: Evidence(
                    command: "python3 -m pytest tests/test_pricing.py", revision: "head", exitCode: 1,
                    output: "FAILED tests/test_pricing.py::test_free_item - ValueError\n>       assert apply_discount(80.0, 100) == 0.0\nE   ValueError: percent must be between 0 and 100"),
                suggestion: Suggestion(
                    patch: patch, startLine: 6, endLine: 6, replacement: "    if percent < 0 or percent > 100:\n",
                    verified: true, summary: "revert lines 6-6 to their base version")),
            Finding(
                severity: .warning, kind: .flakyTest, file: "tests/test_orders.py", line: 12, endLine: 12,
                message: "`tests/test_orders.py::test_total` failed at head, then passed on a rerun: it is flaky",
                test: "tests/test_orders.py::test_total"),
            Finding(
                severity: .info, kind: .preExistingFailure, file: "tests/tëst_tax.py", line: 8, endLine: 9,
                message: "fails at base and at head: assert 21.39 == 21.38 | 100% sure, a,b: c\nsecond line <b>",
                test: "tests/tëst_tax.py::test_rounding",
                evidence: Evidence(
                    command: "python3 -m pytest 'tests/tëst_tax.py'", revision: "head", exitCode: nil,
                    output: "```\nfenced output\n```")),
        ]
        return ReviewReport(
            range: "main..feature", base: "0a846b9f00000000000000000000000000000000",
            head: "d55c2d5e00000000000000000000000000000000",
            planMembers: [("base", .string("0a846b9f00000000000000000000000000000000")), ("head", .string("d55c2d5e00000000000000000000000000000000")), ("files", .array([]))],
            reviewed: [
                {
                    var file = ReviewedFile(path: "shop/pricing.py", tests: 1, changedSymbols: ["apply_discount"])
                    file.behaviour = "47 probe(s) of `apply_discount`, no difference between base and head"
                    return file
                }(),
                .init(path: "shop/tax.py", tests: 2, changedSymbols: []),
            ],
            skipped: [.init(path: "vendor/lib.py", reason: "vendored or generated ('**/vendor/**')")],
            findings: findings, seconds: 1.25, sandbox: "bubblewrap", python: "/usr/bin/python3", testRunner: "pytest",
            version: "0.1.0")
    }()

    /// The source tree's `Templates/` (this file is Tests/ReviewReportTests/<file>).
    static let templates = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Templates").path

    /// Every formatter, by the name `--format` gives it (ReviewCore's `OutputFormat`).
    enum Format: String, CaseIterable {
        case text, json, markdown, patch, sarif, rdjsonl, github

        func formatter() -> any ReviewFormatter {
            switch self {
            case .text: return TextFormatter(color: false)
            case .json: return JSONFormatter()
            case .markdown: return MarkdownFormatter(overrides: nil, shipped: [FormatterSnapshotTests.templates])
            case .patch: return PatchFormatter()
            case .sarif: return SARIFFormatter()
            case .rdjsonl: return RDJSONLFormatter()
            case .github: return GitHubAnnotationsFormatter()
            }
        }
    }

    @Test(arguments: Format.allCases)
    func golden(format: Format) throws {
        let text = try format.formatter().format(Self.report)
        let ext = ["text": "txt", "json": "json", "markdown": "md", "patch": "patch", "sarif": "sarif", "rdjsonl": "rdjsonl", "github": "github.txt"][format.rawValue]!
        if let problem = Snapshot.check(text, named: "report.\(ext)") { Issue.record(Comment(rawValue: problem)) }
    }

    @Test func emptyReport() throws {
        var report = Self.report
        report.findings = []
        for format in Format.allCases {
            let text = try format.formatter().format(report)
            if format == .markdown { #expect(text.contains("No findings")) }
            if [.patch, .rdjsonl, .github].contains(format) { #expect(text.isEmpty, "\(format)") }
        }
    }

    @Test func githubEscaping() throws {
        let text = GitHubAnnotationsFormatter().format(Self.report)
        let info = try #require(text.split(separator: "\n").last)
        #expect(info.hasPrefix("::notice file=tests/tëst_tax.py,line=8,endLine=9,title=review%3A Pre-existing failure::"))
        #expect(info.contains("| 100%25 sure, a,b: c%0Asecond line <b>"))
    }

    @Test func sarifIsStructurallyValid() throws {
        let text = SARIFFormatter().format(Self.report)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["version"] as? String == "2.1.0")
        let run = try #require((object["runs"] as? [[String: Any]])?.first)
        let rules = try #require(((run["tool"] as? [String: Any])?["driver"] as? [String: Any])?["rules"] as? [[String: Any]])
        let results = try #require(run["results"] as? [[String: Any]])
        #expect(results.count == 3)
        for result in results {
            let index = try #require(result["ruleIndex"] as? Int)
            #expect(rules[index]["id"] as? String == result["ruleId"] as? String)
            #expect(["error", "warning", "note"].contains(result["level"] as? String ?? ""))
        }
        #expect((results[0]["fixes"] as? [Any])?.count == 1)
        #expect(results[1]["fixes"] == nil)
    }

    @Test func sarifValidatesAgainstTheOfficialSchema() throws {
        let text = SARIFFormatter().format(Self.report)
        let problems = try SARIFSchema.validate(text)
        #expect(problems.isEmpty, "\(problems)")
        // And the validator does reject what the schema forbids.
        let broken = text.replacingOccurrences(of: "\"level\": \"note\"", with: "\"level\": \"info\"")
        #expect(!(try SARIFSchema.validate(broken)).isEmpty)
    }

    @Test func userTemplateOverridesOneFile() throws {
        let directory = try TemporaryRepository.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "Custom: {{{headline}}}\n".write(toFile: directory + "/report.mustache", atomically: true, encoding: .utf8)
        let text = try MarkdownFormatter(overrides: directory, shipped: [Self.templates]).format(Self.report)
        #expect(text == "Custom: 1 error, 1 warning, 1 info; 2 of 2 changed files tested\n")
    }
}
