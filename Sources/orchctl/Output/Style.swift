import Foundation

/// Colours for table cells. Used only when stdout is a terminal and `NO_COLOR` is not set.
enum Style: Sendable {
    case plain
    case good
    case warning
    case bad
    case dim
    case bold

    var ansiCode: String? {
        switch self {
        case .plain: nil
        case .good: "32"
        case .warning: "33"
        case .bad: "31"
        case .dim: "2"
        case .bold: "1"
        }
    }

    /// The style of a status word the API uses (`active`, `unhealthy`, `open`, ...).
    static func of(_ word: String) -> Style {
        switch word {
        case "active", "healthy", "closed", "ok", "valid": .good
        case "unknown", "half_open", "half-open", "inactive", "behind", "draining": .warning
        case "unhealthy", "open", "disabled", "gone", "degraded": .bad
        default: .plain
        }
    }
}

/// Where output goes and whether it may be coloured.
struct Terminal: Sendable {
    let colours: Bool

    /// Colour when stdout is a terminal and `NO_COLOR` is absent or empty (https://no-color.org:
    /// only a non-empty value disables colour).
    static let standard = Terminal(
        colours: isatty(STDOUT_FILENO) != 0 && allowsColour(environment: ProcessInfo.processInfo.environment))

    static func allowsColour(environment: [String: String]) -> Bool {
        (environment["NO_COLOR"] ?? "").isEmpty
    }

    func paint(_ text: String, _ style: Style) -> String {
        guard colours, let code = style.ansiCode, !text.isEmpty else { return text }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}
