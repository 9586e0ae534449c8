import Foundation

/// Golden files: compares `actual` with `Snapshots/<name>` beside the test file, or writes
/// it when `RECORD_SNAPSHOTS` is set. A missing golden file is recorded and reported as a
/// failure, so a new test never passes silently.
public enum Snapshot {
    /// Returns `nil` when `actual` matches, else a message describing the difference.
    public static func check(_ actual: String, named name: String, testFile: String = #filePath) -> String? {
        let directory = URL(fileURLWithPath: testFile).deletingLastPathComponent().appendingPathComponent("Snapshots")
        let url = directory.appendingPathComponent(name)
        let record = ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] != nil
        guard !record, let expected = try? String(contentsOf: url, encoding: .utf8) else {
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try? actual.write(to: url, atomically: true, encoding: .utf8)
            return record ? nil : "Recorded new baseline \(url.path); run again"
        }
        guard expected != actual else { return nil }
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(expectedLines.count, actualLines.count) {
            let want = index < expectedLines.count ? String(expectedLines[index]) : "<end>"
            let got = index < actualLines.count ? String(actualLines[index]) : "<end>"
            if want != got {
                return "\(name) differs at line \(index + 1):\n  expected: \(want)\n  actual:   \(got)\n(RECORD_SNAPSHOTS=1 re-records)"
            }
        }
        return "\(name) differs"
    }
}
