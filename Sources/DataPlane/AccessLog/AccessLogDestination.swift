/// Where a replica writes its access log: `--access-log stdout|off|PATH`.
package enum AccessLogDestination: Sendable, Equatable {
    case standardOutput
    case off
    /// A file, created if missing, appended to.
    case file(String)

    /// Parses the option's value; an empty value is an error, not a file name.
    package init?(argument: String) {
        switch argument {
        case "stdout", "-": self = .standardOutput
        case "off": self = .off
        case "": return nil
        default: self = .file(argument)
        }
    }
}
