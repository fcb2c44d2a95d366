import Foundation
import Logging
import Shared
import TestSupport
import Testing

@testable import ControlPlane

/// What a process on the control socket may say: range-checked messages and a `hello` deadline.
@Suite(.endToEnd) struct ControlSocketBoundsTests {
    static let logger = Logger(label: "control-socket-bounds-test")

    static func report(requests: Int, responses: Int = 1) -> DataPlaneMessage {
        var traffic = EndpointTraffic(endpoint: "svc")
        traffic.responses["2xx"] = responses
        return .report(ReplicaReport(requests: requests, traffic: TrafficReport(endpoints: [traffic])))
    }

    @Test func messagesOutsideTheirRangesAreNamedAndOrdinaryOnesPass() {
        #expect(Self.report(requests: 12, responses: 12).boundsProblem == nil)
        #expect(Self.report(requests: Int.max).boundsProblem?.contains("requests") == true)
        #expect(Self.report(requests: 1, responses: -1).boundsProblem?.contains("responses") == true)
        #expect(DataPlaneMessage.hello(.init(replicaId: "r", pid: 0, version: nil)).boundsProblem != nil)
        #expect(DataPlaneMessage.hello(.init(replicaId: "r\n", pid: 10, version: nil)).boundsProblem != nil)
        #expect(DataPlaneMessage.hello(.init(replicaId: "r", pid: 10, version: -3)).boundsProblem != nil)
        #expect(DataPlaneMessage.hello(.init(replicaId: "r", pid: 10, version: 3)).boundsProblem == nil)
        #expect(DataPlaneMessage.ack(version: -1).boundsProblem != nil)
    }

    @Test func aReportWithAHugeCounterEndsTheConnectionAndCountsNothing() async throws {
        let gateway = try await ControlPlaneHarness.start(config: nil)
        defer { gateway.stop() }
        let client = try await ControlSocketClient.connect(path: gateway.socketPath)
        try await client.send(.hello(.init(replicaId: "liar", pid: 4321, version: nil)))
        _ = try await client.receiveSnapshot()
        try await client.send(Self.report(requests: Int.max, responses: Int.max))
        // The control plane hangs up instead of summing it.
        while let received = try await client.receive() {
            guard case .message(.snapshot) = received else { continue }
        }
        let metrics = try await gateway.admin(.GET, "/metrics")
        #expect(metrics.status == 200)
        #expect(!metrics.text.contains("9223372036854775807"))
        #expect(try await gateway.admin(.GET, "/status/data").status == 200)
    }

    @Test func aPeerThatSaysNoHelloIsClosedAfterTheDeadline() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let socket = try await ControlSocketServer(
            path: directory.file("c.sock").path, publisher: SnapshotPublisher(logger: Self.logger), logger: Self.logger,
            helloTimeout: .milliseconds(300))
        let server = Task { try await socket.run() }
        defer { server.cancel() }
        let silent = try await ControlSocketClient.connect(path: directory.file("c.sock").path)
        // `receive` returns nil once the server closes; the test's own limit is generous.
        let closed = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await silent.receive() == nil }
            group.addTask {
                try await Task.sleep(for: .seconds(60))
                return false
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
        #expect(closed)
        await silent.close()
    }

    /// Run as root (as CI does): a process of another user, let in by a socket file made
    /// world-writable, says hello and is hung up on without an answer.
    @Test(
        .enabled(
            if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func aPeerOfAnotherUserIsClosedWithoutAConversation() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let path = directory.file("c.sock").path
        let socket = try await ControlSocketServer(
            path: path, publisher: SnapshotPublisher(logger: Self.logger), logger: Self.logger)
        let server = Task { try await socket.run() }
        defer { server.cancel() }
        chmod(directory.path, 0o755)
        chmod(path, 0o666)
        // A length-prefixed hello, then whatever comes back until the server closes.
        let script = """
            import json, socket, struct, sys
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(60)
            s.connect(sys.argv[1])
            body = json.dumps({"type": "hello", "replica_id": "other-user", "pid": 1}).encode()
            s.sendall(struct.pack(">I", len(body)) + body)
            received = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                received += chunk
            print(len(received))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = [
            "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", script, path,
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0)
        // Closed, and no snapshot was sent first.
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }

    @Test func peerCredentialsOfAConnectedPairNameThisProcessAndItsUser() throws {
        var descriptors: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &descriptors) == 0)
        defer { descriptors.forEach { close($0) } }
        let peer = try #require(PeerCredentials.of(descriptor: descriptors[0]))
        #expect(peer.pid == getpid())
        #expect(peer.isSameUser)
    }
}
