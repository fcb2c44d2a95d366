import Logging
import PostgresNIO

/// One connection to the shared database before anything else uses it, so that a control plane
/// that cannot use it says why: the server's own message (no such database, authentication
/// failed) at once, or after `patience` that nothing answers.
enum DatabaseProbe {
    /// Why the database cannot be used now, and whether waiting may help.
    struct Failure: Error, CustomStringConvertible {
        var description: String
        /// The server refused for a reason time does not change (authentication, database name).
        var permanent: Bool
    }

    /// Connects once and closes.
    static func check(_ location: DatabaseURL.PostgresLocation, logger: Logger) async throws(Failure) {
        do {
            let connection = try await TimeLimit.within(.seconds(10)) {
                try await PostgresConnection.connect(
                    configuration: try location.connectionConfiguration(), id: 0, logger: logger)
            }
            try? await connection.close()
        } catch let error as PSQLError {
            throw failure(error)
        } catch {
            throw Failure(description: "\(error)", permanent: false)
        }
    }

    /// The server's message when it sent one; class 28 (authorization) and 3D (no such
    /// database) and insufficient privilege are permanent.
    static func failure(_ error: PSQLError) -> Failure {
        guard let info = error.serverInfo, let message = info[.message] else {
            return Failure(description: "the database is not reachable (\(error.code))", permanent: false)
        }
        let state = info[.sqlState] ?? ""
        let permanent = state.hasPrefix("28") || state.hasPrefix("3D") || state == "42501"
        return Failure(description: "\(message) (SQLSTATE \(state))", permanent: permanent)
    }
}
