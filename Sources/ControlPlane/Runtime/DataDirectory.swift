import Foundation

/// The control plane's data directory (mode 0700): SQLite, token, socket, runtime file, caches.
/// Held with an exclusive lock so that two control planes never share one.
package final class DataDirectory: Sendable {
    package let path: String
    private let lockFD: Int32

    package init(path: String) throws {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        self.path = absolute
        do {
            try FileManager.default.createDirectory(
                atPath: absolute, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ControlPlaneError("cannot create data directory \(absolute): \(error.localizedDescription)")
        }
        chmod(absolute, 0o700)
        let lockPath = (absolute as NSString).appendingPathComponent("control-plane.lock")
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ControlPlaneError("cannot open \(lockPath): \(AtomicFile.errnoText())") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw ControlPlaneError("another orch-control-plane is already using \(absolute)")
        }
        lockFD = fd
    }

    package func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// The shortest admin token accepted: 16 characters, about 64 bits if they are random hex.
    package static let minimumTokenLength = 16

    /// The admin token: `ORCH_ADMIN_TOKEN` if set, else `admin.token`, generated (0600) when absent.
    ///
    /// - Throws: ``ControlPlaneError`` when the token given is shorter than
    ///   ``minimumTokenLength`` or holds spaces or control characters: it guards every admin
    ///   route, so a guessable one is refused at start rather than served.
    package func adminToken(environment: [String: String]) throws -> String {
        if let token = environment["ORCH_ADMIN_TOKEN"], !token.isEmpty {
            try Self.check(token, from: "ORCH_ADMIN_TOKEN")
            return token
        }
        let tokenPath = file("admin.token")
        if let existing = try? String(contentsOfFile: tokenPath, encoding: .utf8) {
            let token = existing.trimmingCharacters(in: .whitespacesAndNewlines)
            if !token.isEmpty {
                try Self.check(token, from: tokenPath)
                return token
            }
        }
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        try AtomicFile.write(Data((token + "\n").utf8), to: tokenPath, mode: 0o600)
        return token
    }

    static func check(_ token: String, from source: String) throws(ControlPlaneError) {
        guard token.count >= minimumTokenLength else {
            throw ControlPlaneError(
                "the admin token in \(source) is \(token.count) characters long; use at least \(minimumTokenLength) "
                    + "random ones (e.g. openssl rand -hex 32), or unset it to have one generated")
        }
        guard
            !token.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F })
        else {
            throw ControlPlaneError("the admin token in \(source) holds spaces or control characters")
        }
    }

    /// Writes `runtime.json`: where this control plane listens, for tests, scripts and orchctl
    /// (`proxy_tls_address` only with a TLS listener, `cluster_address` only with `--cluster-address`).
    package func writeRuntime(
        adminAddress: String, proxyAddress: String, proxyTLSAddress: String? = nil, controlSocket: String,
        clusterAddress: String? = nil
    ) throws {
        var runtime: [String: String] = [
            "admin_address": adminAddress, "proxy_address": proxyAddress, "control_socket": controlSocket,
            "started_at": ISO8601DateFormatter().string(from: Date()),
        ]
        runtime["proxy_tls_address"] = proxyTLSAddress
        runtime["cluster_address"] = clusterAddress
        var object: [String: Any] = runtime
        object["pid"] = Int(getpid())
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        try AtomicFile.write(data, to: file("runtime.json"))
    }

    package func removeRuntime() {
        unlink(file("runtime.json"))
    }

    deinit { close(lockFD) }
}
