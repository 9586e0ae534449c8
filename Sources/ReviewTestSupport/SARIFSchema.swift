import Foundation

/// Validates SARIF with Python's `jsonschema` against the OASIS schema shipped as test
/// data (`Tests/ReviewReportTests/Fixtures/sarif-schema-2.1.0.json`).
public enum SARIFSchema {
    /// The schema file.
    public static let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tests/ReviewReportTests/Fixtures/sarif-schema-2.1.0.json").path

    /// The validation errors, one per line (empty when valid).
    public static func validate(_ sarif: String) throws -> String {
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            document = json.load(sys.stdin)
            errors = [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(document)]
            print("\\n".join(errors))
            """
        let output = try ProcessRunner.run("/usr/bin/python3", ["-c", script, schema], input: Data(sarif.utf8))
        guard output.status == 0 else { throw TestSupportError("jsonschema failed: \(output.err)") }
        return output.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
