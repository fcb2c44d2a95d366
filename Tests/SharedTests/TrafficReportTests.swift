import Foundation
import Shared
import Testing

@Suite struct TrafficReportTests {
    @Test func aReportFromBeforeTheProtocolSplitStillDecodes() throws {
        let old = #"{"endpoints":[],"active_connections":2,"pooled_connections":1}"#
        let report = try JSONDecoder().decode(TrafficReport.self, from: Data(old.utf8))
        #expect(report.activeConnections == 2)
        #expect(report.requestsByProtocol == nil)
    }

    @Test func theProtocolSplitRoundTrips() throws {
        let report = TrafficReport(requestsByProtocol: [
            ProtocolTraffic(protocol: "http1", tls: false, requests: 3),
            ProtocolTraffic(protocol: "h2", tls: true, requests: 4),
        ])
        let text = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        #expect(text.contains(#""requests_by_protocol""#))
        #expect(try JSONDecoder().decode(TrafficReport.self, from: Data(text.utf8)) == report)
    }

    @Test func mergingAddsEntriesOfTheSameProtocolAndTLS() {
        let merged = ProtocolTraffic.merging(
            [.init(protocol: "http1", tls: false, requests: 1), .init(protocol: "h2", tls: true, requests: 2)],
            [.init(protocol: "h2", tls: true, requests: 5), .init(protocol: "http1", tls: true, requests: 7)])
        #expect(
            merged == [
                .init(protocol: "http1", tls: false, requests: 1), .init(protocol: "h2", tls: true, requests: 7),
                .init(protocol: "http1", tls: true, requests: 7),
            ])
    }
}
