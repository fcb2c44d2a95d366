/// One problem found in a document: which field, on which line, and what is wrong.
public struct ValidationIssue: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Dotted path of the field (`endpoints[1].url`), or `nil` for the document as a whole.
    public var field: String?
    /// 1-based line in the YAML document, when known.
    public var line: Int?
    /// What is wrong, in words an operator can act on.
    public var message: String

    public init(field: String?, line: Int?, message: String) {
        self.field = field
        self.line = line
        self.message = message
    }

    /// `endpoints[1].url (line 7): must be an absolute http or https URL`.
    public var description: String {
        var text = field ?? "document"
        if let line { text += " (line \(line))" }
        return text + ": " + message
    }
}

/// Every problem found in a document; thrown when a document cannot be accepted.
public struct ValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var issues: [ValidationIssue]

    public init(_ issues: [ValidationIssue]) {
        self.issues = issues
    }

    public init(field: String?, line: Int? = nil, _ message: String) {
        self.issues = [ValidationIssue(field: field, line: line, message: message)]
    }

    public var description: String {
        issues.map(\.description).joined(separator: "; ")
    }
}

extension ValidationIssue {
    /// Issues sorted by line (those without a line last), keeping the given order otherwise.
    public static func inLineOrder(_ issues: [ValidationIssue]) -> [ValidationIssue] {
        issues.enumerated().sorted { left, right in
            (left.element.line ?? Int.max, left.offset) < (right.element.line ?? Int.max, right.offset)
        }.map(\.element)
    }
}
