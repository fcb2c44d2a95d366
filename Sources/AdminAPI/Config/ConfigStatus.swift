import Shared

/// `GET /config/status`: the watched file, its last reload, and what the replicas apply.
package struct ConfigStatus: Codable, Sendable, Equatable {
    package var loaded: Bool
    /// The loaded file's hash.
    @NullEncoded package var version: String?
    package var configPath: String
    package var endpointsCount: Int
    @NullEncoded package var lastReloadError: String?
    package var lastReloadErrors: [ValidationIssue]
    @NullEncoded package var lastReloadTime: String?
    package var watching: Bool
    /// How the serving state differs from the loaded file (after a rollback), `null` before
    /// the file was ever applied.
    @NullEncoded package var drift: ConfigDrift?
    /// The limits the replicas apply: the current snapshot's (the file's `proxy:` section as
    /// last applied, or a rolled-back snapshot's).
    package var proxy: ProxyLimits
    /// The TLS listener and the certificates the replicas serve (the current snapshot's).
    package var tls: TLSStatus

    package init(
        loaded: Bool, version: String? = nil, configPath: String, endpointsCount: Int, lastReloadError: String? = nil,
        lastReloadErrors: [ValidationIssue], lastReloadTime: String? = nil, watching: Bool, drift: ConfigDrift? = nil,
        proxy: ProxyLimits, tls: TLSStatus
    ) {
        self.loaded = loaded
        self.version = version
        self.configPath = configPath
        self.endpointsCount = endpointsCount
        self.lastReloadError = lastReloadError
        self.lastReloadErrors = lastReloadErrors
        self.lastReloadTime = lastReloadTime
        self.watching = watching
        self.drift = drift
        self.proxy = proxy
        self.tls = tls
    }

    enum CodingKeys: String, CodingKey {
        case loaded
        case version
        case configPath = "config_path"
        case endpointsCount = "endpoints_count"
        case lastReloadError = "last_reload_error"
        case lastReloadErrors = "last_reload_errors"
        case lastReloadTime = "last_reload_time"
        case watching
        case drift
        case proxy
        case tls
    }
}
