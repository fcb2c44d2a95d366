import Foundation

/// Prints a command's result: the API's JSON verbatim (pretty-printed) for `--output json`,
/// else the human rendering.
struct Printer: Sendable {
    let format: OutputFormat
    let terminal: Terminal

    init(_ options: GlobalOptions, terminal: Terminal = .standard) {
        self.format = options.output
        self.terminal = terminal
    }

    /// Prints `raw` as JSON, or what `table` renders.
    func show(_ raw: Data, table: (Terminal) -> String) {
        switch format {
        case .json: print(JSONPrinter.pretty(raw))
        case .table: print(table(terminal))
        }
    }
}
