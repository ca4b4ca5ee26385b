// The weight format conversions: GGML's reference quantizers (what --dtype q8_0 / q4_0 runs over
// every matrix at load), f32 -> bf16 / f16 narrowing, and row_to_f32 (the embedding lookup's
// dequantization, once per token). Rows of 640 (the hidden size) in a block of 1024 rows (2.6 MB of
// f32: beyond L2). All single-threaded.
// Counters: GB/s = f32 bytes read (quantize/narrow) or written (row_to_f32), the side that is
// 4 bytes per element; bw_frac = that / the single-thread streaming read bandwidth.
//
//   build-bench/bench/convert_bench   (args: op, dtype)
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <random>
#include <vector>

#include "machine_peaks.h"
#include "ops/dtype.h"

namespace gemma3 {
namespace {

constexpr size_t kCols = 640, kRows = 1024;
constexpr DType kDTypes[] = {DType::kBF16, DType::kF16, DType::kF32, DType::kQ8_0, DType::kQ4_0};

std::vector<float> random_f32() {
  std::vector<float> x(kRows * kCols);
  std::mt19937 gen(3);
  std::uniform_real_distribution<float> dist(-0.05f, 0.05f);
  for (float& v : x) v = dist(gen);
  return x;
}

// Encodes f32 rows to `dtype` as weight_convert does (ops/dtype.h encode_row_from_f32).
void encode(const float* x, size_t rows, DType dtype, uint8_t* out) {
  const size_t row_bytes = dtype_row_bytes(dtype, kCols);
  for (size_t r = 0; r < rows; ++r) encode_row_from_f32(x + r * kCols, kCols, dtype, out + r * row_bytes);
}

void set_counters(benchmark::State& state, std::chrono::steady_clock::time_point t0, DType dtype) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double gb = 4e-9 * kRows * kCols;
  state.counters["GB/s"] = benchmark::Counter(gb, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bw_frac"] = gb * state.iterations() / seconds / bench::machine_peaks(1).read_gb_s;
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kRows * kCols));
  state.SetLabel(dtype_name(dtype));
}

void BM_Encode(benchmark::State& state) {
  const DType dtype = kDTypes[state.range(0)];
  const std::vector<float> x = random_f32();
  std::vector<uint8_t> out(dtype_row_bytes(dtype, kCols) * kRows);
  bench::machine_peaks(1);  // probe outside the timed region
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    encode(x.data(), kRows, dtype, out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, t0, dtype);
}
BENCHMARK(BM_Encode)->DenseRange(0, 4)->Unit(benchmark::kMicrosecond);

void BM_RowToF32(benchmark::State& state) {
  const DType dtype = kDTypes[state.range(0)];
  const std::vector<float> x = random_f32();
  std::vector<uint8_t> w(dtype_row_bytes(dtype, kCols) * kRows);
  encode(x.data(), kRows, dtype, w.data());
  const WeightView view{dtype, w.data(), kRows, kCols};
  std::vector<float> out(kRows * kCols);
  bench::machine_peaks(1);
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    for (size_t r = 0; r < kRows; ++r) row_to_f32(view, r, out.data() + r * kCols);
    benchmark::ClobberMemory();
  }
  set_counters(state, t0, dtype);
}
BENCHMARK(BM_RowToF32)->DenseRange(0, 4)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace gemma3
