import Foundation

/// A directory from the host made visible inside the sandbox.
public struct Mount: Hashable, Sendable {
    /// What the sandboxed code may do with a mount.
    public enum Access: Hashable, Sendable {
        /// Read it only.
        case readOnly
        /// Write to the host directory itself (an output directory).
        case writable
        /// Read and write a private copy made for the run: the code sees the source's files
        /// and may change, add and delete them (pytest's caches, `--cov` data, files a test
        /// writes beside itself); the changes vanish with the run and the source is never
        /// touched. Later mounts below the target land in the copy.
        case scratch
    }

    /// The host path (a directory or a file).
    public var source: String
    /// Where it appears inside the sandbox.
    public var target: String
    /// What the code may do with it.
    public var access: Access

    /// Whether the sandboxed code writes to the host directory itself.
    public var writable: Bool { access == .writable }

    /// Creates a mount.
    public init(source: String, target: String, access: Access = .readOnly) {
        self.source = source
        self.target = target
        self.access = access
    }
}

/// One program to run in the sandbox.
public struct SandboxCommand: Hashable, Sendable {
    /// The argv inside the sandbox; the first element is an absolute path or a name on `PATH`.
    public var arguments: [String]
    /// The working directory inside the sandbox.
    public var workingDirectory: String
    /// Host paths to show inside, in order (later mounts may cover parts of earlier ones).
    public var mounts: [Mount]
    /// Variables added to the minimal environment.
    public var environment: [String: String]
    /// Limits for this run.
    public var limits: Limits

    /// Creates a command.
    public init(
        arguments: [String], workingDirectory: String = "/", mounts: [Mount] = [], environment: [String: String] = [:],
        limits: Limits = .standard
    ) {
        self.arguments = arguments
        self.workingDirectory = workingDirectory
        self.mounts = mounts
        self.environment = environment
        self.limits = limits
    }

    /// The argv as one shell-quoted line, for evidence and traces.
    public var displayCommand: String {
        arguments.map(ShellQuoting.quote).joined(separator: " ")
    }
}

/// POSIX shell quoting for displaying commands (never for running them).
public enum ShellQuoting {
    /// `word` as is when it is safe, else in single quotes.
    public static func quote(_ word: String) -> String {
        let safe = word.unicodeScalars.allSatisfy { scalar in
            (scalar.value >= 0x30 && scalar.value <= 0x39) || (scalar.value >= 0x41 && scalar.value <= 0x5A)
                || (scalar.value >= 0x61 && scalar.value <= 0x7A) || "@%_+=:,./-".unicodeScalars.contains(scalar)
        }
        if safe && !word.isEmpty { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
