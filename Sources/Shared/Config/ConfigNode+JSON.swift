import Foundation

extension ConfigNode {
    /// Parses a JSON document into a node tree (JSON carries no line numbers), with
    /// ``JSONTreeParser``.
    ///
    /// - Throws: ``ValidationError`` describing where the JSON is malformed.
    public static func parseJSON(_ data: Data) throws(ValidationError) -> ConfigNode {
        let parsed = data.withUnsafeBytes { bytes in
            Result { () throws(JSONTreeParser.Failure) in try JSONTreeParser.parse(bytes) }
        }
        switch parsed {
        case .success(let value): return ConfigNode(value)
        case .failure(let failure):
            throw ValidationError([ValidationIssue(field: nil, line: nil, message: "invalid JSON: \(failure)")])
        }
    }
}
