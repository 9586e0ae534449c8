import Foundation
import ReviewTestSupport
import Testing

/// Reviewed code that attacks the machine: each attack is contained, reported, and the
/// review ends promptly.
@Suite("Hostile code")
struct HostileCodeTests {
    /// A project whose change adds `body` as a test at head.
    func reviewWithTest(_ body: String, arguments: [String] = ["--timeout", "10"], environment: [String: String] = [:])
        throws -> (ReviewRun, Double, PythonProject)
    {
        let project = try PythonProject()
        try project.change(["tests/test_hostile.py": body])
        let started = Date()
        let run = try project.review(arguments, environment: environment)
        return (run, Date().timeIntervalSince(started), project)
    }

    @Test func forkBomb() throws {
        let (run, seconds, _) = try reviewWithTest(
            "import os\n\n\ndef test_bomb():\n    while True:\n        os.fork()\n")
        #expect(run.status == 1, "\(run)")
        #expect(!run.findings("error").isEmpty, "\(run)")
        #expect(seconds < 40)
    }

    @Test func memoryBomb() throws {
        let (run, seconds, _) = try reviewWithTest(
            "def test_memory():\n    blocks = []\n    while True:\n        blocks.append(bytearray(1 << 28))\n")
        #expect(run.status == 1, "\(run)")
        #expect(run.summary.contains { $0.hasPrefix("error/failing-new-test:tests/test_hostile.py") }, "\(run)")
        #expect(seconds < 40)
    }

    @Test func infiniteLoop() throws {
        let (run, seconds, _) = try reviewWithTest("def test_loop():\n    while True:\n        pass\n", arguments: ["--timeout", "4"])
        #expect(run.status == 1, "\(run)")
        #expect(run.summary.contains { $0.hasPrefix("error/timeout") || $0.hasPrefix("error/crash") }, "\(run)")
        #expect(seconds < 30)
    }

    @Test func endlessOutput() throws {
        let (run, seconds, _) = try reviewWithTest(
            "import sys\n\n\ndef test_spam():\n    while True:\n        sys.stdout.write('spam ' * 10000)\n")
        #expect(run.status == 1, "\(run)")
        #expect(!run.findings("error").isEmpty)
        #expect(run.output.stdout.count < 8 << 20, "the report stays small")
        #expect(seconds < 40)
    }

    @Test func daemonChildDoesNotHoldTheReview() throws {
        let (run, seconds, _) = try reviewWithTest(
            "import os, time\n\n\ndef test_daemon():\n    if os.fork() == 0:\n        os.setsid()\n        time.sleep(120)\n        os._exit(0)\n    assert True\n")
        #expect(run.status == 0, "\(run)")
        #expect(seconds < 30)
    }

    @Test func cannotReachAServerOnTheHostLoopback() throws {
        let server = try LoopbackServer()
        defer { server.stop() }
        let (run, _, _) = try reviewWithTest(
            "import socket\n\n\ndef test_connect():\n    socket.create_connection(('127.0.0.1', \(server.port)), timeout=3).close()\n")
        #expect(run.status == 1, "\(run)")
        #expect(run.summary == ["error/failing-new-test:tests/test_hostile.py:4"], "\(run)")
        #expect(server.connections == 0)
    }

    @Test func cannotWriteIntoTheRepositoryOrHome() throws {
        let marker = "review-escape-\(UUID().uuidString)"
        let project = try PythonProject()
        let target = project.repository.path
        try project.change([
            "tests/test_hostile.py": """
                import os


                def test_write():
                    for path in [\"\(target)/\(marker)\", os.path.expanduser('~/\(marker)'), '/root/\(marker)', './\(marker)']:
                        try:
                            open(path, 'w').write('owned')
                        except OSError:
                            pass

                """
        ])
        let before = try project.repository.stateFingerprint()
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        #expect(!FileManager.default.fileExists(atPath: "\(target)/\(marker)"))
        #expect(!FileManager.default.fileExists(atPath: "/root/\(marker)"))
        #expect(!FileManager.default.fileExists(atPath: NSHomeDirectory() + "/\(marker)"))
        #expect(try project.repository.stateFingerprint() == before)
    }

    @Test func apiKeyInReviewsEnvironmentIsInvisible() throws {
        let (run, _, _) = try reviewWithTest(
            "import os\n\n\ndef test_no_key():\n    leaked = [k for k, v in os.environ.items() if 'sk-secret' in v]\n    assert not leaked, leaked\n",
            environment: ["REVIEW_API_KEY": "sk-secret-1", "OPENAI_API_KEY": "sk-secret-2"])
        #expect(run.status == 0, "\(run)")
        #expect(run.findings.isEmpty, "\(run)")
    }

    @Test func killingItsParentDoesNotStopTheReview() throws {
        let (run, _, _) = try reviewWithTest(
            "import os, signal\n\n\ndef test_kill():\n    os.kill(os.getppid(), signal.SIGKILL)\n    os.kill(1, signal.SIGKILL)\n")
        #expect(run.json != nil, "review finished and reported: \(run)")
        #expect(run.status == 0 || run.status == 1, "\(run)")
    }

    @Test("attacks are contained when review runs as a normal user too", .enabled(if: geteuid() == 0))
    func containedAsNormalUser() throws {
        let server = try LoopbackServer()
        defer { server.stop() }
        let marker = "review-escape-\(UUID().uuidString)"
        let home = try TemporaryRepository.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let project = try PythonProject()
        try project.change([
            "tests/test_contained.py": """
                import os, socket


                def test_everything_is_contained():
                    try:
                        socket.create_connection(('127.0.0.1', \(server.port)), timeout=2).close()
                        reached = True
                    except OSError:
                        reached = False
                    assert not reached, 'reached the host network'
                    for path in ['\(project.repository.path)/\(marker)', '\(home)/\(marker)']:
                        try:
                            open(path, 'w').write('owned')
                            wrote = True
                        except OSError:
                            wrote = False
                        assert not wrote, path
                    assert not [k for k, v in os.environ.items() if 'sk-secret' in v]
                    children = 0
                    try:
                        for _ in range(2000):
                            if os.fork() == 0:
                                import time
                                time.sleep(20)
                                os._exit(0)
                            children += 1
                    except OSError:
                        pass
                    assert children < 2000, 'no process limit'

                """
        ])
        try "[safe]\n\tdirectory = *\n".write(toFile: home + "/.gitconfig", atomically: true, encoding: .utf8)
        _ = try ProcessRunner.run("chown", ["-R", "65534:65534", home])
        _ = try ProcessRunner.run("chmod", ["-R", "a+rX", project.repository.container])
        let started = Date()
        let output = try ProcessRunner.run(
            "setpriv",
            ["--reuid=65534", "--regid=65534", "--clear-groups", "--", ReviewBinary.path, "--format", "json",
             "--max-tests", "5", "main..feature"],
            in: project.repository.path,
            environment: ["HOME": home, "PATH": "/usr/bin:/bin", "REVIEW_API_KEY": "sk-secret-3", "LANG": "C.UTF-8"])
        #expect(output.status == 0, "\(output.out)\n\(output.err)")
        #expect(output.out.contains("\"errors\": 0"), "\(output.out)")
        #expect(server.connections == 0)
        #expect(!FileManager.default.fileExists(atPath: project.repository.path + "/" + marker))
        #expect(!FileManager.default.fileExists(atPath: home + "/" + marker))
        #expect(Date().timeIntervalSince(started) < 60)
    }
}
