import ArgumentParser
import Shared

/// The root command: `orchctl <group> <command>`.
struct Orchctl: AsyncParsableCommand {
    static let version = ProductVersion.string

    static let configuration = CommandConfiguration(
        commandName: "orchctl",
        abstract: "Operate an Orchestrator gateway through the control plane's admin API.",
        discussion: """
            orchctl talks only to the admin API of orch-control-plane.

            Every command takes these options (before or after the command):
              --admin-url URL      or ORCH_ADMIN_URL (default \(GlobalOptions.defaultAdminURL))
              --token TOKEN        or ORCH_ADMIN_TOKEN; else the file data/admin.token
                                   below the current directory
              --data-dir DIR       or ORCH_DATA_DIR: where admin.token and runtime.json
                                   are (default data); without --admin-url and
                                   ORCH_ADMIN_URL, the address in DIR/runtime.json
              --timeout SECONDS    or ORCH_TIMEOUT: how long to wait for an answer
                                   (default 10)
              --output table|json  json prints the API's JSON as is, for jq

            Colour is used only when stdout is a terminal and NO_COLOR is unset or empty.

            Exit codes:
              0  ok
              1  the control plane reported a failure (401, 404, 409, 422, 5xx,
                 an invalid config document, a failed health check)
              2  usage error (unknown command or option, bad value, unreadable file)
              3  the control plane could not be reached or did not answer in time

            Shell completion: orchctl --generate-completion-script bash|zsh|fish
            Version: orchctl --version
            """,
        subcommands: [
            StatusCommand.self, EndpointCommand.self, ConfigCommand.self, SnapshotsCommand.self, BreakerCommand.self,
            HealthCommand.self, RolloutCommand.self, BackupCommand.self,
        ]
    )
}
