#if canImport(Glibc)
    import Glibc
#endif

/// Why the proxy socket could not be opened or a replica could not be started.
package struct SupervisionError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Kind: Sendable, Equatable {
        case invalidAddress
        case socketFailed
        case executableNotFound
        case spawnFailed
    }

    private let kind: Kind
    /// One line an operator can act on.
    package let description: String

    private init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    /// `HOST:PORT` text that is not an address this process can listen on.
    package static func invalidAddress(_ text: String, _ reason: String) -> SupervisionError {
        SupervisionError(.invalidAddress, "invalid listen address '\(text)': \(reason)")
    }

    /// A socket call failed; `operation` names it (`bind`, `listen`, ...).
    static func socketFailed(_ operation: String, _ address: String, errno code: Int32) -> SupervisionError {
        SupervisionError(.socketFailed, "cannot \(operation) \(address): \(errorText(code))")
    }

    /// The data-plane executable is missing or not executable.
    static func executableNotFound(_ path: String) -> SupervisionError {
        SupervisionError(.executableNotFound, "data-plane executable not found or not executable: \(path)")
    }

    /// `posix_spawn` failed.
    static func spawnFailed(_ path: String, errno code: Int32) -> SupervisionError {
        SupervisionError(.spawnFailed, "cannot start \(path): \(errorText(code))")
    }

    /// Whether this is an ``invalidAddress(_:_:)`` error.
    package var isInvalidAddress: Bool { kind == .invalidAddress }

    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
