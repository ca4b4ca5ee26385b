#include "ops/parallel.h"

#include <omp.h>

#include <atomic>

namespace gemma3 {

namespace {
std::atomic<int> g_requested{0};  // 0 = all cores
}

void set_num_threads(int n) { g_requested.store(n > 0 ? n : 0, std::memory_order_relaxed); }

int num_threads() {
  int n = g_requested.load(std::memory_order_relaxed);
  if (n > 0) return n;
  static const int procs = omp_get_num_procs() > 0 ? omp_get_num_procs() : 1;
  return procs;
}

}  // namespace gemma3
