import Foundation
import Shared

/// One stored endpoint: its config, who owns it, its operator status, and its seq (the
/// registration order, which snapshots follow).
package struct EndpointRecord: Sendable, Equatable {
    package var config: EndpointConfig
    package var owner: EndpointOwner
    package var status: AdminStatus
    package var registeredAt: String
    package var seq: Int

    package var name: String { config.name }

    /// The config as stored: its canonical JSON.
    var configJSON: String { String(decoding: Snapshot.canonicalJSON(config), as: UTF8.self) }

    static func all(_ db: any StoreTransaction) throws -> [EndpointRecord] {
        try db.allEndpoints()
    }

    static func find(_ db: any StoreTransaction, name: String) throws -> EndpointRecord? {
        try db.endpoint(named: name)
    }

    static func find(_ db: any StoreTransaction, url: String) throws -> EndpointRecord? {
        try db.endpoint(url: url)
    }

    static func nextSeq(_ db: any StoreTransaction) throws -> Int {
        (try db.highestEndpointSeq() ?? 0) + 1
    }

    init(config: EndpointConfig, owner: EndpointOwner, status: AdminStatus, registeredAt: String, seq: Int) {
        self.config = config
        self.owner = owner
        self.status = status
        self.registeredAt = registeredAt
        self.seq = seq
    }

    /// A record from its stored columns.
    init(configJSON: String, owner: String, status: String, registeredAt: String, seq: Int) throws {
        config = try JSONDecoder().decode(EndpointConfig.self, from: Data(configJSON.utf8))
        self.owner = EndpointOwner(rawValue: owner) ?? .api
        self.status = AdminStatus(rawValue: status) ?? .active
        self.registeredAt = registeredAt
        self.seq = seq
    }

    /// Inserts or replaces the row for this endpoint's name.
    func save(_ db: any StoreTransaction) throws {
        try db.save(self)
    }

    static func delete(_ db: any StoreTransaction, name: String) throws {
        try db.deleteEndpoint(named: name)
    }
}
