import AdminAPI
import Shared

/// The `orchctl status` screen.
enum StatusRendering {
    static func render(_ report: StatusReport, _ terminal: Terminal) -> String {
        let health = report.health.value
        let current = report.dataplanes.value.currentVersion
        var lines: [String] = []

        var summary = Fields()
        summary.add(
            "Control plane",
            "\(report.adminURL)  \(report.service.value.service) \(report.service.value.version)"
                + ", up \(Uptime.text(health.uptimeSeconds))")
        summary.add("Status", health.status, Style.of(health.status))
        var snapshot = "version \(current)"
        snapshot += health.configuration.loaded ? ", config file loaded" : ", no config file loaded"
        if !health.configuration.lastReloadOK { snapshot += " (last reload FAILED: see /config/status)" }
        summary.add("Snapshot", snapshot, health.configuration.lastReloadOK ? .plain : .bad)
        if let drift = report.config.value.drift, drift.drifted {
            let file = report.config.value.configPath
            summary.add(
                "Drift",
                "serving state differs from \(file): \(drift.summary ?? "")"
                    + " ('orchctl config reload' applies the file)", .warning)
        }
        let limits = report.config.value.proxy
        summary.add("Timeouts", LimitsText.timeouts(limits))
        summary.add("Limits", LimitsText.sizes(limits))
        let tls = report.config.value.tls
        let listener = TLSRendering.summary(tls)
        summary.add("TLS", listener.text, listener.style)
        lines.append(summary.render(terminal))
        if let certificates = TLSRendering.certificates(tls, terminal) {
            lines.append("")
            lines.append(certificates)
        }

        if let cluster = report.cluster?.value, cluster.store == "postgres" {
            lines.append("")
            lines.append(ClusterRendering.render(cluster, terminal))
        }

        let replicas = report.dataplanes.value.dataplanes
        let connected = replicas.filter(\.connected).count
        lines.append("")
        lines.append(terminal.paint("Replicas", .bold) + "  \(connected) connected, \(replicas.count - connected) gone")
        if replicas.isEmpty {
            lines.append("  none connected (start orch-data-plane, or the control plane with --replicas N)")
        } else {
            let restarts = Dictionary(
                report.dataplanes.value.supervised.compactMap { slot in
                    slot.pid.map { (Int($0), slot.restarts) }
                }, uniquingKeysWith: { $1 })
            let supervised = !report.dataplanes.value.supervised.isEmpty
            // Remote data planes (--control-plane) add where each one is.
            let remote = replicas.contains { $0.address != nil }
            var table = Table(
                ["REPLICA", "PID"] + (remote ? ["ADDRESS"] : []) + ["ACKED", "STATE", "LAST CONTACT"]
                    + (supervised ? ["RESTARTS"] : []), indent: "  ")
            for replica in replicas {
                let state = ReplicaState(replica, currentVersion: current)
                var cells = [Table.Cell(replica.replicaId), Table.Cell(String(replica.pid))]
                if remote {
                    cells.append(Table.Cell(replica.address ?? "local", replica.address == nil ? .dim : .plain))
                }
                cells += [
                    Table.Cell(replica.ackedVersion.map(String.init) ?? "-"), Table.Cell(state.text, state.style),
                    Table.Cell(replica.lastContact, .dim),
                ]
                if supervised { cells.append(Table.Cell(restarts[replica.pid].map(String.init) ?? "-")) }
                table.add(cells)
            }
            lines.append(table.render(terminal))
        }

        for slot in report.dataplanes.value.supervised where slot.state != "running" {
            let state = slot.state
            var text = "  slot \(slot.slot): " + terminal.paint(state, state == "stopped" ? .dim : .warning)
            if let error = slot.lastError { text += " (\(error))" }
            lines.append(text)
        }
        let rollout = report.dataplanes.value.rollout
        if rollout.state != "idle" {
            let style: Style = rollout.state == "failed" ? .bad : rollout.state == "running" ? .warning : .dim
            lines.append("  " + terminal.paint(RolloutRendering.summary(rollout), style))
        }

        let endpoints = report.endpoints.value
        lines.append("")
        var counts = "\(endpoints.totalCount) total, \(endpoints.activeCount) active"
        if endpoints.unhealthyCount > 0 { counts += ", \(endpoints.unhealthyCount) unhealthy" }
        if endpoints.disabledCount > 0 { counts += ", \(endpoints.disabledCount) disabled" }
        lines.append(terminal.paint("Endpoints", .bold) + "  " + counts)
        if endpoints.endpoints.isEmpty {
            lines.append("  none (add one with 'orchctl endpoint add NAME --url URL')")
        } else {
            var table = Table(["NAME", "STATUS", "HEALTH", "BREAKER", "OWNER", "URL"], indent: "  ")
            for endpoint in endpoints.endpoints {
                let breaker = endpoint.circuitBreakerState
                table.add([
                    Table.Cell(endpoint.name), Table.Cell(endpoint.status, Style.of(endpoint.status)),
                    Table.Cell(endpoint.health, Style.of(endpoint.health)),
                    Table.Cell(breaker, Style.of(breaker)), Table.Cell(endpoint.owner), Table.Cell(endpoint.url),
                ])
                // A pool's upstreams, each with its own health and breaker, below their endpoint.
                for upstream in endpoint.upstreams ?? [] {
                    let state = upstream.circuitBreakerState
                    table.add([
                        Table.Cell(" └ upstream"), Table.Cell(""),
                        Table.Cell(upstream.health, Style.of(upstream.health)), Table.Cell(state, Style.of(state)),
                        Table.Cell(""),
                        Table.Cell("\(upstream.url) (weight \(upstream.weight), \(upstream.inFlight) in flight)"),
                    ])
                }
            }
            lines.append(table.render(terminal))
        }
        return lines.joined(separator: "\n")
    }
}

/// The STATE column of a replica: `ok`, or its marks (`gone`, `behind`, `NACK vN: reason`, `draining`).
struct ReplicaState {
    let text: String
    let style: Style

    init(_ replica: DataPlaneReplica, currentVersion: Int) {
        var marks: [String] = []
        var style = Style.good
        if let reason = replica.refused {
            marks.append("refused: \(reason)")
            style = .bad
        } else if !replica.connected {
            marks.append("gone")
            style = .bad
        } else if replica.behind {
            marks.append("behind")
            style = .warning
        }
        // A NACK matters while the replica has not acknowledged anything newer since.
        if let nack = replica.lastNack, nack.version > (replica.ackedVersion ?? 0) {
            marks.append("NACK v\(nack.version): \(nack.error)")
            style = .bad
        }
        if replica.draining {
            marks.append("draining")
            if style == .good { style = .warning }
        }
        self.text = marks.isEmpty ? "ok" : marks.joined(separator: ", ")
        self.style = style
    }
}

/// The proxy limits in two compact lines, named after their config keys.
enum LimitsText {
    /// `header 30s, body 60s, idle 75s, send 60s`.
    static func timeouts(_ limits: ProxyLimits) -> String {
        [
            ("header", limits.headerTimeout), ("body", limits.bodyTimeout), ("idle", limits.idleTimeout),
            ("send", limits.sendTimeout),
        ].map { "\($0) \($1.compact)s" }.joined(separator: ", ")
    }

    /// `16384 connections, URI 8192 B, request head 32768 B, 100 headers, 16 pipelined`.
    static func sizes(_ limits: ProxyLimits) -> String {
        "\(limits.maxConnections) connections, URI \(limits.maxURIBytes) B, request head \(limits.maxHeaderBytes) B,"
            + " \(limits.maxHeaders) headers, \(limits.maxPipelined) pipelined"
    }
}

/// `3d 4h`, `2h 05m`, `4m 12s`, `9s`.
enum Uptime {
    static func text(_ seconds: Int) -> String {
        let days = seconds / 86_400
        let hours = seconds % 86_400 / 3600
        let minutes = seconds % 3600 / 60
        let rest = seconds % 60
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(twoDigits(minutes))m" }
        if minutes > 0 { return "\(minutes)m \(twoDigits(rest))s" }
        return "\(rest)s"
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
