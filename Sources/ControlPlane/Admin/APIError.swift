import AdminAPI
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
        let body = JSONBody.encode(self.body)
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// What the answer's body says.
    var body: ErrorBody {
        if issues.isEmpty { return ErrorBody(detail: .message(detail)) }
        return ErrorBody(
            detail: .issues(
                issues.map { issue in
                    ValidationDetail(
                        loc: location + (issue.field.map { [$0] } ?? []), msg: issue.message, field: issue.field,
                        line: issue.line)
                }))
    }
}
