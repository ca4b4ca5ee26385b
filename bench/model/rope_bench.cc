// Rotary position embedding as the forward pass applies it: per token, the query heads (4 x 256
// for gemma-3-270m) and the key head (1 x 256), at a spread of positions. Single-threaded.
// Counter: heads per second, and GB/s of the f32 rows read and written in place.
//
//   build-bench/bench/rope_bench   (args: n_heads)
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "model/rope.h"

namespace gemma3 {
namespace {

void BM_RopeApply(benchmark::State& state) {
  constexpr int32_t kHeadDim = 256;
  const int32_t n_heads = static_cast<int32_t>(state.range(0));
  const Rope rope(kHeadDim, 1'000'000.0, 1.0);
  std::vector<float> x(static_cast<size_t>(n_heads) * kHeadDim);
  std::mt19937 gen(5);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float& v : x) v = dist(gen);
  int32_t pos = 0;
  for (auto _ : state) {
    rope.apply(x.data(), n_heads, pos);
    pos = (pos + 97) % 32768;
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n_heads);
  const double gb = 8e-9 * x.size();  // read + write
  state.counters["GB/s"] = benchmark::Counter(gb, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_RopeApply)->Arg(1)->Arg(4);

}  // namespace
}  // namespace gemma3
