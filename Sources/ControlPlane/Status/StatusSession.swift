import Foundation

/// The status page's login cookie. Its value is a random secret drawn when the control plane
/// starts (never the admin token itself), so a restart logs every browser out.
package struct StatusSession: Sendable {
    package static let cookieName = "orch_status"
    let secret: String

    package init() {
        var generator = SystemRandomNumberGenerator()
        secret = (0..<32).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return String(byte, radix: 16).leftPadded(to: 2)
        }.joined()
    }

    /// The `Set-Cookie` value given after a successful login.
    var setCookie: String {
        "\(Self.cookieName)=\(secret); HttpOnly; SameSite=Strict; Path=/status"
    }

    /// Whether a `Cookie` header carries this session.
    func accepts(cookieHeader: String?) -> Bool {
        guard let cookieHeader else { return false }
        for pair in cookieHeader.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == Self.cookieName else { continue }
            if ConstantTime.equal(Array(parts[1].trimmingCharacters(in: .whitespaces).utf8), Array(secret.utf8)) {
                return true
            }
        }
        return false
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
