import Shared

/// What a control plane started with `--proxy-tls-address` checks before it binds anything: the
/// config file exists, is valid and has a `tls:` section whose files load (``TLSFileCheck``).
package enum TLSStartupCheck {
    /// - Throws: ``ControlPlaneError`` naming the config file (no usable `tls:` section) or the
    ///   certificate, key or CA file that does not load.
    package static func check(configPath path: String) throws(ControlPlaneError) {
        let text: String?
        do {
            text = try ConfigSource.read(path)
        } catch {
            throw ControlPlaneError(
                "--proxy-tls-address needs the tls: section of \(path), which cannot be read: \(error)")
        }
        guard let text else {
            throw ControlPlaneError(
                "--proxy-tls-address needs a tls: section (cert_file, key_file) in the config file \(path), which does not exist"
            )
        }
        let config: GatewayConfig
        do {
            config = try GatewayConfig.parse(yaml: text)
        } catch {
            throw ControlPlaneError("--proxy-tls-address needs a valid config file, and \(path) is not: \(error)")
        }
        guard config.tls != nil else {
            throw ControlPlaneError(
                "--proxy-tls-address needs a tls: section (cert_file, key_file) in the config file \(path), which has none"
            )
        }
        do {
            try TLSFileCheck.validate(config.tls, document: text)
        } catch {
            throw ControlPlaneError("--proxy-tls-address: the tls: section of \(path) cannot be served: \(error)")
        }
    }
}
