import AdminAPI
import Shared

/// How endpoints look in a terminal.
enum EndpointRendering {
    static func list(_ list: EndpointList, _ terminal: Terminal) -> String {
        guard !list.endpoints.isEmpty else {
            return "No endpoints. Add one with 'orchctl endpoint add NAME --url URL' or in the config file."
        }
        var table = Table(["NAME", "VERSION", "STATUS", "HEALTH", "OWNER", "METHODS", "URL"])
        for endpoint in list.endpoints {
            table.add([
                Table.Cell(endpoint.name, .bold), Table.Cell(endpoint.version ?? "-"),
                Table.Cell(endpoint.status, Style.of(endpoint.status)),
                Table.Cell(endpoint.health, Style.of(endpoint.health)),
                Table.Cell(endpoint.owner), Table.Cell(endpoint.methods.joined(separator: ",")),
                Table.Cell(endpoint.url),
            ])
        }
        var text = table.render(terminal)
        if list.totalCount > list.endpoints.count {
            text += "\n(\(list.endpoints.count) of \(list.totalCount) shown; use --limit)"
        }
        return text
    }

    static func details(_ endpoint: EndpointDetails, _ terminal: Terminal) -> String {
        var fields = Fields()
        fields.add("name", endpoint.name, .bold)
        fields.add("url", endpoint.url)
        fields.add("version", endpoint.version ?? "-")
        fields.add("methods", endpoint.methods.joined(separator: ", "))
        fields.add("auth_type", endpoint.authType)
        fields.add("timeout", "\(endpoint.timeout)s")
        fields.add("health_check_path", endpoint.healthCheckPath ?? "-")
        fields.add("disabled", endpoint.disabled ? "yes" : "no", endpoint.disabled ? .bad : .plain)
        fields.add("owner", endpoint.owner)
        fields.add("status", endpoint.status, Style.of(endpoint.status))
        fields.add("health", endpoint.health, Style.of(endpoint.health))
        let breaker = endpoint.circuitBreakerState
        fields.add("circuit_breaker_state", breaker, Style.of(breaker))
        fields.add("consecutive_failures", String(endpoint.consecutiveFailures))
        fields.add("last_health_check", endpoint.lastHealthCheck ?? "-")
        fields.add("last_failure_time", endpoint.lastFailureTime ?? "-")
        fields.add("registration_time", endpoint.registrationTime)
        guard let upstreams = endpoint.upstreams else { return fields.render(terminal) }
        fields.add("load_balancing", (endpoint.loadBalancing ?? .roundRobin).rawValue)
        return fields.render(terminal) + "\n\n" + Self.upstreams(upstreams, terminal)
    }

    /// A pool's upstreams with their run-time state.
    static func upstreams(_ upstreams: [UpstreamStatus], _ terminal: Terminal) -> String {
        var table = Table(["UPSTREAM", "WEIGHT", "HEALTH", "BREAKER", "IN FLIGHT"])
        for upstream in upstreams {
            table.add([
                Table.Cell(upstream.url), Table.Cell(String(upstream.weight)),
                Table.Cell(upstream.health, Style.of(upstream.health)),
                Table.Cell(upstream.circuitBreakerState, Style.of(upstream.circuitBreakerState)),
                Table.Cell(String(upstream.inFlight)),
            ])
        }
        return table.render(terminal)
    }
}
