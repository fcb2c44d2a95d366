import DataPlane
import NIOCore
import Testing

/// Which upstream hosts are connected to without NIO's resolver.
@Suite struct UpstreamConnectorTests {
    @Test func ipLiteralsAreAddressesAndHostNamesAreNot() {
        #expect(SocketUpstreamConnector.literalAddress(host: "127.0.0.1", port: 8080)?.port == 8080)
        #expect(SocketUpstreamConnector.literalAddress(host: "::1", port: 80)?.protocol == .inet6)
        #expect(SocketUpstreamConnector.literalAddress(host: "[::1]", port: 80)?.protocol == .inet6)
        #expect(SocketUpstreamConnector.literalAddress(host: "localhost", port: 80) == nil)
        #expect(SocketUpstreamConnector.literalAddress(host: "api.internal", port: 80) == nil)
        #expect(SocketUpstreamConnector.literalAddress(host: "cafe.example", port: 80) == nil)
        #expect(SocketUpstreamConnector.literalAddress(host: "", port: 80) == nil)
    }
}
