import AdminAPI
import Foundation

/// How breakers and probe results look in a terminal.
enum BreakerRendering {
    static func list(_ listing: BreakerListing, _ terminal: Terminal) -> String {
        guard !listing.aggregate.isEmpty else {
            return "No breakers reported yet (a breaker appears with an endpoint's first proxied request)."
        }
        var table = Table(["ENDPOINT", "STATE", "REPLICA", "REPLICA STATE", "FAILURES", "REJECTED", "SINCE"])
        for aggregate in listing.aggregate {
            let entries = listing.circuitBreakers.filter { $0.endpointId == aggregate.endpointId }
            for (index, entry) in entries.enumerated() {
                table.add([
                    Table.Cell(index == 0 ? aggregate.endpointId : ""),
                    Table.Cell(index == 0 ? aggregate.state : "", Style.of(aggregate.state)),
                    Table.Cell(entry.replicaId), Table.Cell(entry.state, Style.of(entry.state)),
                    Table.Cell(String(entry.failureCount)), Table.Cell(String(entry.rejected)),
                    Table.Cell(entry.stateChangedTime),
                ])
            }
        }
        return table.render(terminal)
    }

    static func check(_ name: String, _ check: HealthCheckResult, _ terminal: Terminal) -> String {
        var fields = Fields()
        fields.add("endpoint", name, .bold)
        fields.add("probed", check.result.url)
        fields.add(
            "result", check.result.errorMessage ?? "ok",
            check.result.errorMessage == nil ? .plain : Style.of("unhealthy"))
        if let time = check.result.responseTime { fields.add("time", String(format: "%.3f s", time)) }
        fields.add("status", check.result.status, Style.of(check.result.status))
        fields.add(
            "streak", "\(check.result.consecutiveSuccesses) good, \(check.result.consecutiveFailures) failed in a row")
        return fields.render(terminal)
    }
}
