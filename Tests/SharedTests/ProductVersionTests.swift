import Shared
import Testing

/// The version rule a control plane applies to a remote data plane's `hello`.
@Suite struct ProductVersionTests {
    @Test func versionsParseAsMajorMinorPatchWithAnySuffixIgnored() {
        #expect(ProductVersion.components("1.2.3")! == (1, 2, 3))
        #expect(ProductVersion.components("0.10.0-rc1")! == (0, 10, 0))
        #expect(ProductVersion.components("2.0.1+build.5")! == (2, 0, 1))
        for bad in ["", "-", "+", "-1", "1.2", "1.2.3.4", "a.b.c", "1..3", "-1.0.0", "1.2.x"] {
            #expect(ProductVersion.components(bad) == nil, "\(bad)")
        }
        #expect(ProductVersion.components(ProductVersion.string) != nil)
    }

    @Test(
        arguments: [
            ("1.4.0", nil), ("1.4.9", nil), ("1.3.7", nil), ("1.0.0", nil),
            ("1.5.0", "newer than control plane"), ("2.0.0", "another major version"),
            ("0.9.0", "another major version"), ("banana", "MAJOR.MINOR.PATCH"),
        ] as [(String, String?)])
    func aControlPlaneRefusesAnotherMajorOrANewerMinor(dataPlane: String, refusal: String?) {
        let reason = ProductVersion.refusal(dataPlane: dataPlane, controlPlane: "1.4.2")
        if let refusal {
            #expect(reason?.contains(refusal) == true, "\(dataPlane): \(reason ?? "accepted")")
        } else {
            #expect(reason == nil, "\(dataPlane): \(reason ?? "")")
        }
    }

    @Test func aDataPlaneThatSaysNoVersionIsAccepted() {
        #expect(ProductVersion.refusal(dataPlane: nil) == nil)
    }

    @Test func heartbeatsAndVersionsAreBounded() {
        let long = String(repeating: "a", count: 65)
        #expect(DataPlaneMessage.heartbeat(.init(version: 1, checksum: long)).boundsProblem != nil)
        #expect(DataPlaneMessage.heartbeat(.init(version: -1, checksum: nil)).boundsProblem != nil)
        #expect(DataPlaneMessage.heartbeat(.init(version: 1, checksum: "ab\ncd")).boundsProblem != nil)
        #expect(DataPlaneMessage.heartbeat(.init(version: 1, checksum: "0123abcd")).boundsProblem == nil)
        let hello = DataPlaneMessage.Hello(replicaId: "r", pid: 1, version: nil, softwareVersion: long)
        #expect(DataPlaneMessage.hello(hello).boundsProblem != nil)
    }
}
