import AdminAPI
import Foundation
import Shared

/// An answer that is not 2xx, turned into one line that says what happened and what to do
/// (exit 1). The body is the admin API's `{"detail": "..."}`, or for 422 a list of issues with
/// `field`, `msg` and `line`.
struct ServerRefusal {
    let status: Int
    /// The `detail` text, or every validation issue joined with `; `.
    let detail: String
    let issues: [ValidationIssue]

    init(status: Int, body: Data) {
        self.status = status
        if let decoded = try? JSONDecoder().decode(ErrorBody.self, from: body) {
            switch decoded.detail {
            case .message(let text):
                detail = text
                issues = []
            case .issues(let items):
                issues = ValidationIssue.inLineOrder(
                    items.map { ValidationIssue(field: $0.field ?? $0.loc.last, line: $0.line, message: $0.msg) })
                detail = issues.map(\.description).joined(separator: "; ")
            }
        } else {
            let text = String(decoding: body.prefix(200), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            detail = text.isEmpty ? "no details given" : text
            issues = []
        }
    }

    func error(action: String, url: String, token: AdminToken, notFoundHint: String?) -> OrchctlError {
        let head = "could not \(action) (\(status))"
        switch status {
        case 401:
            return .failure("the control plane at \(url) answered 401 (\(detail)): \(token.hint)")
        case 404:
            return .failure("\(head): \(detail)" + (notFoundHint.map { "; \($0)" } ?? ""))
        case 409:
            return .failure("\(head): \(detail)")
        case 422:
            return .failure("\(head): \(detail)")
        case 500...:
            return .failure("\(head): \(detail); the control plane's log says more")
        default:
            return .failure("\(head): \(detail)")
        }
    }
}
