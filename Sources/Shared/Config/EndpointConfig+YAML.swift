import Foundation
import Yams

extension EndpointConfig {
    /// A config-file document (`endpoints:` only) holding `endpoints`, keys in the order the
    /// configuration guide lists them: what `orchctl endpoint export` writes and `import` reads.
    public static func yamlDocument(_ endpoints: [EndpointConfig], comment: String? = nil) throws -> String {
        let items = try endpoints.map { endpoint -> Node in
            let tree = try ConfigNode.parseJSON(JSONEncoder().encode(endpoint))
            return node(tree.value, order: CodingKeys.allCases.map(\.rawValue))
        }
        let document = Node.mapping(Node.Mapping([(Node("endpoints"), Node.sequence(Node.Sequence(items)))]))
        let text = try Yams.serialize(node: document, sortKeys: false)
        return (comment.map { "# \($0)\n" } ?? "") + (endpoints.isEmpty ? "endpoints: []\n" : text)
    }

    /// A YAML node of a parsed JSON value; mapping keys in `order` first, then the rest in
    /// document order; `null` values left out.
    private static func node(_ value: ConfigValue, order: [String] = []) -> Node {
        switch value {
        case .object(let members):
            let sorted = members.sorted { left, right in
                (order.firstIndex(of: left.key) ?? order.count) < (order.firstIndex(of: right.key) ?? order.count)
            }
            let pairs = sorted.compactMap { member -> (Node, Node)? in
                if case .null = member.value.value { return nil }
                return (Node(member.key), node(member.value.value))
            }
            return .mapping(Node.Mapping(pairs))
        case .array(let items):
            return .sequence(Node.Sequence(items.map { node($0.value) }))
        case .bool(let flag):
            return Node(flag ? "true" : "false", Tag(.bool))
        case .int(let number):
            return Node(String(number), Tag(.int))
        case .double(let number):
            return Node(String(number), Tag(.float))
        case .string(let text):
            // Plain `0`, `true`, `null` or `1e3` would read back as another type.
            let readsAsString = Resolver.default.resolveTag(of: Node(text)) == .str
            return Node(text, Tag(.str), readsAsString ? .any : .doubleQuoted)
        case .null:
            return Node("null", Tag(.null))
        }
    }
}
