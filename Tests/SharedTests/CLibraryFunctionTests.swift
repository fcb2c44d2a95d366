import Shared
import Testing

/// C library functions the Glibc module does not export are found by name.
@Suite struct CLibraryFunctionTests {
    @Test func aFunctionGlibcHasIsFoundAndOneItLacksIsNot() {
        typealias MallocTrim = @convention(c) (Int) -> Int32
        #if canImport(Glibc)
            #expect(cLibraryFunction("malloc_trim", as: MallocTrim.self) != nil)
        #endif
        #expect(cLibraryFunction("orchestrator_no_such_function", as: MallocTrim.self) == nil)
    }
}
