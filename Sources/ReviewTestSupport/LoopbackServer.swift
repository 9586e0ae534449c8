import Foundation

/// A TCP server on 127.0.0.1 (ephemeral port) that counts accepted connections, for
/// proving that sandboxed code cannot reach the host's network.
public final class LoopbackServer: @unchecked Sendable {
    /// The port it listens on.
    public let port: UInt16
    private let socketDescriptor: Int32
    private let lock = NSLock()
    private var accepted = 0
    private var running = true

    /// Starts listening.
    public init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestSupportError("socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(descriptor, 16) == 0 else { throw TestSupportError("bind/listen failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        socketDescriptor = descriptor
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(descriptor, nil, nil)
                if client < 0 { return }
                self.lock.lock()
                self.accepted += 1
                let keepGoing = self.running
                self.lock.unlock()
                close(client)
                if !keepGoing { return }
            }
        }
    }

    /// Connections accepted so far.
    public var connections: Int {
        lock.lock()
        defer { lock.unlock() }
        return accepted
    }

    /// Stops listening.
    public func stop() {
        lock.lock()
        running = false
        lock.unlock()
        shutdown(socketDescriptor, Int32(SHUT_RDWR))
        close(socketDescriptor)
    }
}
