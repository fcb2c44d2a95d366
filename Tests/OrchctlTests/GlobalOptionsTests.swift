import ArgumentParser
import Testing

@testable import orchctl

/// Global options may be written before the command; swift-argument-parser reads them after it.
@Suite struct GlobalOptionsTests {
    @Test func leadingGlobalOptionsMoveBehindTheCommand() {
        #expect(
            GlobalOptions.hoisted(["--admin-url", "http://h:1", "--output=json", "endpoint", "get", "x"])
                == ["endpoint", "get", "x", "--admin-url", "http://h:1", "--output=json"])
        // Options after the command, and a lone option, stay where they are.
        #expect(GlobalOptions.hoisted(["status", "--token", "t"]) == ["status", "--token", "t"])
        #expect(GlobalOptions.hoisted(["--token", "t"]) == ["--token", "t"])
        // `--version` of `endpoint add` is not a global option.
        #expect(
            GlobalOptions.hoisted(["--token", "t", "endpoint", "add", "x", "--version", "v2"])
                == ["endpoint", "add", "x", "--version", "v2", "--token", "t"])
    }

    @Test func strippedDropsGlobalOptionsAndTheirValues() {
        #expect(
            GlobalOptions.stripped(["--token", "t", "endpoint", "frobnicate", "--output=json", "--data-dir", "d"])
                == ["endpoint", "frobnicate"])
    }

    @Test func adminURLMustBeHTTP() throws {
        var options = try GlobalOptions.parse(["--admin-url", "http://127.0.0.1:8001/"])
        #expect(try options.resolvedAdminURL() == "http://127.0.0.1:8001")
        for bad in ["127.0.0.1:8001", "ftp://h", "http://", "http://h/?x=1"] {
            options = try GlobalOptions.parse(["--admin-url", bad])
            #expect(throws: OrchctlError.self) { try options.resolvedAdminURL() }
        }
    }
}
