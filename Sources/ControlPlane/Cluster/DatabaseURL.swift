import Foundation
import NIOSSL
import PostgresNIO

/// Where the store is (`--database` / `ORCH_DATABASE_URL`): `sqlite:PATH`, or
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=disable|prefer|require|verify-full]`.
package enum DatabaseURL: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// A PostgreSQL server and database, as the URL names them.
    package struct PostgresLocation: Sendable, Equatable {
        package var host: String
        package var port: Int
        package var user: String
        package var password: String?
        package var database: String
        /// `disable`, `prefer` (the default, as libpq's), `require` or `verify-full`.
        package var sslMode: String

        /// The client configuration postgres-nio takes. `require` encrypts without checking the
        /// server's certificate, as libpq does; `verify-full` checks it against the system trust
        /// store and the host name.
        package func configuration() -> PostgresClient.Configuration {
            let tls: PostgresClient.Configuration.TLS =
                switch tlsMode {
                case .disable: .disable
                case .prefer(let configuration): .prefer(configuration)
                case .require(let configuration): .require(configuration)
                }
            return PostgresClient.Configuration(
                host: host, port: port, username: user, password: password, database: database, tls: tls)
        }

        /// The same for one connection of its own (``DatabaseProbe``).
        package func connectionConfiguration() throws -> PostgresConnection.Configuration {
            let tls: PostgresConnection.Configuration.TLS =
                switch tlsMode {
                case .disable: .disable
                case .prefer(let configuration): .prefer(try NIOSSLContext(configuration: configuration))
                case .require(let configuration): .require(try NIOSSLContext(configuration: configuration))
                }
            return PostgresConnection.Configuration(
                host: host, port: port, username: user, password: password, database: database, tls: tls)
        }

        private enum TLSMode {
            case disable
            case prefer(TLSConfiguration)
            case require(TLSConfiguration)
        }

        private var tlsMode: TLSMode {
            let verified = TLSConfiguration.makeClientConfiguration()
            var unverified = verified
            unverified.certificateVerification = .none
            return switch sslMode {
            case "disable": .disable
            case "require": .require(unverified)
            case "verify-full": .require(verified)
            default: .prefer(unverified)
            }
        }
    }

    package static let sslModes: Set<String> = ["disable", "prefer", "require", "verify-full"]

    /// Parses a `--database` value.
    ///
    /// - Throws: ``DatabaseURLError`` saying what is wrong; never echoes the password.
    package init(parsing text: String) throws(DatabaseURLError) {
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else {
                throw DatabaseURLError(
                    "sqlite: needs a file path, as in sqlite:/var/lib/orchestrator/orchestrator.sqlite")
            }
            self = .sqlite(path: path)
            return
        }
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"),
            let components = URLComponents(string: text)
        else {
            throw DatabaseURLError("must be sqlite:PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DB")
        }
        guard let host = components.host, !host.isEmpty else { throw DatabaseURLError("postgres URL has no host") }
        guard let user = components.user, !user.isEmpty else { throw DatabaseURLError("postgres URL has no user") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw DatabaseURLError("postgres URL needs one database name after the host, as in /orchestrator")
        }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw DatabaseURLError("postgres URL port must be 1 to 65535") }
        var sslMode = "prefer"
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else {
                throw DatabaseURLError("postgres URL option '\(item.name)' is not supported (only sslmode)")
            }
            guard let value = item.value, Self.sslModes.contains(value) else {
                throw DatabaseURLError("sslmode must be one of disable, prefer, require, verify-full")
            }
            sslMode = value
        }
        self = .postgres(
            PostgresLocation(
                host: host, port: port, user: user.removingPercentEncoding ?? user,
                password: components.password.map { $0.removingPercentEncoding ?? $0 }, database: database,
                sslMode: sslMode))
    }
}

/// A `--database` value that cannot be used.
package struct DatabaseURLError: Error, Equatable, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
