import Shared
import Testing

@Suite struct HostPortTests {
    @Test(arguments: [
        ("0.0.0.0:8000", "0.0.0.0", 8000),
        ("127.0.0.1:0", "127.0.0.1", 0),
        ("localhost:8001", "localhost", 8001),
        ("gateway-1.example.com:443", "gateway-1.example.com", 443),
        ("[::1]:8000", "::1", 8000),
        ("[::]:65535", "::", 65535),
        ("[2001:db8::1]:80", "2001:db8::1", 80),
    ])
    func parsesHostAndPort(text: String, host: String, port: Int) throws {
        let address = try HostPort(parsing: text)
        #expect(address.host == host)
        #expect(address.port == port)
        #expect(address.description == text)
    }

    @Test(arguments: [
        ("8000", "expected HOST:PORT"),
        ("127.0.0.1:", "port must be a number from 0 to 65535"),
        ("127.0.0.1:65536", "port must be a number from 0 to 65535"),
        ("127.0.0.1:-1", "port must be a number from 0 to 65535"),
        ("127.0.0.1:+80", "port must be a number from 0 to 65535"),
        ("127.0.0.1:80a", "port must be a number from 0 to 65535"),
        ("127.0.0.1:000080", "port must be a number from 0 to 65535"),
        (":8000", "missing host"),
        ("[]:8000", "IPv4 or IPv6 literal"),
        ("300.1.1.1:80", "IPv4 or IPv6 literal"),
        ("bad_host:80", "IPv4 or IPv6 literal"),
        ("-a.example:80", "IPv4 or IPv6 literal"),
        ("a..b:80", "IPv4 or IPv6 literal"),
        ("::1:8000", "write IPv6 addresses in brackets"),
        ("[::1:8000", "missing ']'"),
        ("[::1]8000", "expected ':PORT' after ']'"),
        ("[zz]:80", "IPv4 or IPv6 literal"),
        ("[127.0.0.1]:80", "IPv4 or IPv6 literal"),
    ])
    func refusesWithAReason(text: String, reason: String) {
        #expect {
            try HostPort(parsing: text, kind: "listen address")
        } throws: { error in
            let error = error as? HostPortError
            return error?.reason.contains(reason) == true
                && error?.description.hasPrefix("invalid listen address '\(text)': ") == true
        }
    }

    @Test func numericHostsAreLiterals() throws {
        #expect(try HostPort(parsing: "10.0.0.1:1").isNumeric)
        #expect(try HostPort(parsing: "[fe80::1]:1").isNumeric)
        #expect(try !HostPort(parsing: "localhost:1").isNumeric)
        #expect(HostPort(host: "::1", port: 9).description == "[::1]:9")
        #expect(try HostPort(parsing: "[::1]:9") == HostPort(host: "::1", port: 9))
    }
}
