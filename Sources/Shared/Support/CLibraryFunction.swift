#if canImport(Glibc)
    import Glibc
#endif

/// A function of the C library that Swift's Glibc module does not export (no header to import
/// it from, or a glibc newer than the headers), looked up by name in the running process; `nil`
/// where the C library has none of that name, or is not glibc.
package func cLibraryFunction<Function>(_ name: String, as type: Function.Type) -> Function? {
    #if canImport(Glibc)
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, name) else { return nil }
        return unsafeBitCast(symbol, to: type)
    #else
        return nil
    #endif
}
