/// An endpoint whose settings differ, with the top-level fields that do.
package struct ConfigChange: Codable, Sendable, Equatable {
    package var name: String
    package var fields: [String]

    package init(name: String, fields: [String]) {
        self.name = name
        self.fields = fields
    }
}
