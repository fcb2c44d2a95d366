/// The bearer token sent to the admin API, with where it was found, so that a 401 can say which
/// token was refused and where a right one comes from.
struct AdminToken: Sendable {
    enum Source: Sendable, Equatable {
        case option
        case environment
        case file(String)
        /// No token was given and the token file does not exist (or is empty or unreadable).
        case missingFile(String)
    }

    let value: String?
    let source: Source

    /// How to get a working token, for the 401 message.
    var hint: String {
        let lookedAt: String
        switch source {
        case .option: lookedAt = "the token given with --token was refused"
        case .environment: lookedAt = "the token in ORCH_ADMIN_TOKEN was refused"
        case .file(let path): lookedAt = "the token in \(path) was refused"
        case .missingFile(let path): lookedAt = "no token was sent (\(path) not found)"
        }
        return lookedAt
            + "; pass --token TOKEN, set ORCH_ADMIN_TOKEN, or run where the control plane keeps data/admin.token"
            + " (--data-dir DIR to point elsewhere)"
    }
}
