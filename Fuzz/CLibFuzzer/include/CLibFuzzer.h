#ifndef C_LIB_FUZZER_H
#define C_LIB_FUZZER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (in the toolchain's libclang_rt.fuzzer, linked by `-sanitize=fuzzer`): parses
/// the command line like libFuzzer's own `main` and runs `callback` on every input.
///
/// SwiftPM links a Swift executable with its entry point renamed to `main`, so the fuzz targets'
/// `main` (a Swift `@main`) calls this instead of using libFuzzer's `main`.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
