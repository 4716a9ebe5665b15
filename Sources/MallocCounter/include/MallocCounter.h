#ifndef MALLOC_COUNTER_H
#define MALLOC_COUNTER_H

#include <stdint.h>

/// Number of malloc, calloc, realloc, memalign, posix_memalign and aligned_alloc calls made so far by the calling
/// thread. Counted by the allocation entry points this target defines; glibc's `__libc_*` functions do the work.
/// `pnc bench exi` reads it before and after a call to report allocations per operation.
uint64_t malloc_counter_thread_allocations(void);

#endif
