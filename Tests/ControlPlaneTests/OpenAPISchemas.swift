import Foundation
import Testing

@testable import ControlPlane

/// The JSON schemas of `Resources/openapi.json`, by location (see
/// ``AdminAPIContractTests/Location``), with `$ref`s resolved.
struct OpenAPISchemas {
    typealias Schema = [String: Any]

    let document: [String: Any]

    init(json: String? = nil) throws {
        let data = json.map { Data($0.utf8) } ?? Data(DocsRoutes.documentBytes)
        document = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    var components: [String: Schema] {
        ((document["components"] as? [String: Any])?["schemas"] as? [String: Schema]) ?? [:]
    }

    /// Every component schema, and every inline JSON schema of a request or response (one that is
    /// not just a `$ref` to a component).
    var locations: Set<String> {
        var locations = Set(components.keys.map { "#/components/schemas/\($0)" })
        for (location, schema) in operationSchemas where schema["$ref"] == nil {
            if let alternatives = schema["oneOf"] as? [Schema], alternatives.allSatisfy({ $0["$ref"] != nil }) {
                continue
            }
            locations.insert(location)
        }
        return locations
    }

    /// `METHOD /path STATUS` and `METHOD /path request` with their `application/json` schemas.
    var operationSchemas: [(String, Schema)] {
        var found: [(String, Schema)] = []
        for (path, item) in document["paths"] as? [String: [String: Any]] ?? [:] {
            for (method, value) in item {
                guard let operation = value as? [String: Any] else { continue }
                let name = "\(method.uppercased()) \(path)"
                if let schema = Self.jsonSchema(operation["requestBody"]) { found.append(("\(name) request", schema)) }
                for (status, response) in operation["responses"] as? [String: Any] ?? [:] {
                    if let schema = Self.jsonSchema(response) { found.append(("\(name) \(status)", schema)) }
                }
            }
        }
        return found
    }

    static func jsonSchema(_ body: Any?) -> Schema? {
        ((body as? [String: Any])?["content"] as? [String: Any])
            .flatMap { $0["application/json"] as? [String: Any] }?["schema"] as? Schema
    }

    func schema(at location: String) -> Schema? {
        let prefix = "#/components/schemas/"
        if location.hasPrefix(prefix) { return components[String(location.dropFirst(prefix.count))] }
        return operationSchemas.first { $0.0 == location }?.1
    }

    /// `schema` with its `$ref` followed.
    func resolved(_ schema: Schema) -> Schema {
        guard let reference = schema["$ref"] as? String, let target = self.schema(at: reference) else { return schema }
        return resolved(target)
    }

    /// The properties and required names of an object schema, `allOf` parts merged in.
    func object(_ schema: Schema) -> (properties: [String: Schema], required: Set<String>) {
        let schema = resolved(schema)
        var properties = schema["properties"] as? [String: Schema] ?? [:]
        var required = Set(schema["required"] as? [String] ?? [])
        for part in schema["allOf"] as? [Schema] ?? [] {
            let merged = object(part)
            properties.merge(merged.properties) { first, _ in first }
            required.formUnion(merged.required)
        }
        return (properties, required)
    }

    /// Whether the schema, or an `allOf` part of it, says `nullable`.
    func isNullable(_ schema: Schema) -> Bool {
        if schema["nullable"] as? Bool == true { return true }
        return (resolved(schema)["nullable"] as? Bool) == true
    }

    /// The alternatives of a `oneOf` or `anyOf`, if the schema is one.
    func alternatives(_ schema: Schema) -> [Schema]? {
        let schema = resolved(schema)
        return (schema["oneOf"] ?? schema["anyOf"]) as? [Schema]
    }

    /// Every property the schema documents, as dotted paths (`[]` for an array's items):
    /// `dataplanes[].last_nack.version`.
    func propertyPaths(of schema: Schema, prefix: String = "", depth: Int = 0) -> Set<String> {
        guard depth < 16 else { return [] }
        if let alternatives = alternatives(schema) {
            return alternatives.reduce(into: []) {
                $0.formUnion(propertyPaths(of: $1, prefix: prefix, depth: depth + 1))
            }
        }
        let resolved = resolved(schema)
        if let items = resolved["items"] as? Schema {
            return propertyPaths(of: items, prefix: prefix + "[]", depth: depth + 1)
        }
        var paths: Set<String> = []
        for (name, property) in object(schema).properties {
            let path = prefix.isEmpty ? name : "\(prefix).\(name)"
            paths.insert(path)
            paths.formUnion(propertyPaths(of: property, prefix: path, depth: depth + 1))
        }
        return paths
    }
}

/// Compares one encoded value with a schema, collecting what disagrees and every property path
/// the value sends.
struct SchemaCheck {
    let document: OpenAPISchemas
    var problems: [String] = []
    var sent: Set<String> = []

    mutating func compare(_ value: Any, with schema: OpenAPISchemas.Schema, at path: String) {
        let place = path.isEmpty ? "the body" : "`\(path)`"
        if value is NSNull {
            if !document.isNullable(schema) {
                problems.append("\(place) is null, but the document does not say nullable")
            }
            return
        }
        if let alternatives = document.alternatives(schema) {
            var best: SchemaCheck?
            for alternative in alternatives {
                var attempt = SchemaCheck(document: document)
                attempt.compare(value, with: alternative, at: path)
                if best == nil || attempt.problems.count < best!.problems.count { best = attempt }
            }
            if let best {
                problems += best.problems
                sent.formUnion(best.sent)
            }
            return
        }
        let resolved = document.resolved(schema)
        if let object = value as? [String: Any] {
            let (properties, required) = document.object(schema)
            // A map (`additionalProperties`) or a free-form object: its keys are data, not fields.
            guard !properties.isEmpty else { return }
            for (key, member) in object {
                let memberPath = path.isEmpty ? key : "\(path).\(key)"
                guard let property = properties[key] else {
                    problems.append("\(place) sends `\(key)`, which the document does not describe")
                    continue
                }
                sent.insert(Self.propertyPath(memberPath))
                compare(member, with: property, at: memberPath)
            }
            for key in required.subtracting(object.keys).sorted() {
                problems.append("\(place) leaves out `\(key)`, which the document requires")
            }
        } else if let array = value as? [Any] {
            guard let items = resolved["items"] as? OpenAPISchemas.Schema else {
                problems.append("\(place) is an array, but the document says \(resolved["type"] ?? "nothing")")
                return
            }
            for (index, element) in array.enumerated() { compare(element, with: items, at: "\(path)[\(index)]") }
        } else if let type = resolved["type"] as? String {
            let matches: Bool
            switch type {
            case "string": matches = value is String
            case "integer", "number", "boolean": matches = !(value is String)
            default: matches = false
            }
            if !matches { problems.append("\(place) is \(value), but the document says \(type)") }
            if let options = resolved["enum"] as? [String], let text = value as? String, !options.contains(text) {
                problems.append("\(place) is \(text), not one of the document's \(options)")
            }
        }
    }

    /// `a[0].b` → `a[].b`, the form ``OpenAPISchemas/propertyPaths(of:prefix:depth:)`` uses.
    static func propertyPath(_ path: String) -> String {
        path.replacing(/\[[0-9]+\]/, with: "[]")
    }
}
