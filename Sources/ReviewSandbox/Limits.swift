/// Resource limits for one sandboxed execution.
public struct Limits: Hashable, Sendable {
    /// CPU seconds (RLIMIT_CPU); the soft limit is one second lower, so a busy loop
    /// first gets SIGXCPU and then SIGKILL.
    public var cpuSeconds: Int
    /// Address space in bytes (RLIMIT_AS).
    public var memoryBytes: Int
    /// Processes for the sandbox's user (RLIMIT_NPROC); each run gets its own uid when
    /// review runs as root, so this bounds exactly the run's own processes.
    public var processes: Int
    /// Largest file the code may write, in bytes (RLIMIT_FSIZE).
    public var fileSizeBytes: Int
    /// Size of the private `/tmp`, in bytes.
    public var tmpBytes: Int
    /// Size of each scratch copy (``Mount/Access/scratch``): the source tree and what the
    /// run writes into it, in bytes.
    public var scratchBytes: Int
    /// Wall-clock seconds before the whole process tree is killed.
    public var wallSeconds: Double
    /// Bytes of stdout and of stderr kept; the rest is cut with a marker.
    public var outputBytes: Int

    /// Creates limits.
    public init(
        cpuSeconds: Int = 120, memoryBytes: Int = 4 << 30, processes: Int = 256, fileSizeBytes: Int = 256 << 20,
        tmpBytes: Int = 512 << 20, scratchBytes: Int = 2 << 30, wallSeconds: Double = 120, outputBytes: Int = 1 << 20
    ) {
        self.cpuSeconds = cpuSeconds
        self.memoryBytes = memoryBytes
        self.processes = processes
        self.fileSizeBytes = fileSizeBytes
        self.tmpBytes = tmpBytes
        self.scratchBytes = scratchBytes
        self.wallSeconds = wallSeconds
        self.outputBytes = outputBytes
    }

    /// The defaults: 120 s CPU and wall, 4 GiB address space, 256 processes, 256 MiB files.
    public static let standard = Limits()
}
