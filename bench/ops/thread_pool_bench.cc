// The kernel thread pool's fork/join cost: a decode step of gemma-3-270m runs ~130 parallel regions
// (matmuls, attention), each of a few to a few hundred microseconds, so a region's overhead is
// paid ~130 times per token. Regions here do no work beyond one atomic add per chunk; the time per
// iteration is the cost of one region (wake, claim, join).
//
//   build-bench/bench/thread_pool_bench   (args: threads, chunks)
#include <benchmark/benchmark.h>

#include <atomic>

#include "ops/parallel.h"
#include "ops/thread_pool.h"

namespace gemma3 {
namespace {

void BM_EmptyRegion(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const size_t chunks = static_cast<size_t>(state.range(1));
  const int saved = num_threads();
  set_num_threads(threads);
  ThreadPool& pool = kernel_pool();
  std::atomic<size_t> done{0};
  for (auto _ : state) {
    pool.run_chunks(chunks, threads, [&](size_t) { done.fetch_add(1, std::memory_order_relaxed); });
  }
  benchmark::DoNotOptimize(done.load());
  if (done.load() != chunks * state.iterations()) state.SkipWithError("a chunk was lost or repeated");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));  // regions per second
  set_num_threads(saved);
}
BENCHMARK(BM_EmptyRegion)
    ->Args({1, 1})->Args({2, 2})->Args({2, 16})->Args({2, 256})
    ->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace gemma3
