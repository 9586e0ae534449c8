import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads pytest's junit XML (`-o junit_family=xunit1`, which records each test's file
/// and line) into ``TestOutcome`` values.
public enum JUnitReport {
    /// Parses a report.
    ///
    /// - Returns: the outcomes, and collection errors by file (pytest reports a module that
    ///   fails to import as an errored test case named after the module).
    public static func parse(_ data: Data) -> (outcomes: [TestOutcome], collectionErrors: [String: String]) {
        let delegate = Delegate()
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        _ = parser.parse()
        return (delegate.outcomes, delegate.collectionErrors)
    }

    private final class Delegate: NSObject, XMLParserDelegate {
        var outcomes: [TestOutcome] = []
        var collectionErrors: [String: String] = [:]
        private var current: [String: String]?
        private var status: TestOutcome.Status = .passed
        private var message = ""
        private var text = ""
        private var inResult = false

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            switch name {
            case "testcase":
                current = attributes
                status = .passed
                message = ""
                text = ""
            case "failure", "error", "skipped":
                guard current != nil else { return }
                // A failing test whose teardown also errors reports both: failure wins.
                let new: TestOutcome.Status = name == "failure" ? .failed : name == "error" ? .error : .skipped
                if status == .passed || new == .failed { status = new }
                if message.isEmpty { message = attributes["message"] ?? "" }
                inResult = true
            case "system-out", "system-err":
                inResult = true
                text += text.isEmpty ? "" : "\n"
            default:
                break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if inResult { text += string }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            switch name {
            case "failure", "error", "skipped", "system-out", "system-err":
                inResult = false
            case "testcase":
                guard let attributes = current else { return }
                finish(attributes)
                current = nil
            default:
                break
            }
        }

        private func finish(_ attributes: [String: String]) {
            let name = attributes["name"] ?? ""
            let classname = attributes["classname"] ?? ""
            var file = attributes["file"] ?? ""
            if classname.isEmpty && status == .error {
                // A module that could not be collected: name is the dotted module path.
                if file.isEmpty { file = name.replacingOccurrences(of: ".", with: "/") + ".py" }
                collectionErrors[file] = text.isEmpty ? message : text
                return
            }
            if file.isEmpty { file = classname.replacingOccurrences(of: ".", with: "/") + ".py" }
            let module = String(file.dropLast(file.hasSuffix(".py") ? 3 : 0)).replacingOccurrences(of: "/", with: ".")
            var classPath = classname
            if classPath.hasPrefix(module) { classPath = String(classPath.dropFirst(module.count)) }
            if classPath.hasPrefix(".") { classPath.removeFirst() }
            let nodeID = ([file] + (classPath.isEmpty ? [] : classPath.split(separator: ".").map(String.init)) + [name])
                .joined(separator: "::")
            outcomes.append(
                TestOutcome(
                    nodeID: nodeID, file: file, line: attributes["line"].flatMap { Int($0) }.map { $0 + 1 },
                    status: status, message: message, details: text,
                    duration: attributes["time"].flatMap(Double.init) ?? 0))
        }
    }
}
