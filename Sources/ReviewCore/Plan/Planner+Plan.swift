import ReviewAgent
import ReviewFindings
import ReviewGit

/// Resolves a range in a repository and returns its change set: the work behind `review --plan`.
public enum ChangePlanner {
    /// The change set and the review tasks it would give (head is materialized to find
    /// the related tests; nothing runs).
    public static func plan(in project: Project, for request: RangeRequest, configuration: Configuration)
        throws(ReviewFailure) -> (changeSet: ChangeSet, tasks: [ReviewTask], skipped: [SkippedFile])
    {
        let repository = project.repository
        let changeSet = try ChangeStage.changes(request, in: project)
        let range = changeSet.range
        do {
            let planner = Planner(configuration: configuration)
            guard !changeSet.isEmpty else { return (changeSet, [], []) }
            // Planning reads the head tree straight from git; only the worktree is materialized.
            let head: ProjectFiles
            var snapshot: Snapshot?
            if case .commit(let id) = range.head {
                head = try TreeFiles(repository: repository, commit: id)
            } else {
                let made = try repository.materialize(range.head)
                snapshot = made
                head = DirectoryFiles(root: made.root)
            }
            let (files, skipped) = planner.candidates(changeSet, head: head)
            let (tasks, budget) = planner.tasks(for: files, changeSet: changeSet, head: head)
            withExtendedLifetime(snapshot) {}
            return (changeSet, tasks, skipped + budget)
        } catch {
            throw ReviewFailure(error)
        }
    }
}
