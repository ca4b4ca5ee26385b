// matmul at the Gemma 3 270m shapes, per ISA and batch size, plus a streaming-read benchmark that
// gives the machine's memory bandwidth to judge the decode (n_rows = 1) numbers against.
// Counters: GFLOP/s = 2·n_rows·rows·cols per call; GB/s = weight bytes streamed per call (the
// traffic that bounds decode; x and y are small and cache-resident).
//
//   build-ops/bench/matmul_bench --benchmark_filter='lm_head'   (args: isa, shape, n_rows, threads)
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "ops/cpu_features.h"
#include "ops/machine_probe.h"
#include "ops/matmul.h"
#include "ops/parallel.h"
#include "ops/vector_ops.h"

namespace gemma3 {
namespace {

struct Shape {
  const char* name;
  size_t rows, cols;  // output features, input features
};

// gemma-3-270m: hidden 640, intermediate 2048, 4 q heads / 1 kv head of 256, vocab 262144.
constexpr Shape kShapes[] = {
    {"q_proj", 1024, 640},  {"kv_proj", 256, 640}, {"o_proj", 640, 1024},
    {"gate_up", 2048, 640}, {"down", 640, 2048},   {"lm_head", 262144, 640},
};

// bf16 weights of each shape, built once (the LM head is 335 MB).
const std::vector<uint16_t>& weights(size_t shape) {
  static std::vector<uint16_t> cache[std::size(kShapes)];
  std::vector<uint16_t>& w = cache[shape];
  if (w.empty()) {
    w.resize(kShapes[shape].rows * kShapes[shape].cols);
    std::mt19937 gen(shape + 1);
    std::uniform_real_distribution<float> dist(-0.05f, 0.05f);
    for (uint16_t& v : w) v = f32_to_bf16(dist(gen));
  }
  return w;
}

void BM_Matmul(benchmark::State& state) {
  const Isa isa = static_cast<Isa>(state.range(0));
  const Shape& shape = kShapes[state.range(1)];
  const size_t n_rows = static_cast<size_t>(state.range(2));
  if (static_cast<int>(isa) > static_cast<int>(best_supported_isa())) {
    state.SkipWithError("ISA not supported here");
    return;
  }
  const Isa saved_isa = active_isa();
  const int saved_threads = num_threads();
  set_active_isa(isa);
  set_num_threads(static_cast<int>(state.range(3)));
  const WeightView w{DType::kBF16, weights(state.range(1)).data(), shape.rows, shape.cols};
  std::vector<float> x(n_rows * shape.cols), y(n_rows * shape.rows);
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float& v : x) v = dist(gen);
  for (auto _ : state) {
    matmul(x.data(), n_rows, w, y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * n_rows * shape.rows * shape.cols;
  const double bytes = 2.0 * shape.rows * shape.cols;
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GB/s"] =
      benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(std::string(isa_name(isa)) + " " + shape.name +
                 " n_rows=" + std::to_string(n_rows));
  set_active_isa(saved_isa);
  set_num_threads(saved_threads);
}

void matmul_args(benchmark::internal::Benchmark* b) {
  for (int isa : {2, 1, 0}) {
    for (int shape = 0; shape < static_cast<int>(std::size(kShapes)); ++shape) {
      const bool lm_head = kShapes[shape].rows == 262144;
      for (int n_rows : {1, 8, 64, 512}) {
        if (lm_head && n_rows > 8) continue;  // prefill needs logits for the last token only
        if (isa == 0 && (n_rows > 8 || lm_head)) continue;  // the scalar twin is slow
        for (int threads : {1, 2}) b->Args({isa, shape, n_rows, threads});
      }
    }
  }
}
BENCHMARK(BM_Matmul)->Apply(matmul_args)->UseRealTime()->Unit(benchmark::kMicrosecond);

// The machine's limits, as `gemma3 bench` measures them (ops/machine_probe.h).
void BM_StreamRead(benchmark::State& state) {
  for (auto _ : state) state.counters["GB/s"] = probe_read_gb_s(static_cast<int>(state.range(0)), 512);
}
void BM_FmaPeak(benchmark::State& state) {
  for (auto _ : state) state.counters["GFLOP/s"] = probe_fma_gflop_s(static_cast<int>(state.range(0)));
}
BENCHMARK(BM_FmaPeak)->Arg(1)->Arg(2)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StreamRead)->Arg(1)->Arg(2)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gemma3
