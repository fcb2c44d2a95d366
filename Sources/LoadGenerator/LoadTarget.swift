/// One URL the load generator requests, under a name its results are reported by.
public struct LoadTarget: Sendable, Hashable {
    public var name: String
    public var url: String

    public init(name: String, url: String) {
        self.name = name
        self.url = url
    }

    /// Parses `NAME=URL` (or a bare URL, named by itself).
    public init?(argument: String) {
        if let equals = argument.firstIndex(of: "="), !argument[..<equals].contains("/") {
            let name = String(argument[..<equals])
            let url = String(argument[argument.index(after: equals)...])
            guard !name.isEmpty, url.hasPrefix("http://") || url.hasPrefix("https://") else { return nil }
            self.init(name: name, url: url)
        } else {
            guard argument.hasPrefix("http://") || argument.hasPrefix("https://") else { return nil }
            self.init(name: argument, url: argument)
        }
    }
}
