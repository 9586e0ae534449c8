import Foundation
import ReviewJSON
import ReviewSandbox

/// The tests that earlier reviews found failing at base too, and their error lines, in
/// `<git dir>/review/known-failures.json`: a hint for the head session, whose first failure
/// of one of them (or of one alike) need not stop it to be checked again. It decides no
/// finding: a known failure still runs and is still compared with base by the policy; only
/// the early stop skips it. The file travels with `.git/review` (the CI cache).
struct KnownFailures {
    /// The most tests and error lines kept, newest first.
    static let limit = 500
    private static let version = 1

    let path: String

    init(gitDirectory: String) {
        path = (gitDirectory.hasSuffix("/") ? gitDirectory : gitDirectory + "/") + "review/known-failures.json"
    }

    /// What the file holds, as a stop request's knowledge; empty when it is missing, damaged
    /// or of another version.
    func load() -> SessionStop {
        let (tests, errors) = Self.listed(path)
        return SessionStop(known: Set(tests), knownErrors: Set(errors))
    }

    /// Adds `failures` (node id and error line) ahead of what the file holds; a failure to
    /// write is not an error (the hint is only lost).
    func remember(_ failures: [(test: String, error: String)]) {
        guard !failures.isEmpty else { return }
        let (tests, errors) = Self.listed(path)
        func merged(_ new: [String], _ old: [String]) -> [String] {
            var seen = Set<String>()
            return (new + old).filter { !$0.isEmpty && seen.insert($0).inserted }.prefix(Self.limit).map { $0 }
        }
        let object: JSONValue = .object([
            ("version", .int(Self.version)),
            ("tests", .array(merged(failures.map(\.test), tests).map(JSONValue.string))),
            ("errors", .array(merged(failures.map(\.error), errors).map(JSONValue.string))),
        ])
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = ResultCache.replace(path, with: Data(object.rendered(pretty: false).utf8), in: directory)
    }

    /// The lists in the file, in order.
    private static func listed(_ path: String) -> (tests: [String], errors: [String]) {
        guard let data = FileManager.default.contents(atPath: path),
            let object = try? JSONValue.parse(String(decoding: data, as: UTF8.self)),
            object["version"]?.intValue == version
        else { return ([], []) }
        let strings = { (key: String) in (object[key]?.arrayValue ?? []).compactMap(\.stringValue) }
        return (strings("tests"), strings("errors"))
    }
}
