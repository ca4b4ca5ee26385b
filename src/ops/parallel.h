// Thread count for the multi-threaded kernels (ops/thread_pool.h underneath).
#pragma once

namespace gemma3 {

// n > 0: use n threads; n == 0: all cores (the default). Takes effect on the next kernel call.
void set_num_threads(int n);
int num_threads();

}  // namespace gemma3
