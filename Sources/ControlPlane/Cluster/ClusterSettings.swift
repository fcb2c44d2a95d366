import Shared

/// Where and how the control plane listens for remote data planes (`--cluster-*`): mutual TLS,
/// with client certificates signed by ``caFile``.
package struct ClusterSettings: Sendable, Equatable {
    package var address: HostPort
    /// This control plane's certificate (maybe followed by its chain), PEM.
    package var certFile: String
    package var keyFile: String
    /// The cluster CA: the only root a data plane's certificate may chain to.
    package var caFile: String
    /// Certificate names accepted (subject common name or a DNS subject alternative name);
    /// `nil` accepts every certificate the CA signed.
    package var allowedNames: Set<String>?

    package init(address: HostPort, certFile: String, keyFile: String, caFile: String, allowedNames: Set<String>? = nil)
    {
        self.address = address
        self.certFile = certFile
        self.keyFile = keyFile
        self.caFile = caFile
        self.allowedNames = allowedNames
    }

    /// `NAME[,NAME...]` as a set, blanks dropped; `nil` for no names at all.
    package static func names(_ text: String?) -> Set<String>? {
        guard let text else { return nil }
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return names.isEmpty ? nil : Set(names)
    }
}
