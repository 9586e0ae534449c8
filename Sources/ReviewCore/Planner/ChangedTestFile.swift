import Foundation
import ReviewAgent
import ReviewSandbox

/// The tests of a test file changed in the range that need to run, from the impact map:
/// the test functions the change adds or modifies, and the map's tests that ran a helper
/// of the file (a method, a fixture, a function) that it modifies or removes. The other
/// tests of the file run the same code at base and head, and ran at base already.
///
/// Decided from the file's fingerprints at base (the map's) and at head, never from line
/// numbers. A changed top-level binding (an import, a constant) adds the tests that ran a
/// function reading its name; one that no function reads (an import kept for its side
/// effects) makes the file run whole. The file runs whole when anything else changed: its
/// module-level code, a class's own body (attributes, bases), a helper it adds (a new
/// `setUp` or autouse fixture reaches tests that did not change), a test it adds where the
/// map knows no test of the same class (pytest may not collect it), or a rename.
struct ChangedTestFile: Sendable, Equatable {
    var path: String
    /// Node ids (without parameters) to run, in the order found.
    var nodes: [String]
    /// Qualified names of the file's functions at head: a node id of the map runs only if
    /// its test is still there.
    var headNames: Set<String>

    /// Whether a node id of this file (without parameters) names a test that is still there at head.
    func has(_ node: String) -> Bool {
        node.hasPrefix(path + "::")
            && headNames.contains(String(node.dropFirst(path.count + 2)).replacingOccurrences(of: "::", with: "."))
    }

    /// Whether `task` is a test file the map can narrow: changed in place (not renamed or
    /// new), and every test of it in the map.
    static func applies(to task: ReviewTask, drift: MapDrift) -> Bool {
        task.isTestFile && task.basePath == task.path && drift.recordedTestFiles.contains(task.path)
    }

    /// The selection for `path` (the same path at base), or `nil` when it runs whole.
    static func select(
        path: String, base: ImpactMap.SourceFile, head: ImpactMap.SourceFile, map: ImpactMap, drift: MapDrift
    ) -> ChangedTestFile? {
        guard drift.recordedTestFiles.contains(path), !drift.isUnknown(path), base.module == head.module else { return nil }
        let before = ImpactMap.fingerprintsByName(base.functions)
        let after = ImpactMap.fingerprintsByName(head.functions)
        // A top-level binding that changed (an import, a constant) concerns the functions
        // that read its name; a class's own body (its attributes, its bases) runs whole.
        let bindingsBefore = base.bindings ?? [:]
        let bindingsAfter = head.bindings ?? [:]
        let changedNames = Set(bindingsBefore.keys).union(bindingsAfter.keys).filter { bindingsBefore[$0] != bindingsAfter[$0] }
        let classes = Set(before.keys.compactMap(\.classPart)).union(after.keys.compactMap(\.classPart))
        guard classes.isDisjoint(with: changedNames) else { return nil }
        let readers = base.functions.filter { !changedNames.isDisjoint(with: $0.names ?? []) }.map(\.name)
        // A binding no function reads is there for what binding it does (an import's side
        // effects): unknown reach.
        let read = Set((base.functions + head.functions).flatMap { $0.names ?? [] })
        guard changedNames.isSubset(of: read) else { return nil }
        let headNames = Set(after.keys)
        // The map's tests of this file, and who ran what.
        var known = Set<String>()
        var ranBy: [String: [String]] = [:]
        // A stale entry says nothing about what it runs now: it runs.
        var stale: [String] = []
        for (index, test) in map.tests.enumerated() where test.file == path {
            let node = ImpactMap.withoutParameters(test.node)
            known.insert(node)
            if drift.staleTests.contains(index) { stale.append(node) }
            for pair in test.ran where pair.count == 2 && pair[0] == path { ranBy[pair[1], default: []].append(node) }
        }
        func node(_ name: String) -> String { path + "::" + name.replacingOccurrences(of: ".", with: "::") }
        func isTest(_ name: String) -> Bool {
            !name.contains("<locals>") && (name.split(separator: ".").last ?? "").hasPrefix("test")
        }
        var selection = ChangedTestFile(path: path, nodes: [], headNames: headNames)
        var seen = Set<String>()
        func run(_ test: String) {
            if selection.has(test), seen.insert(test).inserted { selection.nodes.append(test) }
        }
        for name in after.keys.sorted() where before[name] != after[name] {
            // A nested function changes with the one around it.
            if name.contains("<locals>") { continue }
            guard isTest(name) else {
                // A new helper can reach tests that did not change.
                guard before[name] != nil else { return nil }
                (ranBy[name] ?? []).forEach(run)
                continue
            }
            let test = node(name)
            if !known.contains(test) {
                // New (or not collected at base): collected only if the map knows a test beside it.
                let parts = name.split(separator: ".")
                let sibling = parts.count == 1
                    ? known.contains { $0.dropFirst(path.count + 2).split(separator: ":").count == 1 }
                    : parts.count == 2 && known.contains { $0.hasPrefix(path + "::" + parts[0] + "::") }
                guard sibling else { return nil }
            }
            run(test)
        }
        for name in before.keys.sorted() where after[name] == nil && !isTest(name) {
            (ranBy[name] ?? []).forEach(run)
        }
        for name in readers { (ranBy[name] ?? []).forEach(run) }
        stale.forEach(run)
        (drift.newNodes[path] ?? []).forEach(run)
        return selection
    }
}

extension String {
    /// `A` of a qualified name `A.b`, `nil` for a top-level name.
    fileprivate var classPart: String? {
        guard let dot = firstIndex(of: ".") else { return nil }
        return String(self[..<dot])
    }
}
