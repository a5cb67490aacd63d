#ifndef RASPORED_CFUZZER_H
#define RASPORED_CFUZZER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt, linked by `-sanitize=fuzzer`): parses libFuzzer's flags from argv and
/// runs `callback` on each input. The fuzzer's own main calls it; ours does, because SwiftPM gives every
/// executable a main of its own.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
