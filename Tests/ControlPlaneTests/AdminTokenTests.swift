import Foundation
import TestSupport
import Testing

@testable import ControlPlane

@Suite struct AdminTokenTests {
    @Test func aShortOrBlankTokenIsRefusedAndAGeneratedOneIsLongEnough() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let data = try DataDirectory(path: directory.url.path)
        #expect(throws: ControlPlaneError.self) { try data.adminToken(environment: ["ORCH_ADMIN_TOKEN": "secret"]) }
        #expect(throws: ControlPlaneError.self) {
            try data.adminToken(environment: ["ORCH_ADMIN_TOKEN": "sixteen chars ok"])
        }
        #expect(try data.adminToken(environment: ["ORCH_ADMIN_TOKEN": "0123456789abcdef"]) == "0123456789abcdef")
        let generated = try data.adminToken(environment: [:])
        #expect(generated.count == 64)
        #expect(try data.adminToken(environment: [:]) == generated, "the generated token is kept in admin.token")
    }

    @Test func aWeakTokenWrittenIntoTheFileIsRefusedNamingTheFile() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let data = try DataDirectory(path: directory.url.path)
        try "letmein\n".write(toFile: data.file("admin.token"), atomically: true, encoding: .utf8)
        #expect {
            try data.adminToken(environment: [:])
        } throws: { error in
            "\(error)".contains("admin.token is 7 characters long")
        }
    }
}
