import AdminAPI
import Shared

/// A change to many API-owned endpoints at once, checked against the stored ones before anything
/// is written: upserts (create or replace, URL included), removals by name, and with `prune` the
/// removal of every API-owned endpoint the upserts do not name.
///
/// Checking is one pass over the stored endpoints and one over the change, with lookups by name
/// and URL, so a change of 10,000 endpoints is planned as fast as one of 10.
package struct EndpointBatch: Sendable, Equatable {
    package var upserts: [EndpointConfig]
    package var removals: [String]
    package var prune: Bool

    package init(upserts: [EndpointConfig], removals: [String] = [], prune: Bool = false) {
        self.upserts = upserts
        self.removals = removals
        self.prune = prune
    }

    /// What applying the batch to `existing` does, or why it is refused. Names of file-owned
    /// endpoints (by name or URL) are refused with ``RegistryError/Kind/ownedByFile``; a removal of
    /// an unknown endpoint with ``RegistryError/Kind/notFound``; a URL another endpoint keeps with
    /// ``RegistryError/Kind/conflict``. `unchanged` lists upserts equal to what is stored.
    package func plan(_ existing: [EndpointRecord], configPath: String) throws(RegistryError) -> ImportResult {
        var byName: [String: EndpointRecord] = [:]
        var byURL: [String: EndpointRecord] = [:]
        for record in existing {
            byName[record.name] = record
            byURL[record.config.url] = record
        }
        var upserted = Set<String>()
        var claimed = Set<String>()
        for endpoint in upserts {
            guard upserted.insert(endpoint.name).inserted else {
                throw .invalid("'\(endpoint.name)' is upserted twice in one batch")
            }
            guard claimed.insert(endpoint.url).inserted else {
                throw .invalid("URL '\(endpoint.url)' is given to two endpoints in one batch")
            }
        }
        var removed = Set<String>()
        for name in removals {
            guard let record = byName[name] else { throw .notFound(name) }
            guard record.owner == .api else { throw .ownedByFile(name, path: configPath) }
            guard !upserted.contains(name) else {
                throw .invalid("'\(name)' is both upserted and removed in one batch")
            }
            removed.insert(name)
        }
        if prune {
            for record in existing where record.owner == .api && !upserted.contains(record.name) {
                removed.insert(record.name)
            }
        }
        var result = ImportResult()
        for endpoint in upserts {
            if let stored = byName[endpoint.name], stored.owner == .file {
                throw .ownedByFile(stored.name, path: configPath)
            }
            // Another endpoint's URL is free only when this change removes that endpoint.
            if let other = byURL[endpoint.url], other.name != endpoint.name {
                if other.owner == .file { throw .ownedByFile(other.name, path: configPath) }
                if !removed.contains(other.name) {
                    throw .conflict("URL '\(endpoint.url)' already registered with different ID '\(other.name)'")
                }
            }
            if let stored = byName[endpoint.name] {
                if stored.config == endpoint {
                    result.unchanged.append(endpoint.name)
                } else {
                    result.updated.append(endpoint.name)
                }
            } else {
                result.added.append(endpoint.name)
            }
        }
        result.removed = removed.sorted()
        return result
    }
}
