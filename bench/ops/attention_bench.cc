// paged_attention at Gemma 3 270m's shape (4 query heads on 1 KV head, head_dim 256, blocks of 16,
// full attention): a 512-token prefill and one decode token at positions 512 and 4096, per ISA,
// KV dtype and thread count. Next to it, the per-(token, head) loop the forward pass used before
// the fused kernel (dot + softmax + axpy over every visible key with a block-table lookup per
// key, dynamic (token, head) tasks), for the before/after ratio on the same machine and minute.
// Counter GFLOP/s: 4·head_dim flops per visible (query, key) pair (q·k and p·v, 2 per multiply-add).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ops/attention.h"
#include "ops/cpu_features.h"
#include "ops/parallel.h"
#include "ops/thread_pool.h"
#include "ops/vector_ops.h"

namespace gemma3 {
namespace {

constexpr int32_t kHeads = 4, kKvHeads = 1, kHeadDim = 256, kBlock = 16;

struct Setup {
  int32_t first_pos, n;  // query tokens first_pos .. first_pos + n - 1
  DType dtype;
  std::vector<float> k32, v32;
  std::vector<uint16_t> k16, v16;
  std::vector<int32_t> table;
  std::vector<float> q, out;
  PagedKvLayer kv;
  AttentionParams params;

  Setup(int32_t first, int32_t count, DType dt) : first_pos(first), n(count), dtype(dt) {
    const int32_t positions = first_pos + n;
    const int32_t blocks = (positions + kBlock - 1) / kBlock;
    const size_t kv_dim = static_cast<size_t>(kKvHeads) * kHeadDim;
    const size_t elems = static_cast<size_t>(blocks) * kBlock * kv_dim;
    std::mt19937 gen(1);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    k32.resize(elems);
    v32.resize(elems);
    for (size_t i = 0; i < elems; ++i) k32[i] = dist(gen), v32[i] = dist(gen);
    if (dtype == DType::kBF16) {
      k16.resize(elems);
      v16.resize(elems);
      store_kv_row(k32.data(), elems, DType::kBF16, k16.data());
      store_kv_row(v32.data(), elems, DType::kBF16, v16.data());
    }
    table.resize(blocks);
    std::iota(table.begin(), table.end(), 0);
    std::shuffle(table.begin(), table.end(), gen);
    q.resize(static_cast<size_t>(n) * kHeads * kHeadDim);
    for (float& x : q) x = dist(gen);
    out.resize(q.size());
    kv.keys = dtype == DType::kBF16 ? static_cast<const void*>(k16.data()) : k32.data();
    kv.values = dtype == DType::kBF16 ? static_cast<const void*>(v16.data()) : v32.data();
    kv.dtype = dtype;
    kv.block_size = kBlock;
    kv.n_blocks = blocks;
    kv.row_stride = kv_dim;
    params = {kHeads, kKvHeads, kHeadDim, 1.0f / 16.0f, 0.0f, 0};
  }

  double flops() const {
    double pairs = 0;
    for (int32_t t = 0; t < n; ++t) pairs += first_pos + t + 1;
    return pairs * kHeads * 4.0 * kHeadDim;
  }

  void fused() {
    const AttentionRun run{q.data(), out.data(), first_pos, n, table};
    paged_attention(params, kv, std::span<const AttentionRun>(&run, 1));
  }

  // The forward pass's attention before the fused kernel (f32 only).
  void per_key_loop() {
    const int64_t n_tasks = static_cast<int64_t>(n) * kHeads;
    const size_t kv_dim = static_cast<size_t>(kKvHeads) * kHeadDim;
    auto row = [&](const std::vector<float>& storage, int32_t p) {
      return &storage[(static_cast<size_t>(table[p / kBlock]) * kBlock + p % kBlock) * kv_dim];
    };
    std::atomic<int64_t> next{0};
    kernel_pool().run_chunks(static_cast<size_t>(num_threads()), num_threads(), [&](size_t) {
      for (int64_t task; (task = next.fetch_add(1, std::memory_order_relaxed)) < n_tasks;) {
        const int32_t r = static_cast<int32_t>(task / kHeads), h = static_cast<int32_t>(task % kHeads);
        const int32_t pos = first_pos + r;
        const float* qh = &q[(static_cast<size_t>(r) * kHeads + h) * kHeadDim];
        float* o = &out[(static_cast<size_t>(r) * kHeads + h) * kHeadDim];
        thread_local std::vector<float> scores;
        scores.resize(static_cast<size_t>(pos + 1));
        for (int32_t p = 0; p <= pos; ++p) scores[p] = dot(qh, row(k32, p), kHeadDim) * params.scale;
        softmax(scores.data(), scores.size());
        std::fill_n(o, kHeadDim, 0.0f);
        for (int32_t p = 0; p <= pos; ++p) axpy(scores[p], row(v32, p), o, kHeadDim);
      }
    });
  }
};

// range: isa, first_pos, n, dtype (0 f32, 1 bf16), threads, kernel (0 fused, 1 per-key loop)
void BM_Attention(benchmark::State& state) {
  const Isa isa = static_cast<Isa>(state.range(0));
  if (static_cast<int>(isa) > static_cast<int>(best_supported_isa())) {
    state.SkipWithError("ISA not supported here");
    return;
  }
  const Isa saved_isa = active_isa();
  const int saved_threads = num_threads();
  set_active_isa(isa);
  set_num_threads(static_cast<int>(state.range(4)));
  Setup s(static_cast<int32_t>(state.range(1)), static_cast<int32_t>(state.range(2)),
          state.range(3) ? DType::kBF16 : DType::kF32);
  const bool legacy = state.range(5) != 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    legacy ? s.per_key_loop() : s.fused();
    benchmark::DoNotOptimize(s.out.data());
    benchmark::ClobberMemory();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  state.counters["GFLOP/s"] = s.flops() * static_cast<double>(state.iterations()) / seconds * 1e-9;
  state.SetLabel(std::string(isa_name(isa)) + (state.range(3) ? " bf16" : " f32") +
                 (legacy ? " per-key loop" : " fused") + " threads " + std::to_string(state.range(4)));
  set_active_isa(saved_isa);
  set_num_threads(saved_threads);
}

void Shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"isa", "pos", "n", "bf16", "threads", "legacy"});
  const int64_t threads = std::max(1u, std::thread::hardware_concurrency());
  for (int64_t isa : {0, 1, 2}) {
    for (int64_t th : {int64_t{1}, threads}) {
      for (auto [pos, n] : {std::pair<int64_t, int64_t>{0, 512}, {512, 1}, {4096, 1}}) {
        for (int64_t bf16 : {0, 1}) b->Args({isa, pos, n, bf16, th, 0});
        if (isa == 2) b->Args({isa, pos, n, 0, th, 1});
      }
    }
  }
}

BENCHMARK(BM_Attention)->Apply(Shapes)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace gemma3
