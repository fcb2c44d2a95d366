import Foundation

/// Collects issues while a node tree is read into typed models, so that one pass reports every
/// problem rather than the first.
package final class ValidationContext {
    package private(set) var issues: [ValidationIssue] = []

    package init() {}

    package func fail(_ field: String?, _ line: Int?, _ message: String) {
        issues.append(ValidationIssue(field: field, line: line, message: message))
    }

    /// Throws the collected issues, if any.
    package func check() throws(ValidationError) {
        if !issues.isEmpty { throw ValidationError(issues) }
    }
}

/// The members of one mapping, read with checks: unknown and duplicate keys are reported once,
/// and each typed accessor reports a wrong type or range against the field's path and line.
package struct ObjectReader {
    package let path: String
    package let line: Int?
    private let members: [String: ConfigNode]
    private let context: ValidationContext

    /// Reads `node` as a mapping. Reports and returns `nil` when it is not one.
    package init?(_ node: ConfigNode, path: String, allowedKeys: Set<String>, context: ValidationContext) {
        guard case .object(let list) = node.value else {
            context.fail(path.isEmpty ? nil : path, node.line, "must be a mapping, not \(node.value.typeName)")
            return nil
        }
        var members: [String: ConfigNode] = [:]
        for member in list {
            let field = Self.join(path, member.key)
            if !allowedKeys.contains(member.key) {
                let known = allowedKeys.sorted().joined(separator: ", ")
                context.fail(field, member.keyLine ?? member.value.line, "unknown key (allowed: \(known))")
            } else if members[member.key] != nil {
                context.fail(field, member.keyLine ?? member.value.line, "duplicate key")
            } else {
                members[member.key] = member.value
            }
        }
        self.path = path
        self.line = node.line
        self.members = members
        self.context = context
    }

    static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : path + "." + key
    }

    package func field(_ key: String) -> String { Self.join(path, key) }

    /// The raw node of a key, or `nil` when absent or `null`.
    package func node(_ key: String) -> ConfigNode? {
        guard let node = members[key], node.value != .null else { return nil }
        return node
    }

    package func has(_ key: String) -> Bool { node(key) != nil }

    package func fail(_ key: String, _ message: String) {
        context.fail(field(key), node(key)?.line ?? members[key]?.line ?? line, message)
    }

    package func requireMissing(_ key: String) {
        context.fail(field(key), line, "is required")
    }

    package func string(_ key: String) -> String? {
        guard let node = node(key) else { return nil }
        switch node.value {
        case .string(let text): return text
        case .int(let number): return String(number)
        case .double(let number): return String(number)
        default:
            fail(key, "must be a string, not \(node.value.typeName)")
            return nil
        }
    }

    /// Accepts booleans and the usual spellings (`true/false`, `yes/no`, `on/off`, `1/0`).
    package func bool(_ key: String) -> Bool? {
        guard let node = node(key) else { return nil }
        switch node.value {
        case .bool(let flag): return flag
        case .int(1): return true
        case .int(0): return false
        case .string(let text):
            switch text.lowercased() {
            case "true", "yes", "on", "1": return true
            case "false", "no", "off", "0": return false
            default: break
            }
        default: break
        }
        fail(key, "must be true or false, not \(node.value.typeName)")
        return nil
    }

    /// Accepts whole numbers, also written as strings (`"30"`); rejects fractions.
    package func integer(_ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let node = node(key) else { return nil }
        let number: Int?
        switch node.value {
        case .int(let value): number = value
        case .double(let value) where value.rounded() == value && abs(value) < 1e15: number = Int(value)
        case .string(let text): number = Int(text.trimmingCharacters(in: .whitespaces))
        default: number = nil
        }
        guard let number else {
            fail(key, "must be a whole number, not \(describe(node.value))")
            return nil
        }
        guard range.contains(number) else {
            fail(key, "must be between \(range.lowerBound) and \(range.upperBound), not \(number)")
            return nil
        }
        return number
    }

    /// Accepts any number (seconds may be fractional), also written as a string.
    package func number(_ key: String, in range: ClosedRange<Double>) -> Double? {
        guard let node = node(key) else { return nil }
        let number: Double?
        switch node.value {
        case .int(let value): number = Double(value)
        case .double(let value): number = value
        case .string(let text): number = Double(text.trimmingCharacters(in: .whitespaces))
        default: number = nil
        }
        guard let number, number.isFinite else {
            fail(key, "must be a number, not \(describe(node.value))")
            return nil
        }
        guard range.contains(number) else {
            fail(
                key,
                "must be between \(range.lowerBound.compact) and \(range.upperBound.compact), not \(number.compact)")
            return nil
        }
        return number
    }

    /// A number above zero and at most `upper` (a duration: `0.5` is fine, `0` is not).
    package func positiveNumber(_ key: String, atMost upper: Double) -> Double? {
        guard let number = number(key, in: -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) else {
            return nil
        }
        guard number > 0, number <= upper else {
            fail(key, "must be greater than 0 and at most \(upper.compact), not \(number.compact)")
            return nil
        }
        return number
    }

    /// A list whose elements are read by `element`; reports a non-list.
    package func list<T>(_ key: String, _ element: (ConfigNode, String) -> T?) -> [T]? {
        guard let node = node(key) else { return nil }
        guard case .array(let items) = node.value else {
            fail(key, "must be a list, not \(node.value.typeName)")
            return nil
        }
        var result: [T] = []
        var ok = true
        for (index, item) in items.enumerated() {
            if let value = element(item, "\(field(key))[\(index)]") { result.append(value) } else { ok = false }
        }
        return ok ? result : nil
    }

    /// A nested mapping.
    package func object(_ key: String, allowedKeys: Set<String>) -> ObjectReader? {
        guard let node = node(key) else { return nil }
        return ObjectReader(node, path: field(key), allowedKeys: allowedKeys, context: context)
    }

    package var validationContext: ValidationContext { context }

    private func describe(_ value: ConfigValue) -> String {
        switch value {
        case .string(let text): "'\(text.prefix(40))'"
        case .double(let number): number.compact
        default: value.typeName
        }
    }
}

extension Double {
    /// `60` rather than `60.0`, `0.5` as is.
    package var compact: String {
        rounded() == self && abs(self) < 1e15 ? String(Int(self)) : String(self)
    }
}
