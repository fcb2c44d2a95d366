import Foundation
import Shared

/// The JSON body of an endpoint write: the endpoint's config as the admin API reads it.
enum EndpointBody {
    static func encode(_ config: EndpointConfig) throws(OrchctlError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(config)
        } catch {
            throw .usage("cannot encode endpoint '\(config.name)': \(error)")
        }
    }
}
