import Foundation
import Shared
import Testing

@Suite struct EndpointValidationTests {
    func validate(_ json: String) throws(ValidationError) -> EndpointConfig {
        try EndpointConfig.validate(try ConfigNode.parseJSON(Data(json.utf8)))
    }

    @Test func wrappedAndBareBodiesAreAccepted() throws {
        let wrapped = try validate(#"{"config": {"name": "svc", "url": "http://h:81"}}"#)
        let bare = try validate(#"{"name": "svc", "url": "http://h:81"}"#)
        #expect(wrapped == bare)
        #expect(bare.url == "http://h:81/")
        #expect(bare.methods == ["GET"])
        #expect(bare.timeout == 30)
    }

    @Test(arguments: [
        ("", "must not be empty"),
        ("example.com/x", "absolute"),
        ("ftp://example.com", "scheme must be http or https"),
        ("http://", "host"),
        ("http://user:pw@example.com", "credentials"),
        ("http://example.com/#frag", "fragment"),
        ("http://example.com/a/../b", "'.' or '..'"),
        ("http://exa mple.com", "spaces"),
    ])
    func badURLsAreRejected(url: String, reason: String) {
        let error = #expect(throws: ValidationError.self) {
            try validate(#"{"name": "svc", "url": "\#(url)"}"#)
        }
        #expect(error?.issues.first?.field == "url")
        #expect(error?.issues.first?.message.contains(reason) == true, "\(String(describing: error))")
    }

    @Test func wrongTypesNameTheField() {
        let error = #expect(throws: ValidationError.self) {
            try validate(#"{"name": "svc", "url": "http://h", "methods": "GET", "timeout": "soon", "disabled": 3}"#)
        }
        let fields = Set(error?.issues.compactMap(\.field) ?? [])
        #expect(fields == ["methods", "timeout", "disabled"])
    }

    @Test func nameIsRequiredAndChecked() {
        let missing = #expect(throws: ValidationError.self) { try validate(#"{"url": "http://h"}"#) }
        #expect(missing?.issues.first?.message == "is required")
        let bad = #expect(throws: ValidationError.self) { try validate(#"{"name": "a b\n", "url": "http://h"}"#) }
        #expect(bad?.issues.first?.field == "name")
    }

    @Test func healthCheckPathMustStayRelative() {
        for path in ["http://evil/x", "//evil/x", "/a/../../b"] {
            #expect(throws: ValidationError.self) {
                try validate(#"{"name": "svc", "url": "http://h", "health_check_path": "\#(path)"}"#)
            }
        }
    }

    @Test func versionsFollowTheSeedPattern() throws {
        for good in ["v1", "1", "1.2.3", "v2.0"] {
            #expect(try validate(#"{"name": "a", "url": "http://h", "version": "\#(good)"}"#).version == good)
        }
        for bad in ["V1", "1.x", "v", "1.", "v1\n"] {
            #expect(throws: ValidationError.self) {
                try validate(
                    #"{"name": "a", "url": "http://h", "version": "\#(bad.replacingOccurrences(of: "\n", with: "\\n"))"}"#
                )
            }
        }
    }

    @Test func garbageJSONIsAValidationError() {
        let error = #expect(throws: ValidationError.self) { try ConfigNode.parseJSON(Data("{nope".utf8)) }
        #expect(error?.description.contains("invalid JSON") == true)
    }
}
