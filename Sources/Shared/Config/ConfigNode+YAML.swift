import Foundation
import Yams

extension ConfigNode {
    /// Parses a YAML document into a node tree. An empty document yields `nil`.
    ///
    /// - Throws: ``ValidationError`` with the line of a syntax error.
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
        return root.map(ConfigNode.init(yaml:))
    }

    init(yaml node: Node) {
        let line = node.mark?.line
        switch node {
        case .scalar(let scalar):
            self.init(Self.scalarValue(node, scalar: scalar), line: line)
        case .sequence(let sequence):
            self.init(.array(sequence.map(ConfigNode.init(yaml:))), line: line)
        case .mapping(let mapping):
            let members = mapping.map { key, value in
                ConfigMember(
                    key: key.string ?? String(describing: key.any),
                    keyLine: key.mark?.line,
                    value: ConfigNode(yaml: value)
                )
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
