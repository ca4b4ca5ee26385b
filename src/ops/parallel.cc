#include "ops/parallel.h"

#include <sched.h>

#include <atomic>

namespace gemma3 {

namespace {
std::atomic<int> g_requested{0};  // 0 = all cores
}

void set_num_threads(int n) { g_requested.store(n > 0 ? n : 0, std::memory_order_relaxed); }

int num_threads() {
  int n = g_requested.load(std::memory_order_relaxed);
  if (n > 0) return n;
  // The CPUs this process may run on (taskset / cgroup cpusets), not every CPU of the machine.
  static const int procs = [] {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    return 1;
  }();
  return procs;
}

}  // namespace gemma3
