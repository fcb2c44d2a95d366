import Foundation
import Hummingbird
import Shared

/// An error answered as `{"detail": ...}` (the original's error shape), with validation issues
/// as a list under `detail` for 422, in the FastAPI style the original used.
package struct APIError: HTTPResponseError {
    package let status: HTTPResponse.Status
    let detail: String
    let issues: [ValidationIssue]
    let headers: HTTPFields

    package init(_ status: HTTPResponse.Status, _ detail: String, headers: HTTPFields = [:]) {
        self.status = status
        self.detail = detail
        self.issues = []
        self.headers = headers
    }

    /// 422 naming each bad field.
    package init(validation error: ValidationError, location: [String] = ["body"]) {
        self.status = .unprocessableContent
        self.detail = error.description
        self.issues = error.issues
        self.headers = [:]
        self.location = location
    }

    private var location: [String] = ["body"]

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        let body: Data
        if issues.isEmpty {
            body = JSONBody.encode(["detail": detail])
        } else {
            let items = issues.map { issue in
                ValidationDetail(
                    type: "value_error", loc: location + (issue.field.map { [$0] } ?? []), msg: issue.message,
                    field: issue.field, line: issue.line)
            }
            body = JSONBody.encode(ValidationBody(detail: items))
        }
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Maps a registry refusal to its status.
    package init(_ error: RegistryError) {
        switch error.kind {
        case .notFound: self.init(.notFound, error.description)
        case .conflict: self.init(.badRequest, error.description)
        case .ownedByFile: self.init(.conflict, error.description)
        case .invalid: self.init(.unprocessableContent, error.description)
        }
    }
}

private struct ValidationDetail: Encodable {
    var type: String
    var loc: [String]
    var msg: String
    var field: String?
    var line: Int?
}

private struct ValidationBody: Encodable {
    var detail: [ValidationDetail]
}
