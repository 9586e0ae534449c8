import Foundation
import ReviewSandbox
import ReviewTestSupport
import Testing

/// Hostile code against the real bubblewrap sandbox: every attack must fail, and every
/// run must end promptly.
@Suite("Sandbox containment", .serialized)
struct SandboxContainmentTests {
    let sandbox: BubblewrapSandbox
    let python: Interpreter
    let limits = Limits(cpuSeconds: 10, memoryBytes: 1 << 30, processes: 64, wallSeconds: 20, outputBytes: 64 << 10)

    init() throws {
        python = try #require(SandboxTestSupport.interpreter())
        sandbox = try BubblewrapSandbox(interpreter: python)
    }

    func run(_ code: String, mounts: [Mount] = [], limits: Limits? = nil, environment: [String: String] = [:]) throws
        -> ExecutionResult
    {
        try sandbox.run(
            SandboxCommand(
                arguments: [python.path, "-c", code], workingDirectory: "/tmp", mounts: mounts,
                environment: environment, limits: limits ?? self.limits))
    }

    @Test func runsCodeAndReportsExitCodes() throws {
        let ok = try run("print('hello')")
        #expect(ok.exitCode == 0)
        #expect(ok.stdout == "hello\n")
        let failing = try run("import sys; sys.stderr.write('bad\\n'); sys.exit(3)")
        #expect(failing.exitCode == 3)
        #expect(failing.stderr == "bad\n")
    }

    @Test func noNetworkEvenToLoopbackServersOfTheHost() throws {
        let server = try LoopbackServer()
        defer { server.stop() }
        let result = try run(
            """
            import socket
            s = socket.socket()
            s.settimeout(3)
            try:
                s.connect(("127.0.0.1", \(server.port)))
                print("connected")
            except OSError as e:
                print("blocked", e)
            """)
        #expect(result.stdout.hasPrefix("blocked"), "\(result.stdout)\(result.stderr)")
        #expect(server.connections == 0)
        let outside = try run(
            "import socket\ntry:\n socket.create_connection(('1.1.1.1', 53), timeout=3); print('connected')\nexcept OSError as e: print('blocked', e)"
        )
        #expect(outside.stdout.hasPrefix("blocked"))
    }

    @Test func secretsAndHomeAreInvisible() throws {
        setenv("REVIEW_API_KEY", "sk-test-secret-123", 1)
        setenv("OPENAI_API_KEY", "sk-test-secret-456", 1)
        defer {
            unsetenv("REVIEW_API_KEY")
            unsetenv("OPENAI_API_KEY")
        }
        let result = try run(
            """
            import os
            print(sorted(os.environ))
            print("secret" if any("sk-test" in v for v in os.environ.values()) else "clean")
            for path in ["/etc/shadow", "/etc/gshadow", "/root", "/home", "/run/user"]:
                try:
                    if os.path.isdir(path):
                        print(path, os.listdir(path))
                    else:
                        print(path, repr(open(path).read()[:20]))
                except OSError as e:
                    print(path, "denied", e.errno)
            """)
        #expect(result.stdout.contains("clean"), "\(result.stdout)")
        #expect(!result.stdout.contains("sk-test"))
        #expect(result.stdout.contains("/etc/shadow ''") || result.stdout.contains("/etc/shadow denied"))
        #expect(!result.stdout.contains("root:"))
        #expect(result.stdout.contains("/root denied") || result.stdout.contains("/root []"))
    }

    @Test func cannotWriteTheSnapshotTheHostOrRemount() throws {
        let snapshot = try TemporaryRepository.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: snapshot) }
        try "x = 1\n".write(toFile: snapshot + "/mod.py", atomically: true, encoding: .utf8)
        chmod(snapshot, 0o755)
        let marker = "/root/review-escape-\(UUID().uuidString)"
        let result = try run(
            """
            import os, subprocess
            for path in ["/review/src/mod.py", "/review/src/new.py", "\(marker)", "/usr/escape"]:
                try:
                    open(path, "w").write("owned")
                    print("wrote", path)
                except OSError as e:
                    print("refused", path, e.errno)
            r = subprocess.run(["mount", "-o", "remount,rw,bind", "/"], capture_output=True, text=True)
            print("mount", r.returncode)
            """, mounts: [Mount(source: snapshot, target: "/review/src")])
        #expect(!result.stdout.contains("wrote"), "\(result.stdout)\(result.stderr)")
        #expect(!result.stdout.contains("mount 0"))
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(try String(contentsOfFile: snapshot + "/mod.py", encoding: .utf8) == "x = 1\n")
    }

    /// A scratch mount: the code writes where a developer's run would (beside its files, a
    /// cache directory, over a file), the next run sees none of it, the source is untouched.
    @Test func scratchTreeIsWritableAndThrownAway() throws {
        let snapshot = try TemporaryRepository.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: snapshot) }
        try FileManager.default.createDirectory(atPath: snapshot + "/pkg", withIntermediateDirectories: true)
        try "x = 1\n".write(toFile: snapshot + "/pkg/mod.py", atomically: true, encoding: .utf8)
        let replacement = snapshot + "-replacement.py"
        try "x = 2\n".write(toFile: replacement, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: replacement) }
        chmod(snapshot, 0o755)
        chmod(snapshot + "/pkg", 0o755)
        let code = """
            import os
            print(sorted(os.listdir("/review/src")), open("/review/src/pkg/mod.py").read().strip())
            open("/review/src/pkg/mod.py", "w").write("x = 3\\n")
            os.makedirs("/review/src/.pytest_cache/v", exist_ok=True)
            open("/review/src/pkg/written.txt", "w").write("beside")
            os.remove("/review/src/pkg/mod.py")
            print("wrote")
            """
        let mounts = [
            Mount(source: snapshot, target: "/review/src", access: .scratch),
            Mount(source: replacement, target: "/review/src/pkg/mod.py"),
        ]
        let first = try run(code, mounts: mounts)
        #expect(first.stdout == "['pkg'] x = 2\nwrote\n", "\(first.stdout)\(first.stderr)")
        let second = try run(code, mounts: Array(mounts.prefix(1)))
        #expect(second.stdout == "['pkg'] x = 1\nwrote\n", "\(second.stdout)\(second.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: snapshot + "/pkg") == ["mod.py"])
        #expect(try String(contentsOfFile: snapshot + "/pkg/mod.py", encoding: .utf8) == "x = 1\n")
        #expect(try String(contentsOfFile: replacement, encoding: .utf8) == "x = 2\n")
    }

    /// The same scratch semantics without isolation (`--sandbox none`): a host copy.
    @Test func scratchTreeWithoutSandbox() throws {
        let snapshot = try TemporaryRepository.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: snapshot) }
        try "x = 1\n".write(toFile: snapshot + "/mod.py", atomically: true, encoding: .utf8)
        let result = try UnsandboxedRunner().run(
            SandboxCommand(
                arguments: [python.path, "-c", "import os; open('mod.py', 'w').write('y'); print(os.listdir('.'))"],
                workingDirectory: "/review/src", mounts: [Mount(source: snapshot, target: "/review/src", access: .scratch)],
                limits: limits))
        #expect(result.stdout == "['mod.py']\n", "\(result.stdout)\(result.stderr)")
        #expect(try String(contentsOfFile: snapshot + "/mod.py", encoding: .utf8) == "x = 1\n")
    }

    @Test func forkBombIsContainedAndEndsPromptly() throws {
        let start = Date()
        let result = try run(
            """
            import os, time
            children = 0
            for _ in range(100000):
                try:
                    if os.fork() == 0:
                        time.sleep(30)
                        os._exit(0)
                    children += 1
                except OSError:
                    break
            print("forked", children)
            """, limits: Limits(cpuSeconds: 10, memoryBytes: 1 << 30, processes: 32, wallSeconds: 15))
        #expect(result.stdout.contains("forked"), "\(result.stdout)\(result.stderr)")
        let forked = Int(result.stdout.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 999
        #expect(forked < 32)
        #expect(Date().timeIntervalSince(start) < 14, "the sleeping children die with the sandbox")
    }

    @Test func memoryBombIsContained() throws {
        let result = try run("x = bytearray(8 << 30)\nprint('allocated')")
        #expect(result.exitCode != 0)
        #expect(!result.stdout.contains("allocated"))
        #expect(result.stderr.contains("MemoryError"))
    }

    @Test func infiniteLoopIsKilled() throws {
        let start = Date()
        let result = try run("while True: pass", limits: Limits(cpuSeconds: 2, wallSeconds: 10))
        #expect(result.exitCode != 0)
        #expect(result.signal != nil)
        #expect(Date().timeIntervalSince(start) < 8)
    }

    @Test func wallClockTimeoutKillsTheTree() throws {
        let start = Date()
        let result = try run("import time\ntime.sleep(60)", limits: Limits(wallSeconds: 1.5))
        #expect(result.timedOut)
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func endlessOutputIsCappedPromptly() throws {
        let start = Date()
        let result = try run("import sys\nwhile True: sys.stdout.write('x' * 65536)", limits: Limits(wallSeconds: 3, outputBytes: 1 << 20))
        #expect(result.outputTruncated)
        #expect(result.stdout.utf8.count < (1 << 20) + 200)
        #expect(result.stdout.hasSuffix("more bytes dropped]\n"))
        #expect(Date().timeIntervalSince(start) < 8)
    }

    @Test func daemonChildDoesNotOutliveTheRun() throws {
        let start = Date()
        let result = try run(
            """
            import os, time, sys
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
                os._exit(0)
            print("parent done")
            """)
        #expect(result.exitCode == 0)
        #expect(result.stdout == "parent done\n")
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func killingItsParentDoesNotReachReview() throws {
        let result = try run("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos.kill(1, signal.SIGKILL)\nprint('alive')")
        #expect(getppid() != 1, "the test process is still alive and attached")
        _ = result
    }
}

/// Helpers shared by the sandbox tests.
enum SandboxTestSupport {
    /// An interpreter the sandbox can use: Debian's python3 when running as root.
    static func interpreter() -> Interpreter? {
        for candidate in ["/usr/bin/python3", "python3"] {
            if let interpreter = Interpreter.locate(candidate), geteuid() != 0 || interpreter.isUsableByOtherUsers {
                return interpreter
            }
        }
        return nil
    }
}

/// Interpreters wherever they live: a virtualenv under /tmp (which the sandbox covers with
/// its own private /tmp) still starts, and is the interpreter that runs.
@Suite("Interpreters anywhere")
struct InterpreterLocationTests {
    @Test func virtualenvUnderTmp() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { return }
        let directory = try TemporaryRepository.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        chmod(directory, 0o755)
        let venv = directory + "/env"
        let made = try ProcessRunner.run("/usr/bin/python3", ["-m", "venv", "--without-pip", venv])
        try #require(made.status == 0, "\(made.err)")
        let python = try #require(Interpreter.locate(venv + "/bin/python3"))
        let sandbox = try BubblewrapSandbox(interpreter: python)
        let result = try sandbox.run(
            SandboxCommand(
                arguments: [python.path, "-c", "import sys; print(sys.prefix)"], workingDirectory: "/tmp", mounts: [],
                environment: [:], limits: Limits(wallSeconds: 30)))
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == venv, "\(result.stdout)")
    }
}
