import Foundation

/// Locates the executables built next to the test bundle (`swift build` puts every product of
/// the package into the same folder). `ORCH_BIN_DIR` overrides the folder.
public enum TestBinaries {
    public static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["ORCH_BIN_DIR"] {
            return URL(fileURLWithPath: override)
        }
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var candidate = runner.deletingLastPathComponent()
        // Inside `Foo.xctest/...` on some platforms; climb out of the bundle.
        while candidate.path.contains(".xctest") { candidate.deleteLastPathComponent() }
        return candidate
    }

    public static func url(_ product: String) -> URL {
        directory.appendingPathComponent(product)
    }
}
