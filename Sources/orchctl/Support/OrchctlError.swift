/// An error `orchctl` reports as one line on stderr (`orchctl: ...`) before exiting with its
/// status. The message says what happened and what to do about it.
struct OrchctlError: Error, CustomStringConvertible {
    let status: ExitStatus
    let message: String

    init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    var description: String { message }

    /// A mistake on the command line or in a local input file (exit 2).
    static func usage(_ message: String) -> OrchctlError {
        OrchctlError(.usage, message)
    }

    /// A refusal or failure the control plane reported (exit 1).
    static func failure(_ message: String) -> OrchctlError {
        OrchctlError(.failure, message)
    }
}
