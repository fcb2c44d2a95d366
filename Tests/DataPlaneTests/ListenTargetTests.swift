import DataPlane
import Shared
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

    @Test func namedSocketsAreTakenByTheirNames() throws {
        let both = ["LISTEN_FDS": "2", "LISTEN_FDNAMES": "proxy:proxy-tls"]
        #expect(
            try ListenTarget.choose(explicit: nil, fallback: "0.0.0.0:8000", environment: both, pid: 42)
                == .inherited(descriptor: 3))
        #expect(try ListenTarget.chooseTLS(explicit: nil, environment: both, pid: 42) == .inherited(descriptor: 4))
        let swapped = ["LISTEN_FDS": "2", "LISTEN_FDNAMES": "proxy-tls:proxy"]
        #expect(
            try ListenTarget.choose(explicit: nil, fallback: "0.0.0.0:8000", environment: swapped, pid: 42)
                == .inherited(descriptor: 4))
        #expect(try ListenTarget.chooseTLS(explicit: nil, environment: swapped, pid: 42) == .inherited(descriptor: 3))
    }

    @Test func withoutATLSNameThereIsNoTLSListenerUnlessOneIsGiven() throws {
        for environment in [
            ["LISTEN_FDS": "1"], ["LISTEN_FDS": "2"], ["LISTEN_FDS": "1", "LISTEN_FDNAMES": "proxy:proxy-tls"],
            ["LISTEN_FDS": "2", "LISTEN_FDNAMES": "proxy:proxy-tls", "LISTEN_PID": "7"], [:],
        ] {
            #expect(try ListenTarget.chooseTLS(explicit: nil, environment: environment, pid: 42) == nil)
        }
        #expect(
            try ListenTarget.chooseTLS(explicit: "127.0.0.1:8443", environment: ["LISTEN_FDS": "1"], pid: 42)
                == .bind(host: "127.0.0.1", port: 8443))
        #expect(throws: HostPortError.self) {
            try ListenTarget.chooseTLS(explicit: "8443", environment: [:], pid: 42)
        }
    }

    @Test func aLoneTLSSocketIsNotTakenForPlaintext() throws {
        let environment = ["LISTEN_FDS": "1", "LISTEN_FDNAMES": "proxy-tls"]
        #expect(
            try ListenTarget.choose(explicit: nil, fallback: "0.0.0.0:8000", environment: environment, pid: 42)
                == .bind(host: "0.0.0.0", port: 8000))
        #expect(
            try ListenTarget.chooseTLS(explicit: nil, environment: environment, pid: 42) == .inherited(descriptor: 3))
        // Names systemd gives by default leave fd 3 the plaintext socket, as before.
        #expect(
            try ListenTarget.choose(
                explicit: nil, fallback: "0.0.0.0:8000", environment: ["LISTEN_FDS": "1", "LISTEN_FDNAMES": "unknown"],
                pid: 42) == .inherited(descriptor: 3))
    }

    @Test func addressesParse() throws {
        #expect(try ListenTarget.parse("[::1]:8080") == .bind(host: "::1", port: 8080))
        for bad in ["8000", "host:", ":80", "host:99999", "host:x"] {
            #expect(throws: HostPortError.self) { try ListenTarget.parse(bad) }
        }
    }
}
