#include "ops/thread_pool.h"

#include <immintrin.h>

#include <memory>

namespace gemma3 {

namespace {

// ~20-40 µs of pause instructions: the gap between two regions of one forward pass (a norm, a
// residual add) is shorter, so a worker usually catches the next region without sleeping.
constexpr int kSpinIterations = 4000;
constexpr int kYieldIterations = 16;

// Waits until `value` differs from `old`: spin, then yield, then futex.
template <class T>
T wait_for_change(const std::atomic<T>& value, T old) {
  for (int i = 0; i < kSpinIterations; ++i) {
    T now = value.load(std::memory_order_acquire);
    if (now != old) return now;
    _mm_pause();
  }
  for (int i = 0; i < kYieldIterations; ++i) {
    T now = value.load(std::memory_order_acquire);
    if (now != old) return now;
    std::this_thread::yield();
  }
  for (;;) {
    value.wait(old, std::memory_order_acquire);
    T now = value.load(std::memory_order_acquire);
    if (now != old) return now;
  }
}

thread_local bool t_inside_region = false;

}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  for (int i = 1; i < n_threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  epoch_.fetch_add(1, std::memory_order_release);
  epoch_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::claim_and_run() {
  const ChunkFn fn = fn_.load(std::memory_order_relaxed);
  void* const context = context_.load(std::memory_order_relaxed);
  const size_t n = n_chunks_.load(std::memory_order_relaxed);
  for (size_t c; (c = next_chunk_.fetch_add(1, std::memory_order_relaxed)) < n;) fn(context, c);
}

void ThreadPool::run_chunks(size_t n_chunks, int max_threads, ChunkFn fn, void* context) {
  if (n_chunks == 0) return;
  std::unique_lock<std::mutex> lock(run_mutex_, std::defer_lock);
  if (n_chunks == 1 || max_threads <= 1 || workers_.empty() || t_inside_region || !lock.try_lock()) {
    for (size_t c = 0; c < n_chunks; ++c) fn(context, c);
    return;
  }
  // Publish the region, then open it (seq_cst: pairs with the workers' enter-then-check below).
  fn_.store(fn, std::memory_order_relaxed);
  context_.store(context, std::memory_order_relaxed);
  n_chunks_.store(n_chunks, std::memory_order_relaxed);
  max_threads_.store(max_threads, std::memory_order_relaxed);
  next_chunk_.store(0, std::memory_order_relaxed);
  open_.store(true);
  epoch_.fetch_add(1, std::memory_order_release);
  epoch_.notify_all();

  t_inside_region = true;
  claim_and_run();
  t_inside_region = false;

  // Close the region, then wait for the workers that entered it (they may be finishing a chunk).
  // A worker entering after this point sees open_ == false and touches nothing (Dekker: both
  // sides store then load with seq_cst, so at least one sees the other).
  open_.store(false);
  for (int inside = in_region_.load(); inside != 0;) inside = wait_for_change(in_region_, inside);
}

void ThreadPool::worker_loop(int index) {
  t_inside_region = true;  // a kernel called from a worker never re-enters the pool
  // Not epoch_.load(): the first region may be published before this thread gets here, and it
  // must still be seen. A new pool's epoch starts at 0.
  uint32_t seen = 0;
  for (;;) {
    seen = wait_for_change(epoch_, seen);
    if (stop_.load()) return;
    in_region_.fetch_add(1);
    if (open_.load() && index < max_threads_.load(std::memory_order_relaxed)) claim_and_run();
    if (in_region_.fetch_sub(1) == 1) in_region_.notify_one();
  }
}

ThreadPool& kernel_pool() {
  static std::mutex mutex;
  static std::unique_ptr<ThreadPool> pool;
  const int wanted = num_threads();
  std::lock_guard<std::mutex> lock(mutex);
  if (!pool || pool->size() != wanted) pool = std::make_unique<ThreadPool>(wanted);
  return *pool;
}

}  // namespace gemma3
