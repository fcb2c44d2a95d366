import Foundation
import Testing

@testable import ControlPlane

@Suite struct DataPlaneBinaryTests {
    @Test func theDefaultDataPlaneIsTheOneNextToThisExecutableNotOneInTheCurrentDirectory() throws {
        let me = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let sibling = ControlPlaneCommand.siblingDataPlane()
        #expect(sibling.hasPrefix("/"))
        #expect(
            sibling
                == URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("orch-data-plane").path)
    }
}
