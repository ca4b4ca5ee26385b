// The machine's limits for the microbenchmarks' fraction-of-peak counters: ops/machine_probe.h's
// probes (the ones `gemma3 bench` reports), run once per thread count per benchmark process.
#pragma once

#include <map>

#include "ops/machine_probe.h"

namespace gemma3::bench {

struct Peaks {
  double read_gb_s;
  double fma_gflop_s;
};

inline const Peaks& machine_peaks(int threads) {
  static std::map<int, Peaks> cache;
  auto it = cache.find(threads);
  if (it == cache.end()) it = cache.emplace(threads, Peaks{probe_read_gb_s(threads, 512), probe_fma_gflop_s(threads)}).first;
  return it->second;
}

}  // namespace gemma3::bench
