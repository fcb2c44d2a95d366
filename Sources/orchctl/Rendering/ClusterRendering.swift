import AdminAPI

/// The control planes of a cluster, in `orchctl status`.
enum ClusterRendering {
    static func render(_ cluster: ClusterStatus, _ terminal: Terminal) -> String {
        var heading = terminal.paint("Cluster", .bold) + "  \(cluster.members.count) control planes"
        if let leader = cluster.leader, cluster.members.contains(where: \.leader) {
            heading += ", \(leader.node) leads (epoch \(leader.epoch))"
        } else {
            heading += ", " + terminal.paint("no leader", .bad)
        }
        var table = Table(["NODE", "ADMIN", "VERSION", "ROLE", "LAST HEARTBEAT"], indent: "  ")
        for member in cluster.members {
            let age = Int(member.heartbeatAgeSeconds.rounded())
            table.add([
                Table.Cell(member.node + (member.node == cluster.node ? " (this)" : "")),
                Table.Cell(member.adminAddress), Table.Cell(member.softwareVersion),
                Table.Cell(member.leader ? "leader" : "follower", member.leader ? .good : .plain),
                // Members heartbeat every few seconds; a minute without one is a member that is gone.
                Table.Cell("\(age)s ago", age > 60 ? .warning : .dim),
            ])
        }
        return heading + "\n" + table.render(terminal)
    }
}
