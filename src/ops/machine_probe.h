// Measures the two limits the kernels are judged against, on this machine, now: streaming read
// bandwidth from DRAM and f32 FMA throughput. `gemma3 bench` reports each kernel's speed as a
// fraction of these, and the microbenchmarks use the same probes.
#pragma once

#include <cstddef>

namespace gemma3 {

struct MachineLimits {
  double read_gb_s = 0;     // streaming read of a buffer far beyond the caches, all threads
  double fma_gflop_s = 0;   // f32 FMA (2 flops each) with the widest vectors active_isa() allows
  double bf16_gflop_s = 0;  // AVX-512 BF16 dot products (vdpbf16ps, 4 flops per lane), 0 without
  double int8_gop_s = 0;    // AVX-512 VNNI dot products (vpdpbusd, 8 ops per lane), 0 without
  int threads = 0;
};

// Best of a few short runs on `threads` threads of the kernel pool (~0.5 s in all). The read probe
// touches `read_mib` MiB (allocated and freed here).
MachineLimits probe_machine(int threads, size_t read_mib = 512);

double probe_read_gb_s(int threads, size_t read_mib);
double probe_fma_gflop_s(int threads);
double probe_bf16_gflop_s(int threads);  // 0 when the CPU has no AVX512_BF16
double probe_int8_gop_s(int threads);    // 0 when the CPU has no AVX512_VNNI

}  // namespace gemma3
