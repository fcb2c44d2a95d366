import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Shared
import TestSupport
import Testing

/// `https` endpoints through NIOSSL, trusting a CA given with `--ca-file`. The CA and the
/// server certificate are made with `openssl` in the test's directory.
@Suite(.endToEnd, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
struct TLSUpstreamTests {
    @Test func httpsUpstreamIsReachedWithTheGivenCAAndRefusedWithoutIt() async throws {
        let pki = try TestDirectory()
        defer { pki.remove() }
        try Self.makeCertificates(in: pki)
        let server = try await Self.startHTTPSServer(
            certificate: pki.file("server.pem").path, key: pki.file("server.key").path)
        defer { server.close(promise: nil) }
        let port = server.localAddress?.port ?? 0
        let snapshot = Snapshot.testing(version: 1, [.testing("secure", url: "https://localhost:\(port)/base")])

        let trusting = try await DataPlaneHarness.start(
            cachedSnapshot: snapshot, arguments: ["--ca-file", pki.file("ca.pem").path], replicaID: "trusting")
        defer { trusting.stop() }
        let good = try await TestHTTP.request(.GET, trusting.url("/orchestrator/secure/x?y=1"))
        #expect(good.status == 200)
        #expect(good.text == "secure GET /base/x?y=1 host=localhost:\(port)")

        let untrusting = try await DataPlaneHarness.start(cachedSnapshot: snapshot, replicaID: "untrusting")
        defer { untrusting.stop() }
        let refused = try await TestHTTP.request(.GET, untrusting.url("/orchestrator/secure/x"))
        #expect(refused.status == 502)
        #expect(refused.detail == "Orchestration error - TLS handshake with the upstream failed")
    }

    static func makeCertificates(in directory: TestDirectory) throws {
        try directory.write("subjectAltName=DNS:localhost\n", to: "ext.cnf")
        let steps: [[String]] = [
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
                "-subj", "/CN=Orchestrator Test CA",
            ],
            [
                "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj",
                "/CN=localhost",
            ],
            [
                "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
                "server.pem", "-days", "1", "-extfile", "ext.cnf",
            ],
        ]
        for arguments in steps {
            let process = try ChildProcess(
                URL(fileURLWithPath: "/usr/bin/openssl"), arguments: arguments, directory: directory.url,
                name: "openssl")
            let status = process.waitForExit(timeout: 60)
            guard status == 0 else { throw OpenSSLFailed(step: arguments[0], log: process.logTail) }
        }
    }

    static func startHTTPSServer(certificate: String, key: String) async throws -> any Channel {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        let context = try NIOSSLContext(configuration: configuration)
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(SecureEchoHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }
}

/// Answers `secure METHOD URI host=HOST`.
private final class SecureEchoHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    var head: HTTPRequestHead?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            let text = "secure \(head.method.rawValue) \(head.uri) host=\(head.headers.first(name: "host") ?? "")"
            let headers = HTTPHeaders([("content-length", String(text.utf8.count))])
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil
            )
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

struct OpenSSLFailed: Error, CustomStringConvertible {
    var step: String
    var log: String
    var description: String { "openssl \(step) failed\n\(log)" }
}
