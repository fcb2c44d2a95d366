/// The listening sockets a supervised replica inherits, named as in `LISTEN_FDNAMES` and in
/// descriptor order (the plaintext proxy socket is fd 3, the TLS one fd 4), and the byte that
/// names each in a listener hand-over (``ControlPlaneMessage/sendListener(path:)``).
public enum InheritedListener: String, Sendable, Equatable, CaseIterable {
    /// The plaintext HTTP listener.
    case proxy = "proxy"
    /// The TLS listener (`--proxy-tls-address`).
    case proxyTLS = "proxy-tls"

    /// The byte sent with this listener's descriptor: `L` (what replicas have always sent for the
    /// only socket they had) and `T`.
    public var handOverMarker: UInt8 {
        switch self {
        case .proxy: UInt8(ascii: "L")
        case .proxyTLS: UInt8(ascii: "T")
        }
    }

    /// The listener a hand-over byte names, `nil` for an unknown byte.
    public init?(handOverMarker: UInt8) {
        guard let listener = Self.allCases.first(where: { $0.handOverMarker == handOverMarker }) else { return nil }
        self = listener
    }

    /// `LISTEN_FDNAMES` for these listeners, in this order: `proxy` or `proxy:proxy-tls`.
    public static func fileDescriptorNames(_ listeners: [InheritedListener]) -> String {
        listeners.map(\.rawValue).joined(separator: ":")
    }
}
