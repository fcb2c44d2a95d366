import Shared

/// Gives the memory the allocator holds freed back to the system.
///
/// A traffic report of thousands of endpoints builds tens of megabytes that live only until it
/// is sent (each endpoint's entry, the JSON, the frame), on whichever threads build it. glibc keeps
/// what they free in its per-thread arenas, so a replica's resident memory grew by that much and
/// stayed there: 10,000 endpoints with traffic took each replica from about 80 to 105 MiB, and
/// `malloc_trim(0)` took it back to 75 to 83 MiB.
package enum FreedMemory {
    private typealias MallocTrim = @convention(c) (Int) -> Int32

    /// glibc's `malloc_trim`, which its module map does not export; `nil` on other C libraries.
    private static let mallocTrim = cLibraryFunction("malloc_trim", as: MallocTrim.self)

    /// Whether the C library has `malloc_trim` (glibc does).
    package static var isAvailable: Bool { mallocTrim != nil }

    /// Whether a report of `endpoints` endpoints is large enough to give its memory back after:
    /// below that, what it frees is small and `malloc_trim` (which takes each arena's lock in turn)
    /// is not worth its pause.
    package static func worthReleasing(afterReportOf endpoints: Int) -> Bool {
        endpoints >= 1_000
    }

    /// Returns the free memory of every arena to the system; whether any was returned. `false`
    /// where the C library has no `malloc_trim`.
    @discardableResult
    package static func release() -> Bool {
        guard let mallocTrim else { return false }
        return mallocTrim(0) == 1
    }
}
