import Foundation
import Yams

extension ConfigNode {
    /// The most nodes a document may have once its aliases are expanded. A YAML alias repeats
    /// its anchor's whole subtree, so a few hundred bytes of nested aliases ("billion laughs")
    /// would otherwise expand to billions of nodes. An endpoint with every field and both
    /// policies set is about 60 (keys count), so this leaves room for 30,000 of them.
    public static let maximumNodes = 2_000_000
    /// The deepest nesting of lists and mappings accepted.
    public static let maximumDepth = 64

    /// Parses a YAML document into a node tree. An empty document yields `nil`.
    ///
    /// - Throws: ``ValidationError`` with the line of a syntax error, or when the document is
    ///   larger than ``maximumNodes`` nodes with its aliases expanded, or deeper than
    ///   ``maximumDepth``.
    public static func parseYAML(_ text: String) throws(ValidationError) -> ConfigNode? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ValidationError([ValidationIssue(field: nil, line: error.line, message: error.summary)])
        } catch {
            throw ValidationError([
                ValidationIssue(field: nil, line: nil, message: YamlError.oneLine("invalid YAML: \(error)"))
            ])
        }
        guard let root else { return nil }
        var budget = YAMLBudget(nodesLeft: maximumNodes, maximumDepth: maximumDepth)
        return try ConfigNode(yaml: root, depth: 0, budget: &budget)
    }

    private init(yaml node: Node, depth: Int, budget: inout YAMLBudget) throws(ValidationError) {
        let line = node.mark?.line
        try budget.spend(line: line, depth: depth)
        switch node {
        case .scalar(let scalar):
            self.init(Self.scalarValue(node, scalar: scalar), line: line)
        case .sequence(let sequence):
            var items: [ConfigNode] = []
            items.reserveCapacity(sequence.count)
            for item in sequence { items.append(try ConfigNode(yaml: item, depth: depth + 1, budget: &budget)) }
            self.init(.array(items), line: line)
        case .mapping(let mapping):
            var members: [ConfigMember] = []
            members.reserveCapacity(mapping.count)
            for (key, value) in mapping {
                try budget.spend(line: key.mark?.line, depth: depth + 1)
                members.append(
                    ConfigMember(
                        key: key.string ?? String(describing: key.any), keyLine: key.mark?.line,
                        value: try ConfigNode(yaml: value, depth: depth + 1, budget: &budget)))
            }
            self.init(.object(members), line: line)
        case .alias(let alias):
            self.init(.string(alias.anchor.rawValue), line: line)
        }
    }

    private static func scalarValue(_ node: Node, scalar: Node.Scalar) -> ConfigValue {
        switch Tag.Name(rawValue: node.tag.rawValue) {
        case .null: return .null
        case .bool: return node.bool.map(ConfigValue.bool) ?? .string(scalar.string)
        case .int: return node.int.map(ConfigValue.int) ?? .string(scalar.string)
        case .float: return node.float.map(ConfigValue.double) ?? .string(scalar.string)
        default: return .string(scalar.string)
        }
    }
}

/// What is left of a document's node and depth allowance while it is converted.
private struct YAMLBudget {
    var nodesLeft: Int
    let maximumDepth: Int

    mutating func spend(line: Int?, depth: Int) throws(ValidationError) {
        guard depth <= maximumDepth else {
            throw ValidationError([
                ValidationIssue(
                    field: nil, line: line,
                    message: "the document nests lists and mappings deeper than \(maximumDepth) levels")
            ])
        }
        nodesLeft -= 1
        guard nodesLeft >= 0 else {
            throw ValidationError([
                ValidationIssue(
                    field: nil, line: line,
                    message:
                        "the document has more than \(ConfigNode.maximumNodes) values once its aliases are expanded (nested aliases?)"
                )
            ])
        }
    }
}

extension YamlError {
    /// The 1-based line the parser stopped at, when it says.
    var line: Int? {
        switch self {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        case .duplicatedKeysInMapping(_, let context):
            return context.mark.line
        default:
            return nil
        }
    }

    /// A one-line description without the source snippet Yams appends (and without the line
    /// break Yams ends a context with): `invalid YAML: while scanning a simple key in line 3,
    /// column 1: could not find expected ':'`.
    var summary: String {
        switch self {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
            .composer(let context, let problem, _, _):
            let where_ = context.map { "\($0.text) in line \($0.mark.line), column \($0.mark.column): " } ?? ""
            return Self.oneLine("invalid YAML: " + where_ + problem)
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicate key " + duplicates.map { "'\($0)'" }.joined(separator: ", ")
        default:
            return Self.oneLine("invalid YAML: \(self)")
        }
    }

    /// `text` with every run of line breaks turned into one space.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .joined(separator: " ")
    }
}
