import Foundation
import TestSupport

/// Runs `body` with a supervising control plane that serves a TLS listener (`--proxy-tls-address`
/// on an ephemeral port) with a certificate for `name` issued by a fresh test CA, in front of an
/// echo upstream; stops everything afterwards, also on failure.
func withTLSGateway(
    replicas: Int, name: String, arguments: [String] = [],
    _ body: (ControlPlaneHarness, UpstreamServer, TestCertificateAuthority) async throws -> Void
) async throws {
    let directory = try TestDirectory()
    let authority = try TestCertificateAuthority()
    let site = try authority.issue("site", in: directory, commonName: name, dnsNames: [name])
    let upstream = try await UpstreamServer.start(.echo)
    let control: ControlPlaneHarness
    do {
        control = try await ControlPlaneHarness.start(
            config: """
                health_check:
                  enabled: false
                endpoints:
                  - name: svc
                    url: \(upstream.baseURL)/api
                tls:
                  cert_file: \(site.certFile)
                  key_file: \(site.keyFile)
                """, replicas: replicas,
            arguments: ["--proxy-tls-address", "127.0.0.1:0"] + arguments, directory: directory)
    } catch {
        await upstream.stop()
        directory.remove()
        throw error
    }
    var failure: (any Error)?
    do {
        try await body(control, upstream, authority)
    } catch {
        failure = error
    }
    control.stop()
    await upstream.stop()
    if let failure { throw failure }
}
