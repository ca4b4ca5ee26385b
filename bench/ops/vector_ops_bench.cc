// The vector kernels at the sizes the forward pass calls them with (hidden 640, intermediate 2048,
// head_dim 256, attention rows up to a few thousand), per ISA. Counter: elements per second.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

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
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
  state.SetLabel(std::string(isa_name(isa)) + " " + kOpNames[op]);
  set_active_isa(saved);
}

void vector_args(benchmark::internal::Benchmark* b) {
  for (int isa : {2, 1, 0}) {
    for (int op = kDot; op <= kSoftmax; ++op) {
      for (int n : {256, 640, 2048}) b->Args({isa, op, n});
    }
  }
}
BENCHMARK(BM_VectorOp)->Apply(vector_args);

}  // namespace
}  // namespace gemma3
