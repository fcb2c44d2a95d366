import Foundation
import Shared
import Testing

/// The config file's `proxy:` section.
@Suite struct ProxyLimitsTests {
    @Test func defaultsApplyWithoutTheSection() throws {
        #expect(try GatewayConfig.parse(yaml: "").proxy == .defaults)
        #expect(try GatewayConfig.parse(yaml: "endpoints: []\n").proxy == .defaults)
        #expect(try GatewayConfig.parse(yaml: "proxy: {}\n").proxy == .defaults)
        #expect(try GatewayConfig.parse(yaml: "proxy:\n").proxy == .defaults)
        let limits = ProxyLimits.defaults
        #expect(limits.headerTimeout == 30)
        #expect(limits.bodyTimeout == 60)
        #expect(limits.idleTimeout == 75)
        #expect(limits.sendTimeout == 60)
        #expect(limits.maxConnections == 16384)
        #expect(limits.maxURIBytes == 8192)
        #expect(limits.maxHeaderBytes == 32768)
        #expect(limits.maxHeaders == 100)
        #expect(limits.maxPipelined == 16)
    }

    @Test func everyKeyIsRead() throws {
        let yaml = """
            proxy:
              header_timeout: 0.5
              body_timeout: 12
              idle_timeout: 86400
              send_timeout: "7.25"
              max_connections: 1000000
              max_uri_bytes: 256
              max_header_bytes: 1024
              max_headers: 10000
              max_pipelined: 1
            """
        let limits = try GatewayConfig.parse(yaml: yaml).proxy
        #expect(
            limits
                == ProxyLimits(
                    headerTimeout: 0.5, bodyTimeout: 12, idleTimeout: 86_400, sendTimeout: 7.25,
                    maxConnections: 1_000_000, maxURIBytes: 256, maxHeaderBytes: 1024, maxHeaders: 10_000,
                    maxPipelined: 1))
    }

    @Test func absentKeysKeepTheirDefaults() throws {
        let limits = try GatewayConfig.parse(yaml: "proxy:\n  max_headers: 50\n").proxy
        var expected = ProxyLimits.defaults
        expected.maxHeaders = 50
        #expect(limits == expected)
    }

    @Test(arguments: [
        ("header_timeout: 0", "proxy.header_timeout", "greater than 0"),
        ("body_timeout: -1", "proxy.body_timeout", "greater than 0"),
        ("idle_timeout: 86400.5", "proxy.idle_timeout", "at most 86400"),
        ("send_timeout: soon", "proxy.send_timeout", "must be a number"),
        ("max_connections: 0", "proxy.max_connections", "between 1 and 1000000"),
        ("max_connections: 1000001", "proxy.max_connections", "between 1 and 1000000"),
        ("max_uri_bytes: 255", "proxy.max_uri_bytes", "between 256 and 1048576"),
        ("max_uri_bytes: 1048577", "proxy.max_uri_bytes", "between 256 and 1048576"),
        ("max_header_bytes: 1023", "proxy.max_header_bytes", "between 1024 and 1048576"),
        ("max_header_bytes: 1048577", "proxy.max_header_bytes", "between 1024 and 1048576"),
        ("max_headers: 0", "proxy.max_headers", "between 1 and 10000"),
        ("max_headers: 10001", "proxy.max_headers", "between 1 and 10000"),
        ("max_headers: 1.5", "proxy.max_headers", "whole number"),
        ("max_pipelined: 0", "proxy.max_pipelined", "between 1 and 1024"),
        ("max_pipelined: 1025", "proxy.max_pipelined", "between 1 and 1024"),
        ("max_pipelined: [1]", "proxy.max_pipelined", "whole number"),
    ])
    func invalidValueIsReportedWithItsFieldAndLine(line: String, field: String, message: String) {
        let yaml = "endpoints: []\nproxy:\n  # one bad key\n  \(line)\n"
        let error = #expect(throws: ValidationError.self) { try GatewayConfig.parse(yaml: yaml) }
        #expect(error?.issues.count == 1, "\(String(describing: error))")
        #expect(error?.issues.first?.field == field)
        #expect(error?.issues.first?.line == 4)
        #expect(error?.issues.first?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test func unknownKeyIsRejectedWithItsLine() {
        let yaml = "proxy:\n  header_timeout: 5\n  read_timeout: 5\n"
        let error = #expect(throws: ValidationError.self) { try GatewayConfig.parse(yaml: yaml) }
        #expect(error?.issues.first?.field == "proxy.read_timeout")
        #expect(error?.issues.first?.line == 3)
        #expect(error?.issues.first?.message.contains("unknown key") == true)
        #expect(error?.issues.first?.message.contains("max_pipelined") == true)
    }

    @Test func sectionMustBeAMapping() {
        let error = #expect(throws: ValidationError.self) { try GatewayConfig.parse(yaml: "proxy: 30\n") }
        #expect(error?.issues.first?.field == "proxy")
        #expect(error?.issues.first?.message.contains("mapping") == true)
    }

    @Test func everyBadKeyIsReportedAtOnce() {
        let yaml = "proxy:\n  header_timeout: 0\n  max_headers: 0\n  max_pipelined: 2000\n"
        let error = #expect(throws: ValidationError.self) { try GatewayConfig.parse(yaml: yaml) }
        #expect(
            error?.issues.compactMap(\.field) == ["proxy.header_timeout", "proxy.max_headers", "proxy.max_pipelined"])
    }

    @Test func jsonUsesTheConfigKeys() throws {
        let data = try JSONEncoder().encode(ProxyLimits(headerTimeout: 0.5))
        let object = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(
            Set(object.keys) == [
                "header_timeout", "body_timeout", "idle_timeout", "send_timeout", "max_connections", "max_uri_bytes",
                "max_header_bytes", "max_headers", "max_pipelined",
            ])
        #expect(object["header_timeout"] as? Double == 0.5)
        #expect(try JSONDecoder().decode(ProxyLimits.self, from: data) == ProxyLimits(headerTimeout: 0.5))
    }
}
