/// The exit codes `orchctl` documents: scripts branch on them.
enum ExitStatus: Int32 {
    /// The command did what was asked.
    case ok = 0
    /// The control plane answered and refused or failed the request (401, 404, 409, 422, 5xx, an
    /// invalid document).
    case failure = 1
    /// The command line was wrong: unknown command or option, bad value, unreadable input file.
    case usage = 2
    /// The control plane could not be reached at all.
    case unreachable = 3
}
