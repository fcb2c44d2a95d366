import AdminAPI
import Foundation
import Shared
import Testing

@testable import orchctl

/// The pure parts of orchctl's output: no processes.
@Suite struct RenderingTests {
    @Test func jsonIsReindentedWithoutTouchingValues() {
        let raw = #"{"a":1.50,"b":"x\"y,{z}: ","c":[],"d":{},"e":[1,{"f":null}],"g":1e3}"#
        let pretty = JSONPrinter.pretty(Data(raw.utf8))
        #expect(
            pretty == """
                {
                  "a": 1.50,
                  "b": "x\\"y,{z}: ",
                  "c": [],
                  "d": {},
                  "e": [
                    1,
                    {
                      "f": null
                    }
                  ],
                  "g": 1e3
                }
                """)
        #expect(JSONPrinter.pretty(Data(" [ ] ".utf8)) == "[]")
        let joined = JSONPrinter.object([("one", Data("[1]".utf8)), ("two", Data())])
        #expect(String(decoding: joined, as: UTF8.self) == #"{"one":[1],"two":null}"#)
    }

    @Test func tableAlignsOnPlainTextEvenWhenColoured() {
        var table = Table(["NAME", "STATUS", "URL"])
        table.add([Table.Cell("a"), Table.Cell("unhealthy", .bad), Table.Cell("http://a")])
        table.add([Table.Cell("longer-name"), Table.Cell("active", .good), Table.Cell("http://b")])
        #expect(
            table.render(Terminal(colours: false))
                == """
                NAME         STATUS     URL
                a            unhealthy  http://a
                longer-name  active     http://b
                """)
        let coloured = table.render(Terminal(colours: true))
        #expect(coloured.contains("\u{1B}[31munhealthy\u{1B}[0m  http://a"))
        #expect(
            coloured.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
                == table.render(Terminal(colours: false)))
    }

    @Test func replicaStateMarks() {
        func replica(connected: Bool = true, acked: Int?, behind: Bool = false, nack: Int? = nil)
            -> DataPlaneReplica
        {
            DataPlaneReplica(
                replicaId: "r", slot: "1", pid: 1, supervised: true, connected: connected, ackedVersion: acked,
                behind: behind, lastNack: nack.map { .init(version: $0, error: "bad", time: "2026-12-01T00:00:00Z") },
                connectedAt: "2026-12-01T00:00:00Z", lastContact: "2026-12-01T00:00:00Z", draining: false)
        }
        #expect(ReplicaState(replica(acked: 3), currentVersion: 3).text == "ok")
        #expect(ReplicaState(replica(acked: 2, behind: true), currentVersion: 3).text == "behind")
        #expect(
            ReplicaState(replica(acked: 2, behind: true, nack: 3), currentVersion: 3).text == "behind, NACK v3: bad")
        // A NACK that a later ACK superseded is history, not a mark.
        #expect(ReplicaState(replica(acked: 4, nack: 3), currentVersion: 4).text == "ok")
        #expect(ReplicaState(replica(connected: false, acked: 3, behind: true), currentVersion: 3).text == "gone")
        #expect(ReplicaState(replica(connected: false, acked: 3), currentVersion: 3).style == .bad)
        var refused = replica(connected: false, acked: nil, behind: true)
        refused.refused = "data plane 0.2.0 is newer than control plane 0.1.0"
        #expect(
            ReplicaState(refused, currentVersion: 3).text
                == "refused: data plane 0.2.0 is newer than control plane 0.1.0")
        #expect(ReplicaState(refused, currentVersion: 3).style == .bad)
    }

    @Test func limitsAreTwoCompactLines() {
        #expect(LimitsText.timeouts(.defaults) == "header 30s, body 60s, idle 75s, send 60s")
        #expect(
            LimitsText.sizes(.defaults)
                == "16384 connections, URI 8192 B, request head 32768 B, 100 headers, 16 pipelined")
        let limits = ProxyLimits(headerTimeout: 0.5, sendTimeout: 86_400, maxConnections: 1, maxPipelined: 1024)
        #expect(LimitsText.timeouts(limits) == "header 0.5s, body 60s, idle 75s, send 86400s")
        #expect(
            LimitsText.sizes(limits) == "1 connections, URI 8192 B, request head 32768 B, 100 headers, 1024 pipelined")
    }

    @Test func uptimeIsShort() {
        #expect(Uptime.text(9) == "9s")
        #expect(Uptime.text(252) == "4m 12s")
        #expect(Uptime.text(7500) == "2h 05m")
        #expect(Uptime.text(3 * 86_400 + 4 * 3600 + 5) == "3d 4h")
    }
}
