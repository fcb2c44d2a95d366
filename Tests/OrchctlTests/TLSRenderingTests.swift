import AdminAPI
import Foundation
import Testing

@testable import orchctl

/// How `orchctl status` shows the TLS listener and its certificates, from `/config/status`'s `tls`.
@Suite struct TLSRenderingTests {
    static func status(_ json: String) throws -> TLSStatus {
        try JSONDecoder().decode(TLSStatus.self, from: Data(json.utf8))
    }

    static let certificates = """
        [{"cert_file": "/tls/site.pem", "key_file": "/tls/site.key", "default": true, "subject": "CN=gateway.test",
          "dns_names": ["gateway.test", "www.gateway.test"], "ip_addresses": ["192.0.2.1"],
          "not_before": "2026-11-01T00:00:00Z", "not_after": "2027-03-01T00:00:00Z", "days_left": 88,
          "expired": false, "expires_soon": false, "error": null},
         {"cert_file": "/tls/api.pem", "key_file": "/tls/api.key", "default": false, "subject": "CN=api.test",
          "dns_names": ["api.test"], "ip_addresses": [], "not_before": "2026-11-01T00:00:00Z",
          "not_after": "2026-12-06T00:00:00Z", "days_left": 3, "expired": false, "expires_soon": true,
          "error": null},
         {"cert_file": "/tls/old.pem", "key_file": "/tls/old.key", "default": false, "subject": "CN=old.test",
          "dns_names": [], "ip_addresses": [], "not_before": "2025-01-01T00:00:00Z",
          "not_after": "2026-01-01T00:00:00Z", "days_left": -335, "expired": true, "expires_soon": true,
          "error": null},
         {"cert_file": "/tls/gone.pem", "key_file": "/tls/gone.key", "default": false, "subject": null,
          "dns_names": [], "ip_addresses": [], "not_before": null, "not_after": null, "days_left": null,
          "expired": false, "expires_soon": false,
          "error": "cannot read certificate file /tls/gone.pem: No such file or directory"}]
        """

    @Test func theListenerLineSaysWhereAndHow() throws {
        let on = try Self.status(
            #"{"listener": "0.0.0.0:8443", "min_version": "1.3", "client_ca_file": "/tls/ca.pem", "certificates": \#(Self.certificates)}"#
        )
        #expect(TLSRendering.summary(on).text == "0.0.0.0:8443, TLS 1.3 or later, client certificates required")
        let off = try Self.status(
            #"{"listener": null, "min_version": null, "client_ca_file": null, "certificates": []}"#)
        #expect(TLSRendering.summary(off).text == "off")
        #expect(TLSRendering.certificates(off, Terminal(colours: false)) == nil)
        let unused = try Self.status(
            #"{"listener": null, "min_version": "1.2", "client_ca_file": null, "certificates": \#(Self.certificates)}"#)
        #expect(TLSRendering.summary(unused).text.hasPrefix("no listener"))
    }

    @Test func eachCertificateIsARowAndExpiringOnesAreWarnedAbout() throws {
        let tls = try Self.status(
            #"{"listener": "0.0.0.0:8443", "min_version": "1.2", "client_ca_file": null, "certificates": \#(Self.certificates)}"#
        )
        let text = try #require(TLSRendering.certificates(tls, Terminal(colours: false)))
        #expect(
            text == """
                Certificates  4
                  FILE                     SUBJECT          NAMES                                      EXPIRES
                  /tls/site.pem (default)  CN=gateway.test  gateway.test, www.gateway.test, 192.0.2.1  2027-03-01T00:00:00Z (88 days)
                  /tls/api.pem             CN=api.test      api.test                                   2026-12-06T00:00:00Z (3 days)
                  /tls/old.pem             CN=old.test      -                                          2026-01-01T00:00:00Z (expired)
                  /tls/gone.pem            -                -                                          -
                  WARNING: /tls/api.pem expires in 3 days (2026-12-06T00:00:00Z); renew it
                  ERROR: /tls/old.pem expired at 2026-01-01T00:00:00Z; clients refuse it
                  ERROR: cannot read certificate file /tls/gone.pem: No such file or directory
                """, "\n\(text)")
        #expect(TLSRendering.expiry(tls.certificates[1]).style == .warning)
        #expect(TLSRendering.expiry(tls.certificates[0]).style == .good)
    }
}
