import ControlPlane
import Shared
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct SupervisionAddressTests {
    @Test(arguments: [
        ("0.0.0.0:8000", "0.0.0.0", 8000),
        ("127.0.0.1:0", "127.0.0.1", 0),
        ("localhost:8001", "127.0.0.1", 8001),
        ("LOCALHOST:1", "127.0.0.1", 1),
        ("[::1]:8000", "::1", 8000),
        ("[::]:65535", "::", 65535),
    ])
    func parsesHostAndPort(text: String, host: String, port: Int) throws {
        let address = try HostPort(listening: text)
        #expect(address.host == host)
        #expect(address.port == port)
    }

    @Test func printsIPv6InBrackets() throws {
        #expect(try HostPort(listening: "[::1]:80").description == "[::1]:80")
        #expect(try HostPort(listening: "localhost:80").description == "127.0.0.1:80")
    }

    @Test(arguments: [
        ("8000", "expected HOST:PORT"),
        ("127.0.0.1:", "port must be a number"),
        ("127.0.0.1:65536", "port must be a number"),
        ("127.0.0.1:-1", "port must be a number"),
        ("127.0.0.1:80a", "port must be a number"),
        (":8000", "missing host"),
        ("example.com:80", "IPv4 or IPv6 literal"),
        ("300.1.1.1:80", "IPv4 or IPv6 literal"),
        ("::1:8000", "in brackets"),
        ("[::1:8000", "missing ']'"),
        ("[::1]8000", "expected ':PORT'"),
        ("[zz]:80", "IPv4 or IPv6 literal"),
    ])
    func rejectsBadAddresses(text: String, reason: String) {
        #expect {
            try HostPort(listening: text)
        } throws: { error in
            let error = error as? SupervisionError
            return error?.isInvalidAddress == true && error?.description.contains(reason) == true
                && error?.description.contains("'\(text)'") == true
        }
    }

    @Test func listensOnAnEphemeralPortAndAcceptsConnections() throws {
        let socket = try ListeningSocket("127.0.0.1:0")
        defer { socket.close() }
        #expect(socket.address.host == "127.0.0.1")
        #expect(socket.address.port > 0)
        let client = try connectTCP(port: socket.address.port, ipv6: false)
        defer { close(client) }
        let accepted = accept(socket.fileDescriptor, nil, nil)
        #expect(accepted >= 0)
        close(accepted)
    }

    @Test func listensOnIPv6Loopback() throws {
        let socket: ListeningSocket
        do {
            socket = try ListeningSocket("[::1]:0")
        } catch {
            // A machine without IPv6 on loopback cannot bind ::1; that is the only acceptable failure.
            #expect(error.description.contains("Cannot assign requested address"))
            return
        }
        defer { socket.close() }
        #expect(socket.address.port > 0)
        let client = try connectTCP(port: socket.address.port, ipv6: true)
        close(client)
    }

    @Test func bindsWithReuseAddressNeverReusePortAndCloseOnExec() throws {
        let socket = try ListeningSocket("127.0.0.1:0")
        defer { socket.close() }
        #expect(socketOption(socket.fileDescriptor, SO_REUSEADDR) == 1)
        #expect(socketOption(socket.fileDescriptor, SO_REUSEPORT) == 0)
        #expect(socketOption(socket.fileDescriptor, SO_ACCEPTCONN) == 1)
        #expect(fcntl(socket.fileDescriptor, F_GETFD) & FD_CLOEXEC != 0)
    }

    @Test func aPortInUseIsAClearError() throws {
        let first = try ListeningSocket("127.0.0.1:0")
        defer { first.close() }
        #expect {
            try ListeningSocket("127.0.0.1:\(first.address.port)")
        } throws: { error in
            "\(error)" == "cannot bind 127.0.0.1:\(first.address.port): Address already in use"
        }
    }
}

/// A connected TCP client socket to the loopback address.
func connectTCP(port: Int, ipv6: Bool) throws -> Int32 {
    let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(fd >= 0)
    let result: Int32
    if ipv6 {
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = in_port_t(UInt16(port).bigEndian)
        address.sin6_addr = in6addr_loopback
        result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
            }
        }
    } else {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }
    if result != 0 { close(fd) }
    try #require(result == 0, "connect failed: \(String(cString: strerror(errno)))")
    return fd
}

private func socketOption(_ fd: Int32, _ option: Int32) -> Int32 {
    var value: Int32 = -1
    var length = socklen_t(MemoryLayout<Int32>.size)
    getsockopt(fd, SOL_SOCKET, option, &value, &length)
    return value
}
