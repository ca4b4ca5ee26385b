// matmul at the Gemma 3 270m shapes, per weight dtype, ISA, batch size and thread count, plus the
// probes that give the machine's limits to judge them against.
// Counters, per call:
//   GFLOP/s = 2·n_rows·rows·cols;  flop_frac = that / the f32 FMA peak at this thread count
//   GB/s    = weight bytes streamed (dtype_row_bytes·rows: the traffic that bounds decode; x and y
//             are small and cache-resident);  bw_frac = that / the streaming read bandwidth
// n_rows = 1 (decode) should sit near bw_frac = 1 for matrices beyond the caches (lm_head; the block
// matrices are 0.2-2.6 MB and may come from L2/L3, so bw_frac > 1 there is possible); large n_rows
// (prefill) should approach flop_frac = 1.
//
//   build-bench/bench/matmul_bench --benchmark_filter='BM_Matmul/1/5/'   (args: dtype, shape, isa, n_rows, threads, mode)
//   dtype: 0 bf16, 1 f16, 2 f32, 3 q8_0, 4 q4_0, 5 q5_0, 6 q4_k, 7 q5_k, 8 q6_k (the K-quants only
//   at the shapes whose rows are a multiple of 256: o_proj, down); isa: 2 avx512, 1 avx2, 0 scalar;
//   mode: 0 exact (K-quants and Q5_0: rows widened to f32), 1 --matmul-int8 (the block types; on
//   avx512 the VNNI kernel where the CPU has it), 2 --matmul-int8 with the weights prepacked at
//   load as a model has them (ops/int8_prepack.h; avx512 only)
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "machine_peaks.h"
#include "ops/cpu_features.h"
#include "ops/int8_prepack.h"
#include "ops/matmul.h"
#include "ops/parallel.h"

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
constexpr DType kDTypes[] = {DType::kBF16, DType::kF16, DType::kF32,  DType::kQ8_0, DType::kQ4_0,
                             DType::kQ5_0, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};

// The weights of one (shape, dtype), encoded from the same random f32 values. Only the last one
// asked for is kept (the LM head is 0.1-0.7 GB per dtype); the arguments are ordered so each is
// built once.
const std::vector<uint8_t>& weights(size_t shape, DType dtype) {
  static std::vector<uint8_t> bytes;
  static long key = -1;
  const long want = static_cast<long>(shape * std::size(kDTypes) + static_cast<int>(dtype));
  if (key == want) return bytes;
  const Shape& s = kShapes[shape];
  std::mt19937 gen(static_cast<uint32_t>(shape + 1));
  std::uniform_real_distribution<float> dist(-0.05f, 0.05f);
  std::vector<float> row(s.cols);
  const size_t row_bytes = dtype_row_bytes(dtype, s.cols);
  bytes.assign(0, 0);
  bytes.shrink_to_fit();
  bytes.resize(row_bytes * s.rows);
  for (size_t r = 0; r < s.rows; ++r) {
    for (float& v : row) v = dist(gen);
    uint8_t* out = bytes.data() + r * row_bytes;
    for (size_t c = 0; c < s.cols; ++c) {
      switch (dtype) {
        case DType::kBF16: {
          const uint16_t b = f32_to_bf16(row[c]);
          std::memcpy(out + 2 * c, &b, 2);
          break;
        }
        case DType::kF16: {
          const uint16_t h = f32_to_f16(row[c]);
          std::memcpy(out + 2 * c, &h, 2);
          break;
        }
        case DType::kF32:
          std::memcpy(out + 4 * c, &row[c], 4);
          break;
        default:
          break;
      }
    }
    if (dtype_is_quantized(dtype)) encode_row_from_f32(row.data(), s.cols, dtype, out);  // GGML's quantizers
  }
  key = want;
  return bytes;
}

void BM_Matmul(benchmark::State& state) {
  const DType dtype = kDTypes[state.range(0)];
  const size_t shape_index = static_cast<size_t>(state.range(1));
  const Shape& shape = kShapes[shape_index];
  const Isa isa = static_cast<Isa>(state.range(2));
  const size_t n_rows = static_cast<size_t>(state.range(3));
  const int threads = static_cast<int>(state.range(4));
  const bool int8 = state.range(5) >= 1;
  const bool prepacked = state.range(5) == 2;  // int8 with the weights prepacked (as a model loads them)
  if (static_cast<int>(isa) > static_cast<int>(best_supported_isa())) {
    state.SkipWithError("ISA not supported here");
    return;
  }
  const bench::Peaks& peaks = bench::machine_peaks(threads);  // probed before switching the ISA
  const Isa saved_isa = active_isa();
  const int saved_threads = num_threads();
  set_active_isa(isa);
  set_num_threads(threads);
  const MatmulPrecision saved_precision = matmul_precision();
  set_matmul_precision(int8 ? MatmulPrecision::kInt8Activations : MatmulPrecision::kExact);
  WeightView w{dtype, weights(shape_index, dtype).data(), shape.rows, shape.cols};
  std::vector<uint8_t> packed;
  if (prepacked) {
    packed.resize(int8_prepacked_bytes(w) + 64);
    if (packed.size() == 64) {
      state.SkipWithError("no prepacked layout for this kernel");
      set_active_isa(saved_isa);
      set_num_threads(saved_threads);
      set_matmul_precision(saved_precision);
      return;
    }
    void* out = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(packed.data()) + 63) / 64 * 64);
    int8_prepack(w, out);
    w.int8_packed = out;
  }
  std::vector<float> x(n_rows * shape.cols), y(n_rows * shape.rows);
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float& v : x) v = dist(gen);
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    matmul(x.data(), n_rows, w, y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double per_s = static_cast<double>(state.iterations()) / seconds;  // plain numbers, not rates
  const double gflop = 2e-9 * n_rows * shape.rows * shape.cols;
  const double gb = 1e-9 * dtype_row_bytes(dtype, shape.cols) * shape.rows;
  using benchmark::Counter;
  state.counters["GFLOP/s"] = Counter(gflop, Counter::kIsIterationInvariantRate);
  state.counters["GB/s"] = Counter(gb, Counter::kIsIterationInvariantRate);
  state.counters["flop_frac"] = gflop * per_s / peaks.fma_gflop_s;
  state.counters["bw_frac"] = gb * per_s / peaks.read_gb_s;
  state.SetLabel(std::string(dtype_name(dtype)) + " " + isa_name(isa) + " " + shape.name +
                 " n_rows=" + std::to_string(n_rows) + " t=" + std::to_string(threads) +
                 (prepacked ? " int8 prepacked" : int8 ? " int8" : ""));
  set_matmul_precision(saved_precision);
  set_active_isa(saved_isa);
  set_num_threads(saved_threads);
}

void matmul_args(benchmark::internal::Benchmark* b) {
  for (int dtype = 0; dtype < static_cast<int>(std::size(kDTypes)); ++dtype) {
    for (int shape = 0; shape < static_cast<int>(std::size(kShapes)); ++shape) {
      const bool lm_head = kShapes[shape].rows == 262144;
      if (kShapes[shape].cols % dtype_block_elems(kDTypes[dtype]) != 0) continue;
      for (int isa : {2, 1, 0}) {
        for (int n_rows : {1, 4, 16, 32, 64, 128, 512}) {
          if (lm_head && n_rows > 16) continue;               // prefill needs logits for the last token only
          if (isa == 0 && (n_rows > 4 || lm_head)) continue;  // the scalar twin is slow
          for (int threads : {1, 2}) {
            b->Args({dtype, shape, isa, n_rows, threads, 0});
            const bool block_type = dtype_is_quantized(kDTypes[dtype]);
            if (block_type && isa != 0) b->Args({dtype, shape, isa, n_rows, threads, 1});
            if (block_type && isa == 2) b->Args({dtype, shape, isa, n_rows, threads, 2});
          }
        }
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
void BM_Bf16DotPeak(benchmark::State& state) {
  for (auto _ : state) state.counters["GFLOP/s"] = probe_bf16_gflop_s(static_cast<int>(state.range(0)));
}
BENCHMARK(BM_FmaPeak)->Arg(1)->Arg(2)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Bf16DotPeak)->Arg(1)->Arg(2)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StreamRead)->Arg(1)->Arg(2)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gemma3
