// Rotary position embedding as the forward pass uses it: cos/sin tables filled once per step for
// the step's positions (BM_RopeFill, per position), then applied per layer to the query heads
// (4 x 256 for gemma-3-270m) and the key head (1 x 256) from the tables (BM_RopeApply). The one-off
// form that evaluates sin/cos itself is BM_RopeApplyUntabled. Single-threaded.
// Counters: items (positions or heads) per second; GB/s of the f32 rows read and written in place.
//
//   build-bench/bench/rope_bench   (arg: n_heads, or positions for BM_RopeFill)
#include <benchmark/benchmark.h>

#include <numeric>
#include <random>
#include <vector>

#include "model/rope.h"

namespace gemma3 {
namespace {

constexpr int32_t kHeadDim = 256;

std::vector<float> random_heads(int32_t n_heads) {
  std::vector<float> x(static_cast<size_t>(n_heads) * kHeadDim);
  std::mt19937 gen(5);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float& v : x) v = dist(gen);
  return x;
}

void BM_RopeFill(benchmark::State& state) {
  const Rope rope(kHeadDim, 1'000'000.0, 1.0);
  std::vector<int32_t> positions(static_cast<size_t>(state.range(0)));
  std::iota(positions.begin(), positions.end(), 1000);
  std::vector<float> cos(positions.size() * rope.half()), sin(cos.size());
  for (auto _ : state) {
    rope.fill(positions, cos.data(), sin.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * positions.size()));
}
BENCHMARK(BM_RopeFill)->Arg(1)->Arg(512);

void BM_RopeApply(benchmark::State& state) {
  const int32_t n_heads = static_cast<int32_t>(state.range(0));
  const Rope rope(kHeadDim, 1'000'000.0, 1.0);
  std::vector<float> x = random_heads(n_heads);
  const int32_t pos = 1234;
  std::vector<float> cos(rope.half()), sin(rope.half());
  rope.fill(std::span<const int32_t>(&pos, 1), cos.data(), sin.data());
  for (auto _ : state) {
    rope.apply(x.data(), n_heads, cos.data(), sin.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n_heads);
  state.counters["GB/s"] = benchmark::Counter(8e-9 * x.size(), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_RopeApply)->Arg(1)->Arg(4);

void BM_RopeApplyUntabled(benchmark::State& state) {
  const int32_t n_heads = static_cast<int32_t>(state.range(0));
  const Rope rope(kHeadDim, 1'000'000.0, 1.0);
  std::vector<float> x = random_heads(n_heads);
  int32_t pos = 0;
  for (auto _ : state) {
    rope.apply(x.data(), n_heads, pos);
    pos = (pos + 97) % 32768;
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n_heads);
}
BENCHMARK(BM_RopeApplyUntabled)->Arg(4);

}  // namespace
}  // namespace gemma3
