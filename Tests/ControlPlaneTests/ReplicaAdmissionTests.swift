import Foundation
import Logging
import NIOEmbedded
import Shared
import Testing

@testable import ControlPlane

/// What the control plane makes of a `hello` (``ReplicaConversation/admit(_:peer:certificateNames:)``)
/// and how the directory lists remote and refused replicas.
@Suite struct ReplicaAdmissionTests {
    static func conversation(allowing names: Set<String>? = nil) -> ReplicaConversation {
        ReplicaConversation(
            publisher: SnapshotPublisher(logger: Logger(label: "test")), logger: Logger(label: "test"),
            helloTimeout: .seconds(10), allowedNames: names)
    }

    static let remote = ReplicaConversation.Peer.remote(address: "10.0.0.7:4000", channel: EmbeddedChannel())

    static func hello(version: String? = ProductVersion.string) -> DataPlaneMessage.Hello {
        DataPlaneMessage.Hello(
            replicaId: "edge", pid: 7, version: nil, supervised: true, inheritedListener: true,
            inheritedTLSListener: true, softwareVersion: version)
    }

    @Test func aRemoteReplicaIsNeverSupervisedAndHandsOverNoSocket() {
        guard case .accept(let hello) = Self.conversation().admit(Self.hello(), peer: Self.remote, certificateNames: [])
        else { Issue.record("refused"); return }
        #expect(hello.supervised == false && hello.inheritedListener == nil && hello.inheritedTLSListener == nil)
        #expect(hello.pid == 7)
    }

    @Test func aLocalReplicaKeepsWhatItSaysButThePidIsTheKernels() {
        let conversation = Self.conversation(allowing: ["nobody"])
        let newer = Self.hello(version: "99.0.0")
        guard case .accept(let hello) = conversation.admit(newer, peer: .local(pid: 99), certificateNames: [])
        else { Issue.record("refused"); return }
        #expect(hello.supervised == true && hello.inheritedListener == true && hello.pid == 99)
    }

    @Test func aRemoteReplicaOfAnotherMajorOrANewerMinorIsRefused() {
        let ours = ProductVersion.components(ProductVersion.string)!
        for version in ["\(ours.major + 1).0.0", "\(ours.major).\(ours.minor + 1).0"] {
            guard
                case .refuse(_, let reason) = Self.conversation().admit(
                    Self.hello(version: version), peer: Self.remote, certificateNames: [])
            else { Issue.record("\(version) accepted"); continue }
            #expect(reason.contains(version))
        }
    }

    @Test func onlyAllowedCertificateNamesAreAccepted() {
        let conversation = Self.conversation(allowing: ["edge-a", "edge-b"])
        guard case .accept = conversation.admit(Self.hello(), peer: Self.remote, certificateNames: ["x", "edge-b"])
        else { Issue.record("refused an allowed name"); return }
        guard
            case .refuse(_, let reason) = conversation.admit(
                Self.hello(), peer: Self.remote, certificateNames: ["edge-c"])
        else { Issue.record("accepted a name not allowed"); return }
        #expect(reason.contains("edge-c"))
        guard case .refuse = conversation.admit(Self.hello(), peer: Self.remote, certificateNames: []) else {
            Issue.record("accepted a certificate without names"); return
        }
    }

    @Test func remoteReplicasAreListedWithTheirAddressAndHeartbeatButNeverCountAsLocalProcesses() {
        var directory = ReplicaDirectory()
        directory.connected(Self.hello(), address: "10.0.0.7:4000", currentVersion: 3, now: "t0")
        directory.received(.heartbeat(.init(version: 3, checksum: "abc")), from: "edge", currentVersion: 3, now: "t1")
        directory.received(.ack(version: 3), from: "edge", currentVersion: 3, now: "t1")
        let status = directory.statuses(at: Date())[0]
        #expect(status.address == "10.0.0.7:4000" && status.snapshotChecksum == "abc" && status.lastHeartbeat == "t1")
        #expect(status.softwareVersion == ProductVersion.string && status.refused == nil)
        // A local rollout waiting for pid 7 must not take a remote process of that number for its own.
        #expect(directory.replicaId(pid: 7) == nil)
        #expect(directory.readiness(pid: 7, currentVersion: 3).ready == false)
    }

    @Test func refusedReplicasAreListedAtMostAHundredAndNeverOverAConnectedOne() {
        var directory = ReplicaDirectory()
        directory.connected(Self.hello(), address: "10.0.0.7:4000", currentVersion: 1, now: "t")
        directory.refused(Self.hello(), address: "10.0.0.8:4000", reason: "impostor", at: Date(), now: "t")
        #expect(directory.statuses(at: Date()).first { $0.replicaId == "edge" }?.connected == true)

        for index in 0..<150 {
            var hello = Self.hello()
            hello.replicaId = "stranger-\(index)"
            directory.refused(hello, address: "10.0.1.1:\(index)", reason: "too new", at: Date(), now: "t")
        }
        let listed = directory.statuses(at: Date())
        let refused = listed.filter { $0.refused != nil }
        #expect(refused.count == ReplicaDirectory.refusedLimit)
        #expect(refused.allSatisfy { !$0.connected && $0.refused == "too new" })
        #expect(
            !refused.contains { $0.replicaId == "stranger-0" } && refused.contains { $0.replicaId == "stranger-149" })
        // After the retention they are gone.
        #expect(directory.statuses(at: Date().addingTimeInterval(301)).allSatisfy { $0.refused == nil })
    }
}
