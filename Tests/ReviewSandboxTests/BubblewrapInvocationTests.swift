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
                Mount(source: "/tmp/out", target: "/review/out", access: .writable),
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

    /// A scratch mount is staged read-only, copied into its own tmpfs by a prelude, and a
    /// file mount below it lands in the staged tree (so the copy holds it).
    @Test func scratchMountIsStagedAndCopied() throws {
        let command = SandboxCommand(
            arguments: ["/usr/bin/python3", "-V"], workingDirectory: "/review/src",
            mounts: [
                Mount(source: "/snap", target: "/review/src", access: .scratch),
                Mount(source: "/fix.py", target: "/review/src/pkg/mod.py"),
            ],
            limits: Limits(tmpBytes: 3000, scratchBytes: 7000))
        let argv = BubblewrapInvocation(
            tools: Self.tools, command: command, dropToUser: nil, system: Self.system, interpreterPrefixes: []
        ).arguments
        let mounts = try #require(argv.firstIndex(of: "/snap"))
        #expect(
            Array(argv[(mounts - 1)...(mounts + 9)]) == [
                "--ro-bind", "/snap", "/.review-source", "--size", "7000", "--tmpfs", "/review/src",
                "--ro-bind", "/fix.py", "/.review-source/pkg/mod.py", "--chdir",
            ])
        let separator = try #require(argv.lastIndex(of: "--"))
        #expect(
            Array(argv[(separator + 1)...]) == [
                "/bin/sh", "-c",
                "cp -R -p /.review-source/. /review/src/ || { echo \"review: could not copy the source tree into the "
                    + "sandbox's scratch space (/review/src)\" >&2; exit 125; }; cd /review/src && exec \"$@\"",
                "sh", "/usr/bin/python3", "-V",
            ])
    }

    @Test func displayCommandQuotes() {
        let command = SandboxCommand(arguments: ["python3", "-c", "print('hi there')"])
        #expect(command.displayCommand == #"python3 -c 'print('\''hi there'\'')'"#)
    }
}
