import Logging
import ServiceLifecycle
import UnixSignals

/// Reopens the access-log file on every SIGHUP, the way nginx and most daemons let logrotate
/// rename a log away. Without a file destination SIGHUP is ignored (it no longer ends the replica).
package struct AccessLogReopener: Service {
    let writer: AccessLogWriter?
    let logger: Logger

    package init(writer: AccessLogWriter?, logger: Logger) {
        self.writer = writer
        self.logger = logger
    }

    package func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            if let writer, let path = writer.path {
                writer.reopen()
                logger.info("reopening the access log", metadata: ["path": "\(path)"])
            } else {
                logger.info("SIGHUP: no access-log file to reopen")
            }
        }
    }
}
