import Foundation
import ReviewJSON
import ReviewAgent
import ReviewFindings
import ReviewReport

/// `review merge`: joins the JSON reports of a sharded review into one report.
///
/// The reports must be of the same range (same base and head). When they carry shard
/// numbers, every shard of the split must be there exactly once: a merge never passes a
/// partial review off as a whole one.
public enum ReportMerger {
    /// Reads and joins reports.
    ///
    /// - Parameter documents: each report's name (for messages) and JSON text.
    /// - Throws: ``ReviewFailure`` with status 2 naming the report that does not fit.
    public static func merge(_ documents: [(name: String, text: String)]) throws(ReviewFailure) -> ReviewReport {
        guard !documents.isEmpty else { throw ReviewFailure("give the JSON reports to merge", status: .usage) }
        var parsed: [(name: String, value: JSONValue)] = []
        for document in documents {
            let value: JSONValue
            do {
                value = try JSONValue.parse(document.text)
            } catch {
                throw ReviewFailure("\(document.name): not a review JSON report (\(error))", status: .usage)
            }
            guard value["head"]?.stringValue != nil, value["summary"]?["tasks"] != nil, value["findings"]?.arrayValue != nil
            else {
                throw ReviewFailure(
                    "\(document.name): not a review JSON report (write one with --format json)", status: .usage)
            }
            parsed.append((document.name, value))
        }
        let first = parsed[0]
        for other in parsed.dropFirst() where other.value["base"] != first.value["base"] || other.value["head"] != first.value["head"] {
            throw ReviewFailure(
                "\(other.name) reviews \(describe(other.value)) but \(first.name) reviews \(describe(first.value))",
                status: .usage)
        }
        try checkShards(parsed)

        // Tasks in the order of the change set's files, as an unsharded run lists them.
        var filePosition: [String: Int] = [:]
        for (position, file) in (first.value["files"]?.arrayValue ?? []).enumerated() {
            if let path = file["path"]?.stringValue, filePosition[path] == nil { filePosition[path] = position }
        }
        var tasks: [JSONValue] = []
        var seenTasks = Set<String>()
        for report in parsed {
            for task in report.value["tasks"]?.arrayValue ?? [] {
                guard let path = task["path"]?.stringValue else { continue }
                if seenTasks.insert(path).inserted { tasks.append(task) }
            }
        }
        tasks = tasks.enumerated().sorted { lhs, rhs in
            let left = filePosition[lhs.element["path"]?.stringValue ?? ""] ?? Int.max
            let right = filePosition[rhs.element["path"]?.stringValue ?? ""] ?? Int.max
            return left != right ? left < right : lhs.offset < rhs.offset
        }.map(\.element)

        var findings: [Finding] = []
        var seenFindings = Set<String>()
        var skipped: [SkippedFile] = []
        var seenSkipped = Set<String>()
        for report in parsed {
            for element in report.value["findings"]?.arrayValue ?? [] {
                guard let finding = Finding(json: element) else {
                    throw ReviewFailure("\(report.name): a finding lacks a required member", status: .usage)
                }
                if seenFindings.insert(finding.reportKey).inserted { findings.append(finding) }
            }
            for element in report.value["skipped"]?.arrayValue ?? [] {
                guard let path = element["path"]?.stringValue, let reason = element["reason"]?.stringValue else { continue }
                if seenSkipped.insert(path).inserted { skipped.append(.init(path: path, reason: reason)) }
            }
        }
        findings.sort(by: Finding.reportOrder)

        let summaries = parsed.compactMap { $0.value["summary"] }
        let members: [(String, JSONValue)] = [
            ("base", first.value["base"] ?? .null), ("head", first.value["head"] ?? .null),
            ("files", first.value["files"] ?? .array([])), ("tasks", .array(tasks)),
        ]
        let reviewed = tasks.map { task in
            var file = ReviewedFile(
                path: task["path"]?.stringValue ?? "", tests: task["tests"]?.arrayValue?.count ?? 0,
                changedSymbols: (task["changedSymbols"]?.arrayValue ?? []).compactMap(\.stringValue))
            if let selection = task["testSelection"]?.stringValue, selection != TestSelection.importGraph {
                file.testSelection = selection
            }
            file.behaviour = task["behaviour"]?.stringValue
            return file
        }
        var report = ReviewReport(
            range: describe(first.value),
            base: first.value["base"]?.stringValue, head: first.value["head"]?.stringValue ?? "",
            planMembers: members, reviewed: reviewed, skipped: skipped, findings: findings,
            // The shards ran side by side: the merged review took as long as the slowest.
            seconds: summaries.compactMap { $0["seconds"]?.doubleValue }.max() ?? 0,
            sandbox: summaries.lazy.compactMap { $0["sandbox"]?.stringValue }.first,
            python: summaries.lazy.compactMap { $0["python"]?.stringValue }.first,
            testRunner: summaries.lazy.compactMap { $0["testRunner"]?.stringValue }.first,
            version: ReviewVersion.current)
        report.modelCalls = summaries.compactMap { $0["modelCalls"]?.intValue }.reduce(0, +)
        report.modelTokens = summaries.compactMap { $0["modelTokens"]?.intValue }.reduce(0, +)
        return report
    }

    /// Every shard of one split, each once; or no shard numbers at all.
    private static func checkShards(_ parsed: [(name: String, value: JSONValue)]) throws(ReviewFailure) {
        var shards: [(name: String, shard: Shard)] = []
        for report in parsed {
            if let text = report.value["summary"]?["shard"]?.stringValue {
                guard let shard = Shard(text) else {
                    throw ReviewFailure("\(report.name): bad shard '\(text)'", status: .usage)
                }
                shards.append((report.name, shard))
            }
        }
        guard !shards.isEmpty else { return }
        guard shards.count == parsed.count else {
            let whole = parsed.first { $0.value["summary"]?["shard"]?.stringValue == nil }!
            throw ReviewFailure("\(whole.name) is not a shard's report, but \(shards[0].name) is", status: .usage)
        }
        let count = shards[0].shard.count
        if let other = shards.first(where: { $0.shard.count != count }) {
            throw ReviewFailure(
                "\(other.name) is shard \(other.shard) but \(shards[0].name) is shard \(shards[0].shard)", status: .usage)
        }
        var seen: [Int: String] = [:]
        for entry in shards {
            if let earlier = seen[entry.shard.index] {
                throw ReviewFailure("\(earlier) and \(entry.name) are both shard \(entry.shard)", status: .usage)
            }
            seen[entry.shard.index] = entry.name
        }
        let missing = (1...count).filter { seen[$0] == nil }
        if !missing.isEmpty {
            throw ReviewFailure(
                "missing the report of shard \(missing.map { "\($0)/\(count)" }.joined(separator: ", ")): "
                    + "merging only some shards would pass a partial review off as complete",
                status: .usage)
        }
    }

    /// The range a report reviewed, as the report names it (its `summary.range`), else its
    /// head commit.
    private static func describe(_ report: JSONValue) -> String {
        report["summary"]?["range"]?.stringValue ?? "head \(report["head"]?.stringValue ?? "?")"
    }
}
