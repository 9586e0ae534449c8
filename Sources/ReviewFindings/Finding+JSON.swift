import ReviewJSON

extension Finding: Codable {
    /// The finding as JSON: the element of a report's `findings`, which `review merge`
    /// reads back, and the form the result cache keeps.
    public var json: JSONValue {
        let finding = self
        let evidence: JSONValue =
            finding.evidence.map {
                .object([
                    ("command", .string($0.command)), ("revision", .string($0.revision)),
                    ("exitCode", $0.exitCode.map { .int(Int($0)) } ?? .null), ("output", .string($0.output)),
                ])
            } ?? .null
        let suggestion: JSONValue =
            finding.suggestion.map {
                .object([
                    ("patch", .string($0.patch)), ("startLine", .int($0.startLine)), ("endLine", .int($0.endLine)),
                    ("replacement", .string($0.replacement)), ("verified", .bool($0.verified)),
                    ("summary", .string($0.summary)),
                ] + ($0.newFile.map { [("newFile", JSONValue.string($0))] } ?? []))
            } ?? .null
        return .object([
            ("file", .string(finding.file)), ("line", .int(finding.line)), ("endLine", .int(finding.endLine)),
            ("severity", .string(finding.severity.rawValue)), ("kind", .string(finding.kind.rawValue)),
            ("message", .string(finding.message)), ("test", .optional(finding.test)),
            ("tests", .array(finding.tests.map(JSONValue.string))), ("evidence", evidence),
            ("suggestion", suggestion), ("fingerprint", .string(finding.fingerprint)),
        ])
    }

    /// Reads back one element of `findings` (the inverse of ``json``); `nil` when a
    /// required member is missing or has the wrong type.
    public init?(json value: JSONValue) {
        guard let file = value["file"]?.stringValue, let line = value["line"]?.intValue,
            let severity = value["severity"]?.stringValue.flatMap(Severity.init(rawValue:)),
            let kind = value["kind"]?.stringValue.flatMap(FindingKind.init(rawValue:)),
            let message = value["message"]?.stringValue
        else { return nil }
        var evidence: Evidence?
        if let object = value["evidence"], case .object = object {
            guard let command = object["command"]?.stringValue, let revision = object["revision"]?.stringValue,
                let output = object["output"]?.stringValue
            else { return nil }
            evidence = Evidence(
                command: command, revision: revision, exitCode: object["exitCode"]?.intValue.map { Int32(clamping: $0) },
                output: output)
        }
        var suggestion: Suggestion?
        if let object = value["suggestion"], case .object = object {
            guard let patch = object["patch"]?.stringValue, let start = object["startLine"]?.intValue,
                let end = object["endLine"]?.intValue, let replacement = object["replacement"]?.stringValue,
                let verified = object["verified"]?.boolValue, let summary = object["summary"]?.stringValue
            else { return nil }
            suggestion = Suggestion(
                patch: patch, startLine: start, endLine: end, replacement: replacement, verified: verified, summary: summary,
                newFile: object["newFile"]?.stringValue)
        }
        self.init(
            severity: severity, kind: kind, file: file, line: line, endLine: value["endLine"]?.intValue ?? line,
            message: message, test: value["test"]?.stringValue, evidence: evidence, suggestion: suggestion)
        tests = value["tests"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    public init(from decoder: any Decoder) throws {
        guard let finding = Finding(json: try JSONValue(from: decoder)) else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "not a finding"))
        }
        self = finding
    }

    public func encode(to encoder: any Encoder) throws {
        try json.encode(to: encoder)
    }
}
