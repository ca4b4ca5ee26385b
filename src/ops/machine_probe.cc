#include "ops/machine_probe.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "ops/cpu_features.h"
#include "ops/simd_avx512.h"  // first: it silences GCC 12's warnings inside <immintrin.h>
#include "ops/simd_avx2.h"
#include "ops/thread_pool.h"
#include "ops/vector_ops.h"

namespace gemma3 {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// 12 independent accumulators hide the FMA latency (4 cycles × 2 pipes needs >= 8).
constexpr int64_t kFmaIterations = 1 << 22;

GEMMA3_AVX512 float fma_loop_avx512(int64_t n) {
  __m512 a[12];
  for (int i = 0; i < 12; ++i) a[i] = _mm512_set1_ps(1.0f + i * 1e-3f);
  const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (int64_t k = 0; k < n; ++k) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) a[i] = _mm512_fmadd_ps(a[i], m, c);
  }
  __m512 s = a[0];
  for (int i = 1; i < 12; ++i) s = _mm512_add_ps(s, a[i]);
  return kernels::avx512::hsum(s);
}

GEMMA3_AVX2 float fma_loop_avx2(int64_t n) {
  __m256 a[12];
  for (int i = 0; i < 12; ++i) a[i] = _mm256_set1_ps(1.0f + i * 1e-3f);
  const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  for (int64_t k = 0; k < n; ++k) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) a[i] = _mm256_fmadd_ps(a[i], m, c);
  }
  __m256 s = a[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, a[i]);
  return kernels::avx2::hsum(s);
}

__attribute__((target("avx512f,avx512bf16"))) float bf16_loop(int64_t n) {
  __m512 a[12];
  for (int i = 0; i < 12; ++i) a[i] = _mm512_setzero_ps();
  const __m512bh x = (__m512bh)_mm512_set1_epi16(0x3f80), y = (__m512bh)_mm512_set1_epi16(0x3380);
  for (int64_t k = 0; k < n; ++k) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) a[i] = _mm512_dpbf16_ps(a[i], x, y);
  }
  __m512 s = a[0];
  for (int i = 1; i < 12; ++i) s = _mm512_add_ps(s, a[i]);
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx512f,avx512vnni"))) float int8_loop(int64_t n) {
  __m512i a[12];
  for (int i = 0; i < 12; ++i) a[i] = _mm512_setzero_si512();
  const __m512i u = _mm512_set1_epi8(3), s = _mm512_set1_epi8(-2);
  for (int64_t k = 0; k < n; ++k) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) a[i] = _mm512_dpbusd_epi32(a[i], u, s);
  }
  // The sums wrap around after many iterations (defined for vector lanes); combining them with
  // xor, not a scalar add, keeps the result defined while still depending on every chain.
  __m512i t = a[0];
  for (int i = 1; i < 12; ++i) t = _mm512_xor_si512(t, a[i]);
  return static_cast<float>(_mm_cvtsi128_si32(_mm512_castsi512_si128(t)));
}

// Runs body(n_iterations) on every thread; returns the best rate of 3 runs in G-units/s, where
// one iteration is worth `units_per_iteration` per thread.
template <class Body>
double best_rate(int threads, double units_per_iteration, Body body) {
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    std::vector<float> sink(static_cast<size_t>(threads));
    const auto t0 = std::chrono::steady_clock::now();
    kernel_pool().run_chunks(static_cast<size_t>(threads), threads, [&](size_t t) { sink[t] = body(kFmaIterations); });
    const double s = seconds_since(t0);
    volatile float keep = sink[0];
    (void)keep;
    best = std::max(best, units_per_iteration * static_cast<double>(kFmaIterations) * threads / s * 1e-9);
  }
  return best;
}

}  // namespace

double probe_read_gb_s(int threads, size_t read_mib) {
  const size_t n = read_mib * (size_t{1} << 20) / sizeof(float);
  std::unique_ptr<float[]> buf(new float[n]);
  // Fill in parallel so pages land near the threads that read them (first touch).
  parallel_for(n, 1, [&](size_t b, size_t e) { std::fill(buf.get() + b, buf.get() + e, 1.0f); });
  double best = 0;
  for (int rep = 0; rep < 4; ++rep) {
    std::vector<float> sink(static_cast<size_t>(threads));
    const auto t0 = std::chrono::steady_clock::now();
    const size_t nt = static_cast<size_t>(threads);
    kernel_pool().run_chunks(nt, threads, [&](size_t t) {
      const size_t b = n * t / nt, e = n * (t + 1) / nt;
      sink[t] = max_value(buf.get() + b, e - b);
    });
    const double s = seconds_since(t0);
    best = std::max(best, static_cast<double>(n * sizeof(float)) / s * 1e-9);
  }
  return best;
}

double probe_fma_gflop_s(int threads) {
  switch (active_isa()) {
    case Isa::kAvx512:
      return best_rate(threads, 12 * 16 * 2, fma_loop_avx512);
    case Isa::kAvx2:
      return best_rate(threads, 12 * 8 * 2, fma_loop_avx2);
    case Isa::kScalar:
      break;
  }
  return 0;
}

double probe_bf16_gflop_s(int threads) {
  if (!cpu_has_avx512_bf16() || active_isa() != Isa::kAvx512) return 0;
  return best_rate(threads, 12 * 32 * 2, bf16_loop);
}

double probe_int8_gop_s(int threads) {
  if (!cpu_has_avx512_vnni() || active_isa() != Isa::kAvx512) return 0;
  return best_rate(threads, 12 * 64 * 2, int8_loop);
}

MachineLimits probe_machine(int threads, size_t read_mib) {
  MachineLimits m;
  m.threads = threads;
  m.read_gb_s = probe_read_gb_s(threads, read_mib);
  m.fma_gflop_s = probe_fma_gflop_s(threads);
  m.bf16_gflop_s = probe_bf16_gflop_s(threads);
  m.int8_gop_s = probe_int8_gop_s(threads);
  return m;
}

}  // namespace gemma3
