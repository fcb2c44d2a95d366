import DataPlane
import Testing

@Suite struct ListenTargetTests {
    @Test func explicitAddressWinsOverInheritedSockets() throws {
        let target = try ListenTarget.choose(
            explicit: "127.0.0.1:0", fallback: "0.0.0.0:8000", environment: ["LISTEN_FDS": "1"], pid: 42)
        #expect(target == .bind(host: "127.0.0.1", port: 0))
    }

    @Test func inheritedSocketIsUsedWhenMeantForThisProcess() throws {
        #expect(
            try ListenTarget.choose(explicit: nil, fallback: "0.0.0.0:8000", environment: ["LISTEN_FDS": "1"], pid: 42)
                == .inherited(descriptor: 3))
        #expect(
            try ListenTarget.choose(
                explicit: nil, fallback: "0.0.0.0:8000", environment: ["LISTEN_FDS": "1", "LISTEN_PID": "42"], pid: 42)
                == .inherited(descriptor: 3))
    }

    @Test func socketsMeantForAnotherProcessAreIgnored() throws {
        #expect(
            try ListenTarget.choose(
                explicit: nil, fallback: "0.0.0.0:8000", environment: ["LISTEN_FDS": "1", "LISTEN_PID": "7"], pid: 42)
                == .bind(host: "0.0.0.0", port: 8000))
        #expect(
            try ListenTarget.choose(explicit: nil, fallback: "0.0.0.0:8000", environment: ["LISTEN_FDS": "0"], pid: 42)
                == .bind(host: "0.0.0.0", port: 8000))
    }

    @Test func addressesParse() throws {
        #expect(try ListenTarget.parse("[::1]:8080") == .bind(host: "::1", port: 8080))
        for bad in ["8000", "host:", ":80", "host:99999", "host:x"] {
            #expect(throws: ListenAddressError.self) { try ListenTarget.parse(bad) }
        }
    }
}
