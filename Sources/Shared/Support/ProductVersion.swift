/// The version of this build of every Orchestrator executable: the control plane reports it,
/// a data plane says it in `hello`, and `orchctl --version` prints it.
public enum ProductVersion {
    public static let string = "0.1.0"

    /// `major.minor.patch` as numbers, or `nil` when `text` is not of that form (a suffix after
    /// `-` or `+`, as in `1.2.0-rc1`, is ignored).
    public static func components(_ text: String) -> (major: Int, minor: Int, patch: Int)? {
        let core = text.prefix { $0 != "-" && $0 != "+" }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let major = Int(parts[0]), let minor = Int(parts[1]), let patch = Int(parts[2]),
            major >= 0, minor >= 0, patch >= 0
        else { return nil }
        return (major, minor, patch)
    }

    /// Why a control plane of version `controlPlane` refuses a data plane of version
    /// `dataPlane`, or `nil` when it accepts it: another major version, or a newer minor one
    /// (control planes are upgraded first). A data plane that says no version predates the
    /// check and is accepted.
    public static func refusal(dataPlane: String?, controlPlane: String = string) -> String? {
        guard let dataPlane else { return nil }
        guard let ours = components(controlPlane) else { return nil }
        guard let theirs = components(dataPlane) else {
            return "data plane version '\(dataPlane)' is not of the form MAJOR.MINOR.PATCH"
        }
        if theirs.major != ours.major {
            return "data plane \(dataPlane) has another major version than control plane \(controlPlane)"
        }
        if theirs.minor > ours.minor {
            return
                "data plane \(dataPlane) is newer than control plane \(controlPlane): upgrade the control planes first"
        }
        return nil
    }
}
