import Foundation
import ReviewFindings
import ReviewGit

/// The first stage: the range resolved in the project (tree ids included) and the files it
/// changes, as git reports them.
enum ChangeStage {
    static func changes(_ request: RangeRequest, in project: Project) throws(ReviewFailure) -> ChangeSet {
        do {
            let range = try project.repository.resolve(request)
            return range.isTriviallyEmpty ? ChangeSet(range: range, files: []) : try project.repository.changes(in: range)
        } catch {
            throw ReviewFailure(error)
        }
    }

    /// What the planner skips when the change set cannot hold Python: no candidate by name
    /// and no extension-less file that could be a script; `nil` when it may (then head is
    /// needed to decide).
    static func clearlyNotPython(_ changeSet: ChangeSet, planner: Planner) -> [SkippedFile]? {
        let mayHaveScripts = changeSet.files.contains { file in
            guard let path = file.path.string, file.status != .deleted else { return false }
            return !(path as NSString).lastPathComponent.contains(".")
        }
        let quick = planner.candidates(changeSet, head: nil)
        return quick.files.isEmpty && !mayHaveScripts ? quick.skipped : nil
    }
}
