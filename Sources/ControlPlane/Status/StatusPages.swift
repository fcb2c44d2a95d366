import Foundation
import Hummingbird

/// The HTML of the status page and its login form (compiled in from `Resources/`).
enum StatusPages {
    static let page = String(decoding: PackageResources.status_html, as: UTF8.self)
    static let loginTemplate = String(decoding: PackageResources.status_login_html, as: UTF8.self)

    /// 401 with the login form, and `message` above it when the last attempt failed.
    static func login(message: String?, status: HTTPResponse.Status = .unauthorized) -> Response {
        let note = message.map { "<p class=\"error\">\(escape($0))</p>" } ?? ""
        return html(loginTemplate.replacingOccurrences(of: "<!--MESSAGE-->", with: note), status: status)
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
