import ReviewSandbox
import Testing

/// The argv is a pure value: its exact shape is the sandbox's contract.
@Suite("Bubblewrap invocation")
struct BubblewrapInvocationTests {
    static let tools = BubblewrapInvocation.Tools(
        bwrap: "/usr/bin/bwrap", prlimit: "/usr/bin/prlimit", setpriv: "/usr/bin/setpriv")
    static let system: [BubblewrapInvocation.SystemEntry] = [
        .directory("/usr"), .symlink("/bin", target: "usr/bin"), .symlink("/lib", target: "usr/lib"),
    ]

    @Test func goldenArgvAsRoot() {
        let command = SandboxCommand(
            arguments: ["/usr/bin/python3", "-c", "print(1)"], workingDirectory: "/review/src",
            mounts: [
                Mount(source: "/tmp/snap", target: "/review/src"),
                Mount(source: "/tmp/out", target: "/review/out", writable: true),
            ],
            environment: ["PYTHONPATH": "/review/src"],
            limits: Limits(
                cpuSeconds: 10, memoryBytes: 1000, processes: 64, fileSizeBytes: 2000, tmpBytes: 3000, wallSeconds: 5,
                outputBytes: 100))
        let invocation = BubblewrapInvocation(
            tools: Self.tools, command: command, dropToUser: 100_000_001, system: Self.system,
            interpreterPrefixes: ["/opt/venv"])
        #expect(
            invocation.arguments == [
                "/usr/bin/setpriv", "--reuid=100000001", "--regid=100000001", "--clear-groups", "--inh-caps=-all",
                "--",
                "/usr/bin/prlimit", "--cpu=9:10", "--as=1000", "--nproc=64", "--fsize=2000", "--core=0", "--",
                "/usr/bin/bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                "--json-status-fd", "3",
                "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
                "--ro-bind", "/etc", "/etc",
                "--ro-bind-try", "/dev/null", "/etc/shadow", "--ro-bind-try", "/dev/null", "/etc/gshadow",
                "--ro-bind-try", "/dev/null", "/etc/shadow-", "--ro-bind-try", "/dev/null", "/etc/gshadow-",
                "--ro-bind", "/opt/venv", "/opt/venv",
                "--proc", "/proc", "--dev", "/dev",
                "--size", "3000", "--tmpfs", "/tmp",
                "--ro-bind", "/tmp/snap", "/review/src", "--bind", "/tmp/out", "/review/out",
                "--chdir", "/review/src", "--clearenv",
                "--setenv", "HOME", "/tmp", "--setenv", "LANG", "C.UTF-8", "--setenv", "PATH",
                "/usr/local/bin:/usr/bin:/bin", "--setenv", "PYTHONDONTWRITEBYTECODE", "1", "--setenv",
                "PYTHONHASHSEED", "0", "--setenv", "PYTHONPATH", "/review/src", "--setenv", "PYTHONUNBUFFERED", "1",
                "--setenv", "TMPDIR", "/tmp",
                "--", "/usr/bin/python3", "-c", "print(1)",
            ])
    }

    @Test func noPrivilegeDropForNormalUsers() {
        let invocation = BubblewrapInvocation(
            tools: Self.tools, command: SandboxCommand(arguments: ["/usr/bin/true"]), dropToUser: nil,
            system: Self.system, interpreterPrefixes: [])
        #expect(invocation.arguments.first == "/usr/bin/prlimit")
        #expect(!invocation.arguments.contains("/usr/bin/setpriv"))
    }

    @Test func tmpfsComesBeforeBindsUnderTmp() throws {
        let command = SandboxCommand(
            arguments: ["/usr/bin/true"], mounts: [Mount(source: "/host/x", target: "/tmp/x")])
        let argv = BubblewrapInvocation(
            tools: Self.tools, command: command, dropToUser: nil, system: Self.system, interpreterPrefixes: []
        ).arguments
        let tmpfs = try #require(argv.firstIndex(of: "--tmpfs"))
        let bind = try #require(argv.firstIndex(of: "/host/x"))
        #expect(tmpfs < bind)
    }

    @Test func displayCommandQuotes() {
        let command = SandboxCommand(arguments: ["python3", "-c", "print('hi there')"])
        #expect(command.displayCommand == #"python3 -c 'print('\''hi there'\'')'"#)
    }
}
