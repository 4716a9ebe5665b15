#include <stddef.h>
#include <stdint.h>
/// libFuzzer's driver entry (compiler-rt FuzzerDriver.cpp).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
