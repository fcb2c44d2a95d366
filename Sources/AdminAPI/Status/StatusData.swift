/// What `GET /status/data` answers and the status page shows.
package struct StatusData: Codable, Sendable, Equatable {
    /// One connected or remembered replica.
    package struct Replica: Codable, Sendable, Equatable {
        package var replicaId: String
        package var pid: Int
        package var connected: Bool
        @NullEncoded package var ackedVersion: Int?
        package var behind: Bool
        package var draining: Bool
        package var lastContact: String
        @NullEncoded package var lastReportAgeSeconds: Double?

        package init(
            replicaId: String, pid: Int, connected: Bool, ackedVersion: Int? = nil, behind: Bool, draining: Bool,
            lastContact: String, lastReportAgeSeconds: Double? = nil
        ) {
            self.replicaId = replicaId
            self.pid = pid
            self.connected = connected
            self.ackedVersion = ackedVersion
            self.behind = behind
            self.draining = draining
            self.lastContact = lastContact
            self.lastReportAgeSeconds = lastReportAgeSeconds
        }

        enum CodingKeys: String, CodingKey {
            case replicaId = "replica_id"
            case pid
            case connected
            case ackedVersion = "acked_version"
            case behind
            case draining
            case lastContact = "last_contact"
            case lastReportAgeSeconds = "last_report_age_seconds"
        }
    }

    /// An endpoint's traffic over the window.
    package struct Traffic: Codable, Sendable, Equatable {
        package var requests: Int
        package var requestsPerSecond: Double
        @NullEncoded package var errorRate: Double?
        @NullEncoded package var p99Seconds: Double?

        package init(requests: Int, requestsPerSecond: Double, errorRate: Double? = nil, p99Seconds: Double? = nil) {
            self.requests = requests
            self.requestsPerSecond = requestsPerSecond
            self.errorRate = errorRate
            self.p99Seconds = p99Seconds
        }

        enum CodingKeys: String, CodingKey {
            case requests
            case requestsPerSecond = "requests_per_second"
            case errorRate = "error_rate"
            case p99Seconds = "p99_seconds"
        }
    }

    /// One endpoint with its breaker and traffic.
    package struct Endpoint: Codable, Sendable, Equatable {
        package var name: String
        package var status: String
        package var health: String
        package var breaker: String
        package var openIn: [String]
        /// `null` until a replica reports traffic for the window.
        @NullEncoded package var traffic: Traffic?

        package init(
            name: String, status: String, health: String, breaker: String, openIn: [String], traffic: Traffic? = nil
        ) {
            self.name = name
            self.status = status
            self.health = health
            self.breaker = breaker
            self.openIn = openIn
            self.traffic = traffic
        }

        enum CodingKeys: String, CodingKey {
            case name
            case status
            case health
            case breaker
            case openIn = "open_in"
            case traffic
        }
    }

    /// The config file and its last reload.
    package struct Config: Codable, Sendable, Equatable {
        package var path: String
        package var loaded: Bool
        @NullEncoded package var lastReloadTime: String?
        package var ok: Bool
        @NullEncoded package var error: String?
        /// What replicas serve differs from the file (after a rollback): how, in one line.
        @NullEncoded package var drift: String?

        package init(
            path: String, loaded: Bool, lastReloadTime: String? = nil, ok: Bool, error: String? = nil,
            drift: String? = nil
        ) {
            self.path = path
            self.loaded = loaded
            self.lastReloadTime = lastReloadTime
            self.ok = ok
            self.error = error
            self.drift = drift
        }

        enum CodingKeys: String, CodingKey {
            case path
            case loaded
            case lastReloadTime = "last_reload_time"
            case ok
            case error
            case drift
        }
    }

    package var generatedAt: String
    package var currentVersion: Int
    package var windowSeconds: Double
    package var replicas: [Replica]
    package var endpoints: [Endpoint]
    package var config: Config

    package init(
        generatedAt: String, currentVersion: Int, windowSeconds: Double, replicas: [Replica], endpoints: [Endpoint],
        config: Config
    ) {
        self.generatedAt = generatedAt
        self.currentVersion = currentVersion
        self.windowSeconds = windowSeconds
        self.replicas = replicas
        self.endpoints = endpoints
        self.config = config
    }

    enum CodingKeys: String, CodingKey {
        case generatedAt = "generated_at"
        case currentVersion = "current_version"
        case windowSeconds = "window_seconds"
        case replicas
        case endpoints
        case config
    }
}
