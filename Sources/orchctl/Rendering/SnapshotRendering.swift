import AdminAPI
import Shared

/// How snapshots look in a terminal.
enum SnapshotRendering {
    static func list(_ listing: SnapshotListing, _ terminal: Terminal) -> String {
        guard !listing.snapshots.isEmpty else { return "No snapshots published yet." }
        var table = Table(["VERSION", "CREATED", "ENDPOINTS", "CHECKSUM", "CAUSE"])
        for summary in listing.snapshots {
            let current = summary.version == listing.currentVersion
            table.add([
                Table.Cell("\(summary.version)\(current ? " *" : "")", current ? .bold : .plain),
                Table.Cell(summary.createdAt), Table.Cell(String(summary.endpointsCount)),
                Table.Cell(summary.checksum, .dim), Table.Cell(summary.cause),
            ])
        }
        var text = table.render(terminal) + "\n* current"
        if listing.totalCount > listing.snapshots.count {
            text += " (\(listing.snapshots.count) of \(listing.totalCount) shown; use --limit)"
        }
        return text
    }

    static func details(_ snapshot: Snapshot, _ terminal: Terminal) -> String {
        var fields = Fields()
        fields.add("version", String(snapshot.version), .bold)
        fields.add("created", snapshot.createdAt)
        fields.add("cause", snapshot.cause)
        fields.add("checksum", snapshot.checksum)
        fields.add("endpoints", String(snapshot.endpoints.count))
        var text = fields.render(terminal)
        guard !snapshot.endpoints.isEmpty else { return text }
        var table = Table(["NAME", "OWNER", "STATUS", "HEALTH", "METHODS", "TIMEOUT", "URL"], indent: "  ")
        for endpoint in snapshot.endpoints {
            let status = endpoint.config.disabled ? "disabled" : endpoint.status.rawValue
            table.add([
                Table.Cell(endpoint.name), Table.Cell(endpoint.owner.rawValue), Table.Cell(status, Style.of(status)),
                Table.Cell(endpoint.health.rawValue, Style.of(endpoint.health.rawValue)),
                Table.Cell(endpoint.config.methods.joined(separator: ",")),
                Table.Cell("\(endpoint.config.timeout)s"), Table.Cell(endpoint.config.url),
            ])
        }
        text += "\n\n" + table.render(terminal)
        return text
    }
}
