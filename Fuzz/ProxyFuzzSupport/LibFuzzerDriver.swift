import CLibFuzzer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// libFuzzer's callback: one input's bytes.
package typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// Runs libFuzzer with the process's arguments (corpus directories, `-max_total_time=…`, a crash
/// file to reproduce) and `callback` as the target; exits with libFuzzer's status.
///
/// SwiftPM links a Swift executable with its module's entry point as `main`, where libFuzzer
/// expects to supply its own; so each target's `@main` calls libFuzzer's driver instead.
package func runLibFuzzer(_ callback: FuzzCallback) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
}
