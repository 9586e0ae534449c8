import Dispatch
import Foundation
import Synchronization

/// Private temporary directories that are removed when they are released, when the
/// process exits, and when it is interrupted by SIGINT or SIGTERM.
public enum TemporaryDirectories {
    private static let live = Mutex<Set<String>>([])
    private static let interruptHandlers = Mutex<[@Sendable () -> Void]>([])

    /// Adds work to do when SIGINT, SIGTERM or SIGHUP arrives, before the directories are
    /// removed (e.g. killing running sandboxes).
    public static func onInterrupt(_ handler: @escaping @Sendable () -> Void) {
        _ = handlersInstalled
        interruptHandlers.withLock { $0.append(handler) }
    }
    private static let handlersInstalled: Bool = {
        atexit { TemporaryDirectories.removeAll() }
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                for handler in TemporaryDirectories.interruptHandlers.withLock({ $0 }) { handler() }
                TemporaryDirectories.removeAll()
                // Die of the same signal, so the parent sees the usual exit status.
                signal(signalNumber, SIG_DFL)
                kill(getpid(), signalNumber)
            }
            source.resume()
            SignalSources.keep(source)
        }
        return true
    }()

    /// Where temporary trees go: `$REVIEW_TMPDIR`, else `/dev/shm` when it is a writable
    /// memory file system with at least 2 GiB free (writing and removing thousands of small
    /// files there is several times faster than on a disk), else `$TMPDIR`, else `/tmp`.
    public static let baseDirectory: String = {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["REVIEW_TMPDIR"], !explicit.isEmpty { return explicit }
        var info = statvfs()
        if access("/dev/shm", W_OK | X_OK) == 0, statvfs("/dev/shm", &info) == 0,
            UInt64(info.f_bavail) * UInt64(info.f_frsize) >= 2 << 30
        {
            return "/dev/shm"
        }
        if let tmp = environment["TMPDIR"], !tmp.isEmpty { return tmp }
        return "/tmp"
    }()

    /// Creates a fresh directory (mode 0700) under ``baseDirectory`` and registers it for removal.
    ///
    /// - Parameter prefix: the start of the directory's name, e.g. `review-`.
    /// - Returns: the absolute path, without a trailing `/`.
    /// - Throws: ``GitError/io(path:message:)`` when the directory cannot be created.
    public static func make(prefix: String = "review-") throws(GitError) -> String {
        _ = handlersInstalled
        var base = baseDirectory
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        var template = Array((base + "/" + prefix + "XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw .io(path: base, message: String(cString: strerror(errno)))
        }
        let path = String(cString: made)
        live.withLock { _ = $0.insert(path) }
        return path
    }

    /// Removes a directory made by ``make(prefix:)`` and forgets it.
    public static func remove(_ path: String) {
        let known = live.withLock { $0.remove(path) != nil }
        if known { removeTree(path) }
    }

    /// Removes every live directory; called at exit and on signals.
    public static func removeAll() {
        let paths = live.withLock { set -> Set<String> in
            let copy = set
            set.removeAll()
            return copy
        }
        for path in paths { removeTree(path) }
    }

    private static func removeTree(_ path: String) {
        // Make directories writable first: reviewed code may have left read-only ones.
        if let enumerator = FileManager.default.enumerator(atPath: path) {
            for case let relative as String in enumerator {
                let full = path + "/" + relative
                var info = stat()
                if lstat(full, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
                    chmod(full, 0o700)
                }
            }
        }
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Keeps the dispatch signal sources alive for the life of the process.
private enum SignalSources {
    // Written once, inside `handlersInstalled`'s one-time initializer.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    static func keep(_ source: any DispatchSourceSignal) {
        sources.append(source)
    }
}
