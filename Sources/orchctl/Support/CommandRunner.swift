import ArgumentParser
import Foundation

/// Parses the command line, runs the command and exits with a documented status: usage errors
/// exit 2 (swift-argument-parser's own default is 64), `OrchctlError`s print one line.
enum CommandRunner {
    static func main(_ arguments: [String]) async -> Never {
        // Handled here rather than as a root flag: `endpoint add --version v2` must stay an option.
        if arguments == ["--version"] {
            print(Orchctl.version)
            exit(ExitStatus.ok.rawValue)
        }
        let (arguments, timeout) = GlobalOptions.extractTimeout(arguments)
        if let timeout { setenv("ORCH_TIMEOUT", timeout, 1) }
        do {
            var command = try await Orchctl.asyncParseAsRoot(GlobalOptions.hoisted(arguments))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(ExitStatus.ok.rawValue)
        } catch let error as OrchctlError {
            // What the command printed comes before the error line, also when both go to one pipe.
            fflush(nil)
            FileHandle.standardError.write(Data("orchctl: \(error.message)\n".utf8))
            exit(error.status.rawValue)
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch {
            let code = Orchctl.exitCode(for: error)
            guard code != .success else { Orchctl.exit(withError: error) }
            let message = Orchctl.fullMessage(for: await relevantParseError(error, arguments))
            FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
            exit(code == .validationFailure ? ExitStatus.usage.rawValue : code.rawValue)
        }
    }

    /// `orchctl --token T endpoint frobnicate` fails on `--token` (group commands take no options);
    /// the mistake worth reporting is `frobnicate`, which parsing without the global options shows.
    static func relevantParseError(_ error: any Error, _ arguments: [String]) async -> any Error {
        let stripped = GlobalOptions.stripped(arguments)
        guard stripped != arguments else { return error }
        do {
            _ = try await Orchctl.asyncParseAsRoot(stripped)
            return error
        } catch let other {
            return Orchctl.exitCode(for: other) == .success ? error : other
        }
    }
}
