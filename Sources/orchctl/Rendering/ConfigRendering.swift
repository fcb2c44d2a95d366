import AdminAPI

/// How config results look in a terminal.
enum ConfigRendering {
    static func diff(_ diff: ConfigDiff, _ terminal: Terminal) -> String {
        var lines: [String] = []
        for name in diff.added { lines.append(terminal.paint("+ \(name)", .good) + "  (added)") }
        for change in diff.changed {
            lines.append(
                terminal.paint("~ \(change.name)", .warning) + "  (changed: \(change.fields.joined(separator: ", ")))")
        }
        for name in diff.removed { lines.append(terminal.paint("- \(name)", .bad) + "  (removed)") }
        for conflict in diff.conflicts { lines.append(terminal.paint("! \(conflict)", .bad)) }
        if diff.policiesChanged {
            lines.append(terminal.paint("~ global circuit_breaker/health_check policies", .warning))
        }
        if diff.proxyChanged { lines.append(terminal.paint("~ proxy limits", .warning)) }
        if diff.tlsChanged { lines.append(terminal.paint("~ tls settings", .warning)) }
        if lines.isEmpty && diff.conflicts.isEmpty { lines.append("No changes.") }
        if !diff.unchanged.isEmpty {
            lines.append(
                terminal.paint("\(diff.unchanged.count) unchanged: ", .dim) + diff.unchanged.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    static func reload(_ result: ConfigReloaded, _ terminal: Terminal) -> String {
        var lines = ["\(result.message) (\(Count.endpoints(result.endpointsCount)) in the file)"]
        let sync = result.syncResult
        if !sync.added.isEmpty { lines.append(terminal.paint("added:   ", .good) + sync.added.joined(separator: ", ")) }
        if !sync.updated.isEmpty {
            lines.append(terminal.paint("updated: ", .warning) + sync.updated.joined(separator: ", "))
        }
        if !sync.removed.isEmpty {
            lines.append(terminal.paint("removed: ", .bad) + sync.removed.joined(separator: ", "))
        }
        if sync.added.isEmpty && sync.updated.isEmpty && sync.removed.isEmpty { lines.append("nothing changed") }
        return lines.joined(separator: "\n")
    }
}
