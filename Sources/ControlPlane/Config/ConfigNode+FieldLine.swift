import Shared

extension ConfigNode {
    /// The line of the field at a dotted path as validation issues name it (`tls.cert_file`,
    /// `tls.certificates[1].key_file`): the line of its value, else of its key; `nil` when the
    /// document has no such field or no lines (JSON).
    func line(ofField path: String) -> Int? {
        var node = self
        var keyLine: Int?
        for part in path.split(separator: ".") {
            var name = Substring(part)
            var indices: [Int] = []
            while name.hasSuffix("]"), let open = name.lastIndex(of: "["),
                let index = Int(name[name.index(after: open)...].dropLast())
            {
                indices.insert(index, at: 0)
                name = name[..<open]
            }
            guard case .object(let members) = node.value, let member = members.last(where: { $0.key == name })
            else { return nil }
            node = member.value
            keyLine = member.keyLine
            for index in indices {
                guard case .array(let items) = node.value, items.indices.contains(index) else { return nil }
                node = items[index]
                keyLine = nil
            }
        }
        return node.line ?? keyLine
    }
}
