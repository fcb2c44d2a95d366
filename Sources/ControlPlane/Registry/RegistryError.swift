/// Why a registry operation was refused; mapped to an HTTP status by the admin API.
package struct RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Kind: Sendable, Equatable {
        /// 404
        case notFound
        /// 400: the request conflicts with another endpoint (same name, other URL; URL taken).
        case conflict
        /// 409: the endpoint belongs to the config file.
        case ownedByFile
        /// 422: the request is not acceptable as it stands.
        case invalid
        /// 409: leader-only work asked of a control plane that follows.
        case notLeader
    }

    package let kind: Kind
    package let description: String

    package static func notFound(_ id: String) -> RegistryError {
        RegistryError(kind: .notFound, description: "Endpoint not found: \(id)")
    }

    package static func ownedByFile(_ id: String, path: String) -> RegistryError {
        RegistryError(
            kind: .ownedByFile,
            description: "Endpoint '\(id)' is defined in \(path); change it there (the file is watched)")
    }

    package static func conflict(_ message: String) -> RegistryError {
        RegistryError(kind: .conflict, description: message)
    }

    package static func invalid(_ message: String) -> RegistryError {
        RegistryError(kind: .invalid, description: message)
    }

    package static let notLeader = RegistryError(
        kind: .notLeader,
        description: "This control plane does not lead the cluster: the leader applies the config file")
}
