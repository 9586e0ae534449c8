import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Starts a program in its own process group, captures stdout and stderr up to a cap,
/// enforces a wall-clock limit by killing the whole group, and waits for it.
///
/// The argv is passed to `posix_spawn` as is: no shell ever parses it. Signals that
/// `review` ignores are reset to their defaults in the child, and every other file
/// descriptor of `review` is closed, so nothing leaks into the program.
public enum ProcessLauncher {
    /// Runs `arguments` (the first element an absolute path) and waits for it.
    ///
    /// - Parameters:
    ///   - environment: the complete environment of the child.
    ///   - wallSeconds: the wall-clock limit; then SIGKILL to the process group.
    ///   - outputBytes: bytes of stdout and of stderr kept.
    ///   - stdin: bytes written to the child's standard input (then closed).
    /// - Throws: ``SandboxError/spawnFailed(_:)`` when the program cannot be started.
    /// - Parameter statusDescriptor: when set, a pipe is open in the child at this
    ///   descriptor number and what the child writes to it is returned in `status`
    ///   (bubblewrap's `--json-status-fd`).
    public static func run(
        _ arguments: [String], environment: [String: String], wallSeconds: Double, outputBytes: Int,
        stdin: [UInt8] = [], statusDescriptor: Int32? = nil
    ) throws(SandboxError) -> ExecutionResult {
        var status = ""
        return try run(
            arguments, environment: environment, wallSeconds: wallSeconds, outputBytes: outputBytes, stdin: stdin,
            statusDescriptor: statusDescriptor, status: &status)
    }

    /// Like ``run(_:environment:wallSeconds:outputBytes:stdin:statusDescriptor:)``, returning the
    /// status pipe's content in `status`.
    public static func run(
        _ arguments: [String], environment: [String: String], wallSeconds: Double, outputBytes: Int,
        stdin: [UInt8] = [], statusDescriptor: Int32?, status statusText: inout String
    ) throws(SandboxError) -> ExecutionResult {
        guard let executable = arguments.first else { throw .spawnFailed("empty command") }
        let start = DispatchTime.now().uptimeNanoseconds

        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        var inPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0, pipe(&inPipe) == 0 else {
            throw .spawnFailed("pipe: \(String(cString: strerror(errno)))")
        }
        var statusPipe: [Int32] = [-1, -1]
        if statusDescriptor != nil {
            guard pipe(&statusPipe) == 0 else { throw .spawnFailed("pipe: \(String(cString: strerror(errno)))") }
        }
        for descriptor in outPipe + errPipe + inPipe + statusPipe where descriptor >= 0 {
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        if let target = statusDescriptor { posix_spawn_file_actions_adddup2(&actions, statusPipe[1], target) }
        for descriptor in openDescriptors() where descriptor > 2 && descriptor != statusDescriptor {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(outPipe[1])
        close(errPipe[1])
        close(inPipe[0])
        if statusPipe[1] >= 0 { close(statusPipe[1]) }
        guard spawned == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            close(inPipe[1])
            if statusPipe[0] >= 0 { close(statusPipe[0]) }
            throw .spawnFailed("\(executable): \(String(cString: strerror(spawned)))")
        }
        ChildProcesses.register(pid)
        defer { ChildProcesses.unregister(pid) }

        writeAll(inPipe[1], stdin)
        close(inPipe[1])

        var out = CappedBuffer(limit: outputBytes)
        var err = CappedBuffer(limit: outputBytes)
        var statusBuffer = CappedBuffer(limit: 65536)
        let deadline = start + UInt64(max(0, wallSeconds) * 1e9)
        var timedOut = false
        var flooded = false
        var status: Int32 = 0
        var exited = false
        var open = [outPipe[0], errPipe[0]] + (statusPipe[0] >= 0 ? [statusPipe[0]] : [])
        var drainDeadline: UInt64? = nil
        var chunk = [UInt8](repeating: 0, count: 65536)

        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            if !exited {
                let waited = waitpid(pid, &status, WNOHANG)
                if waited == pid {
                    exited = true
                    // Whatever the program left running in its group (outside a pid
                    // namespace) goes now; its pipes may stay open otherwise.
                    kill(-pid, SIGKILL)
                    drainDeadline = now + 2_000_000_000
                }
            }
            if !exited && now >= deadline {
                timedOut = true
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                exited = true
                drainDeadline = now + 500_000_000
            }
            if !exited && !flooded && (out.dropped > 16 * outputBytes || err.dropped > 16 * outputBytes) {
                flooded = true
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
            }
            if exited && (open.isEmpty || now >= (drainDeadline ?? now)) { break }
            if open.isEmpty {
                usleep(2000)
                continue
            }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let waitMs = Int32(max(1, min(50, Int64(deadline > now ? (deadline - now) / 1_000_000 : 1))))
            let ready = poll(&fds, nfds_t(fds.count), exited ? 10 : waitMs)
            if ready <= 0 { continue }
            for entry in fds where entry.revents != 0 {
                let count = chunk.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    if entry.fd == outPipe[0] {
                        out.append(chunk, count: count)
                    } else if entry.fd == errPipe[0] {
                        err.append(chunk, count: count)
                    } else {
                        statusBuffer.append(chunk, count: count)
                    }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    open.removeAll { $0 == entry.fd }
                }
            }
        }
        close(outPipe[0])
        close(errPipe[0])
        if statusPipe[0] >= 0 { close(statusPipe[0]) }
        statusText = String(decoding: statusBuffer.bytes, as: UTF8.self)

        let duration = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var exitCode: Int32? = nil
        var signal: Int32? = nil
        if (status & 0x7F) == 0 {
            exitCode = (status >> 8) & 0xFF
        } else {
            signal = status & 0x7F
        }
        if timedOut { exitCode = nil }
        var result = ExecutionResult(
            exitCode: exitCode, signal: timedOut ? SIGKILL : signal, timedOut: timedOut, stdout: out.text,
            stderr: err.text, outputTruncated: out.truncated || err.truncated, duration: duration)
        result.outputLimitExceeded = flooded
        return result
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        // Never block on a child that does not read its input.
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
            if written <= 0 { break }
            offset += written
        }
    }

    /// The file descriptors open in this process.
    private static func openDescriptors() -> [Int32] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else {
            return Array(3..<256)
        }
        return names.compactMap { Int32($0) }
    }
}

/// Output kept up to a limit; beyond it, counted and dropped, with a marker at the end.
struct CappedBuffer {
    let limit: Int
    private(set) var bytes: [UInt8] = []
    private(set) var dropped = 0

    init(limit: Int) {
        self.limit = limit
    }

    var truncated: Bool { dropped > 0 }

    mutating func append(_ chunk: [UInt8], count: Int) {
        let room = max(0, limit - bytes.count)
        if room > 0 { bytes.append(contentsOf: chunk[0..<min(room, count)]) }
        dropped += max(0, count - room)
    }

    var text: String {
        var result = String(decoding: bytes, as: UTF8.self)
        if dropped > 0 {
            result += "\n[review: output cut after \(limit) bytes; \(dropped) more bytes dropped]\n"
        }
        return result
    }
}

/// The sandboxes running right now, killed when review is interrupted.
public enum ChildProcesses {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var groups: Set<pid_t> = []

    static func register(_ pid: pid_t) {
        lock.lock()
        groups.insert(pid)
        lock.unlock()
    }

    static func unregister(_ pid: pid_t) {
        lock.lock()
        groups.remove(pid)
        lock.unlock()
    }

    /// Sends SIGKILL to every running sandbox's process group.
    public static func killAll() {
        lock.lock()
        let current = groups
        lock.unlock()
        for pid in current {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
        }
    }
}
