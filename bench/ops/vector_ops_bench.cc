// The vector kernels at the sizes the forward pass calls them with (hidden 640, intermediate 2048,
// head_dim 256, attention rows up to a few thousand) and at whole-step sizes (512 prefill rows of
// 640 / 2048), per ISA. Counters: elements per second; GB/s = f32 bytes read + written per call
// (these kernels do a few flops per element, so bandwidth — L1/L2 at per-call sizes, DRAM-ish at
// step sizes — is their limit); bw_frac = that / the single-thread streaming read bandwidth.
#include <benchmark/benchmark.h>

#include <chrono>
#include <random>
#include <vector>

#include "machine_peaks.h"
#include "ops/cpu_features.h"
#include "ops/vector_ops.h"

namespace gemma3 {
namespace {

enum Op { kDot, kRmsNorm, kAxpy, kGelu, kSoftmax };
constexpr const char* kOpNames[] = {"dot", "rms_norm", "axpy", "gelu_tanh_mul", "softmax"};

void BM_VectorOp(benchmark::State& state) {
  const Isa isa = static_cast<Isa>(state.range(0));
  const Op op = static_cast<Op>(state.range(1));
  const size_t n = static_cast<size_t>(state.range(2));
  if (static_cast<int>(isa) > static_cast<int>(best_supported_isa())) {
    state.SkipWithError("ISA not supported here");
    return;
  }
  const Isa saved = active_isa();
  set_active_isa(isa);
  std::mt19937 gen(1);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  std::vector<float> a(n), b(n), c(n);
  for (size_t i = 0; i < n; ++i) a[i] = dist(gen), b[i] = dist(gen);
  const double read_gb_s = bench::machine_peaks(1).read_gb_s;  // the kernels are single-threaded
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    switch (op) {
      case kDot:
        benchmark::DoNotOptimize(dot(a.data(), b.data(), n));
        break;
      case kRmsNorm:
        rms_norm(a.data(), b.data(), n, 1e-6f, c.data());
        break;
      case kAxpy:
        axpy(0.5f, a.data(), c.data(), n);
        break;
      case kGelu:
        gelu_tanh_mul(a.data(), b.data(), c.data(), n);
        break;
      case kSoftmax:
        c = a;  // softmax is in place; restart from the same input each time
        softmax(c.data(), n);
        break;
    }
    benchmark::ClobberMemory();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
  // f32 streams touched per element: dot 2 read; rms_norm 2 read (x, scale) + 1 write; axpy 2 + 1;
  // gelu_tanh_mul 2 + 1; softmax (with the copy that restores its input) 1 + 1, then in place 1 + 1.
  constexpr double kStreams[] = {2, 3, 3, 3, 4};
  const double gb = 4e-9 * kStreams[op] * n;
  state.counters["GB/s"] = benchmark::Counter(gb, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bw_frac"] = gb * state.iterations() / seconds / read_gb_s;
  state.SetLabel(std::string(isa_name(isa)) + " " + kOpNames[op]);
  set_active_isa(saved);
}

void vector_args(benchmark::internal::Benchmark* b) {
  for (int isa : {2, 1, 0}) {
    for (int op = kDot; op <= kSoftmax; ++op) {
      for (int n : {256, 640, 2048, 640 * 512, 2048 * 512}) b->Args({isa, op, n});
    }
  }
}
BENCHMARK(BM_VectorOp)->Apply(vector_args);

}  // namespace
}  // namespace gemma3
