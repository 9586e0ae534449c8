/// What a review knows beyond one task: the names the project's own code is imported by,
/// and the interpreter that runs it. A module neither provides belongs to the environment,
/// not to the change.
public struct ProjectEnvironment: Hashable, Sendable {
    /// Top-level packages and modules of the revision (in its root and import roots).
    public var projectNames: Set<String>
    /// The interpreter's path, for messages.
    public var python: String

    /// Creates an environment.
    public init(projectNames: Set<String>, python: String) {
        self.projectNames = projectNames
        self.python = python
    }

    /// The top-level name of a module that `text` reports missing
    /// (`ModuleNotFoundError: No module named 'x.y'`) and that the project does not provide;
    /// `nil` when there is none, or when it is the project's own (then the change may be
    /// the cause).
    public func missingPackage(in text: String) -> String? {
        for match in text.matches(of: /ModuleNotFoundError: No module named '([^']+)'/) {
            let top = String(match.1.split(separator: ".").first ?? match.1)
            if !top.isEmpty && !projectNames.contains(top) { return top }
        }
        return nil
    }

    /// The message of the `environment` finding for a missing package: the same for every
    /// file that needs it, so a run reports it once.
    public func missingMessage(_ name: String) -> String {
        "`\(name)` is not installed for \(python), so the code that imports it could not run here. Install the project's test dependencies into that interpreter, or pass --python with the project's virtualenv."
    }
}
