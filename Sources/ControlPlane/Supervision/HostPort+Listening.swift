import Shared

extension HostPort {
    /// Parses `HOST:PORT` for a socket the control plane binds itself: the host must be an IPv4
    /// or IPv6 literal, or `localhost` (which means `127.0.0.1`); names are not looked up.
    ///
    /// - Throws: ``SupervisionError`` saying what is wrong with the text.
    package init(listening text: String) throws(SupervisionError) {
        let address: HostPort
        do {
            address = try HostPort(parsing: text, kind: "listen address")
        } catch {
            throw .invalidAddress(text, error.reason)
        }
        let host = address.host.lowercased() == "localhost" ? "127.0.0.1" : address.host
        self.init(host: host, port: address.port)
        guard isNumeric else { throw .invalidAddress(text, "host must be an IPv4 or IPv6 literal or localhost") }
    }
}
